"""Issue 19: caller-ID settings as an admin types them, validated and audited."""

from __future__ import annotations

import json

from tests.conftest import Run


def test_caller_id_settings_are_set_audited_and_a_bad_prefix_writes_nothing(run: Run) -> None:
    run("db", "upgrade")
    assert run("line", "add", "sales", "--kind", "department", "--name", "Sales").returncode == 0

    account = run(
        "default", "--caller-id", "tracking", "--caller-name-prefix", "{line}:",
        "--history-info", "on",
    )  # fmt: skip
    assert account.returncode == 0, account.stderr
    assert "caller ID tracking, caller-name prefix '{line}:', History-Info on" in account.stdout
    assert run("line", "set", "sales", "--caller-id", "keep").returncode == 0
    audit_before = run("audit", "--json").stdout

    refused = run("line", "set", "sales", "--caller-name-prefix", 'Sales "VIP"\r\nX: y')
    assert refused.returncode == 1
    assert "caller-name prefix" in refused.stderr and "'\"'" in refused.stderr
    assert run("audit", "--json").stdout == audit_before

    [line] = json.loads(run("line", "list", "--json").stdout)
    assert (line["caller_id"], line["caller_name_prefix"]) == ("keep", None)
    entries = json.loads(audit_before)
    assert entries[0]["action"] == "line.set"
    assert (entries[0]["old_value"]["caller_id"], entries[0]["new_value"]["caller_id"]) == (
        None,
        "keep",
    )
    assert entries[1]["new_value"]["caller_id"] == "tracking"
    assert entries[1]["new_value"]["send_history_info"] is True

    assert run("line", "set", "sales", "--caller-id", "inherit").returncode == 0
    [line] = json.loads(run("line", "list", "--json").stdout)
    assert line["caller_id"] is None
    assert "--caller-name-prefix" in run("line", "set", "--help").stdout
    assert "--history-info" in run("default", "--help").stdout
