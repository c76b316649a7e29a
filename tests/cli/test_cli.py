"""The `continuity` command as an admin types it: exit codes, messages, nothing half-written."""

from __future__ import annotations

import json
import subprocess
import sys
import wave
from pathlib import Path

import psycopg
import pytest

from tests.conftest import Run


def test_db_upgrade_is_idempotent(run: Run) -> None:
    first = run("db", "upgrade")
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("applied: 0001_initial.sql")
    again = run("db", "upgrade")
    assert (again.returncode, again.stdout.strip()) == (0, "schema is up to date")


def test_a_command_before_the_first_upgrade_says_to_run_it(run: Run) -> None:
    """An empty database is the store's own error, with its fix, not the driver's."""
    result = run("number", "list")
    assert result.returncode == 1
    assert "the database schema is older than this version" in result.stderr
    assert "Run `continuity db upgrade`." in result.stderr
    assert "Traceback" not in result.stderr


def test_an_invalid_number_is_refused_with_the_reason(run: Run) -> None:
    run("db", "upgrade")
    result = run("number", "add", "+1 555 123 0001")
    assert result.returncode == 1
    assert "not a valid phone number: no such number range exists" in result.stderr


def test_a_failover_loop_is_refused_and_nothing_changes(run: Run) -> None:
    run("db", "upgrade")
    assert run("number", "add", "+12125550101").returncode == 0
    assert run("number", "add", "+12125550102").returncode == 0
    before = run("status", "--json")
    audit = run("audit", "--json")
    assert before.returncode == audit.returncode == 0, audit.stderr
    assert [e["action"] for e in json.loads(audit.stdout)] == ["number.add", "number.add"]

    result = run(
        "number", "set", "+12125550101", "--continuity", "on", "--external", "+12125550102"
    )

    assert result.returncode == 1
    assert "would loop back into this Asterisk" in result.stderr
    assert run("status", "--json").stdout == before.stdout
    assert run("audit", "--json").stdout == audit.stdout


def test_status_json_shows_each_numbers_chain(run: Run) -> None:
    run("db", "upgrade")
    run("line", "add", "main", "--kind", "main", "--external", "+13125550150")
    run("number", "add", "+12125550101")
    status = json.loads(run("status", "--json").stdout)
    assert status["numbers"] == [
        {
            "number": "+12125550101",
            "line": "main",
            "reason": "normal",
            "chain": ["primary:+12125550101", "external:+13125550150", "voicemail:main"],
        }
    ]


def test_a_database_that_is_not_there_is_a_clear_error(run: Run) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "continuity",
            "--database-url",
            "postgresql://postgres@127.0.0.1:1/none",
            "number",
            "list",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "PostgreSQL is not reachable" in result.stderr


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["serve"],
        ["db", "upgrade"],
        ["number", "add"],
        ["number", "set"],
        ["number", "list"],
        ["line", "add"],
        ["line", "forward", "add"],
        ["line", "test"],
        ["default"],
        ["status"],
        ["audit"],
        ["calls"],
        ["dialplan", "render"],
        ["dialplan", "apply"],
    ],
)
def test_every_command_documents_itself(run: Run, command: list[str]) -> None:
    result = run(*command, "--help")
    assert result.returncode == 0
    assert "usage: continuity" in result.stdout


EMPTY = [
    ["number", "set", "+12125550101", "--external", ""],
    ["number", "set", "+12125550101", "--sip", ""],
    ["number", "set", "+12125550101", "--voicemail", ""],
    ["number", "set", "+12125550101", "--primary-target", ""],
    ["default", "--failover-codes", ""],
    ["default", "--voice-agent-endpoint", ""],
]


def test_an_empty_value_is_refused_as_empty_and_nothing_changes(run: Run) -> None:
    run("db", "upgrade")
    assert run("number", "add", "+12125550101").returncode == 0
    before, audit = run("status", "--json").stdout, run("audit", "--json").stdout

    results = {" ".join(command): run(*command) for command in EMPTY}

    for command, result in results.items():
        assert result.returncode == 1, command
        assert "it is empty" in result.stderr, command
        assert "updated" not in result.stdout, command
    assert run("status", "--json").stdout == before
    assert run("audit", "--json").stdout == audit


def test_values_the_service_refuses_are_reported_without_database_errors(run: Run) -> None:
    run("db", "upgrade")
    assert run("number", "add", "+12125550101").returncode == 0

    timeout = run("default", "--primary-timeout", "99999999999")
    own_trunk = run("number", "set", "+12125550101", "--sip", "continuity-primary")
    junk = run("number", "set", "+12125550101", "--sip", "ep/sip:;")
    nul = run("number", "set", "+12125550101", "--label", "a\x01b")

    assert timeout.returncode == own_trunk.returncode == junk.returncode == nul.returncode == 1
    assert "give whole seconds from 1 to 600" in timeout.stderr
    assert "one of the trunks continuity itself routes with" in own_trunk.stderr
    assert "must be a PJSIP endpoint name" in junk.stderr
    assert "control character U+0001" in nul.stderr
    for result in (timeout, own_trunk, junk, nul):
        assert "database error" not in result.stderr


def test_a_stored_control_character_is_printed_escaped(run: Run, cli_db: str) -> None:
    """A label stored before these checks existed reaches no terminal raw."""
    run("db", "upgrade")
    assert run("number", "add", "+12125550101", "--label", "Website").returncode == 0
    with psycopg.connect(cli_db, autocommit=True) as conn:
        conn.execute("UPDATE tracking_numbers SET label = %s", ("red\x1b[31m\nnext",))

    listed = run("number", "list")
    status = run("status")

    for output in (listed.stdout, status.stdout):
        assert "\x1b" not in output
        assert "red\\x1b[31m\\x0anext" in output


def _message(spool: Path, box: str) -> None:
    """One message in the box as app_voicemail leaves it: envelope and audio."""
    inbox = spool / "voicemail" / "continuity" / box / "INBOX"
    inbox.mkdir(parents=True)
    (inbox / "msg0000.txt").write_text(
        '[message]\ncallerid="Zoe" <+13125550150>\norigtime=1795319043\n'
        "duration=1\nmsg_id=1795319043-00000001\n"
    )
    with wave.open(str(inbox / "msg0000.wav"), "wb") as audio:
        audio.setnchannels(1)
        audio.setsampwidth(2)
        audio.setframerate(8000)
        audio.writeframes(b"\x00\x10" * 8000)


def test_export_keeps_an_existing_file_unless_forced(run: Run, tmp_path: Path) -> None:
    run("db", "upgrade")
    assert run("line", "add", "sales", "--kind", "department").returncode == 0
    spool = tmp_path / "spool"
    _message(spool, "sales")
    out = tmp_path / "kept.wav"
    out.write_bytes(b"my own file")
    env = {"CONTINUITY_ASTERISK_SPOOL_DIR": str(spool)}

    refused = run("voicemail", "export", "sales", "msg0000", str(out), env=env)
    forced = run("voicemail", "export", "sales", "msg0000", str(out), "--force", env=env)

    assert refused.returncode == 1
    assert "already exists; give --force to overwrite it" in refused.stderr
    assert forced.returncode == 0, forced.stderr
    assert out.read_bytes()[:4] == b"RIFF"
