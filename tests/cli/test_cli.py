"""The `continuity` command as an admin types it: exit codes, messages, nothing half-written."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import Run


def test_db_upgrade_is_idempotent(run: Run) -> None:
    first = run("db", "upgrade")
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("applied: 0001_initial.sql")
    again = run("db", "upgrade")
    assert (again.returncode, again.stdout.strip()) == (0, "schema is up to date")


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
        ["demo"],
    ],
)
def test_every_command_documents_itself(run: Run, command: list[str]) -> None:
    result = run(*command, "--help")
    assert result.returncode == 0
    assert "usage: continuity" in result.stdout
