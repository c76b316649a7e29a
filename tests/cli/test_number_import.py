"""Many tracking numbers at once: `continuity number import FILE.csv` and `number export`."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from localstack import temporary_database
from tests.cli.conftest import Run

pytestmark = pytest.mark.usefixtures("upgraded")

HEADER = (
    "number,label,line,primary_target,continuity,failover,destination_kind,"
    "destination_target,test_mode,test_until"
)


def lines_and_account(run: Run, url: str | None = None) -> None:
    env = {} if url is None else {"CONTINUITY_DATABASE_URL": url}
    for args in (
        ("db", "upgrade"),
        ("line", "add", "main", "--kind", "main", "--external", "+13125550150"),
        ("line", "add", "sales", "--kind", "department"),
        ("default", "--voice-agent-endpoint", "agent-endpoint"),
    ):
        result = run(*args, env=env)
        assert result.returncode == 0, result.stderr


def state(run: Run, url: str | None = None) -> tuple[str, str]:
    env = {} if url is None else {"CONTINUITY_DATABASE_URL": url}
    return run("number", "list", "--json", env=env).stdout, run("audit", "--json", env=env).stdout


def write(tmp_path: Path, *rows: str, header: str = HEADER) -> Path:
    path = tmp_path / "numbers.csv"
    path.write_text("\n".join((header, *rows)) + "\n", encoding="utf-8")
    return path


@pytest.fixture
async def fresh(database_url: str) -> AsyncIterator[str]:
    """A second database: where an export is imported."""
    async with temporary_database(database_url, prefix="continuity_cli_fresh") as url:
        yield url


def test_an_export_imported_into_a_fresh_database_gives_the_same_numbers(
    run: Run, fresh: str, tmp_path: Path
) -> None:
    lines_and_account(run)
    for args in (
        ("number", "add", "+12125550101", "--label", "Website, spring"),
        ("number", "add", "+12125550102", "--line", "sales", "--continuity", "on",
         "--external", "+13125550199", "--primary-target", "+12125550999"),
        ("number", "add", "+12125550103", "--failover", "disabled", "--voice-agent"),
        ("number", "add", "+12125550104", "--sip", "backup/sip:desk@10.0.0.7:5070;transport=udp"),
        ("number", "add", "+12125550105", "--voicemail", "sales", "--continuity", "off"),
        ("number", "test", "start", "+12125550101", "--for", "2h"),
    ):  # fmt: skip
        assert run(*args).returncode == 0, args
    exported = run("number", "export")
    assert exported.returncode == 0
    assert exported.stdout.splitlines()[0] == HEADER
    assert len(exported.stdout.splitlines()) == 6

    lines_and_account(run, fresh)
    path = tmp_path / "export.csv"
    path.write_text(exported.stdout, encoding="utf-8")
    result = run("number", "import", str(path), env={"CONTINUITY_DATABASE_URL": fresh})
    assert result.returncode == 0, result.stderr
    assert "5 added, 0 changed, 0 unchanged" in result.stdout
    assert "validating" in result.stderr  # the progress bar
    again = run("number", "export", env={"CONTINUITY_DATABASE_URL": fresh})
    assert again.stdout == exported.stdout
    assert state(run, fresh)[0] == state(run)[0]


def test_a_file_with_bad_rows_is_refused_whole_naming_each_row(run: Run, tmp_path: Path) -> None:
    lines_and_account(run)
    assert run("number", "add", "+12125550101").returncode == 0
    before = state(run)
    path = write(
        tmp_path,
        "+12125550110,fine,,,,,,,,",
        "+12125550111,,nosuchline,,,,,,,",
        "+12125550112,,,,maybe,,,,,",
        "+12125550113,,,,,,external,+12125550101,,",  # fails over to our own number
        "+12125550110,twice,,,,,,,,",
        "12,,,,,,,,,",
        "+12125550114,,,,,,,,,2026-13-01",
        "+12125550115,,,,,,voicemail,nobox,,",
    )
    result = run("number", "import", str(path))
    assert result.returncode == 1
    err = result.stderr
    assert "nothing was imported: 7 problems" in err
    assert "row 3: No line 'nosuchline'" in err or ("row 3: " in err and "nosuchline" in err)
    assert "row 4: continuity 'maybe': give on, off, inherit or empty" in err
    assert "row 5: +12125550101 is one of our own tracking numbers" in err
    assert "row 6: +12125550110 is already given on row 2" in err
    assert "row 7: number: '12' is not a valid phone number" in err
    assert "row 8: test_until '2026-13-01'" in err
    assert "row 9: voicemail box 'nobox' does not exist" in err
    assert "row 2:" not in err
    assert state(run) == before


def test_an_import_writes_one_audit_entry_that_counts_what_it_changed(
    run: Run, tmp_path: Path
) -> None:
    lines_and_account(run)
    assert run("number", "add", "+12125550101", "--label", "old").returncode == 0
    path = write(
        tmp_path,
        *(f"+1212555{n:04d},imported {n},sales,,,,,,," for n in range(200, 300)),
        "+12125550101,new label,,,on,,,,,",
    )
    result = run("number", "import", str(path))
    assert result.returncode == 0, result.stderr
    assert "100 added, 1 changed, 0 unchanged" in result.stdout
    audit = json.loads(run("audit", "--json", "--limit", "5").stdout)
    assert [a["action"] for a in audit][:2] == ["number.import", "number.add"]
    entry = audit[0]
    assert entry["actor"] == "cli:ops"
    assert entry["new_value"]["added"] == 100
    assert entry["new_value"]["changed"] == 1
    assert entry["new_value"]["file"] == "numbers.csv"
    numbers = {n["number"]: n for n in json.loads(run("number", "list", "--json").stdout)}
    assert len(numbers) == 101
    assert numbers["+12125550250"]["line"] == "sales"
    assert numbers["+12125550101"]["label"] == "new label"
    assert numbers["+12125550101"]["reason"] == "continuity"

    same = run("number", "import", str(path))
    assert "0 added, 0 changed, 101 unchanged" in same.stdout


def test_import_and_export_explain_themselves(run: Run, tmp_path: Path) -> None:
    for action in ("import", "export"):
        shown = run("number", action, "--help")
        assert shown.returncode == 0
        assert "destination_kind" in shown.stdout
        assert "examples:" in shown.stdout
    missing = run("number", "import", str(tmp_path / "none.csv"))
    assert missing.returncode == 1
    assert "cannot read" in missing.stderr
    bad_header = run("number", "import", str(write(tmp_path, "+12125550101", header="phone")))
    assert bad_header.returncode == 1
    assert "must name the columns" in bad_header.stderr
