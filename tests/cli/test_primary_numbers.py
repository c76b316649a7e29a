"""Numbers the primary system hosts: refused as failover destinations, as an admin sees it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.conftest import Run

pytestmark = pytest.mark.usefixtures("upgraded")

PRIMARY_HOST = "sip:pbx.primary.example:5060"
HOSTED = "+12125550150"  # a direct line on the primary system
CELL = "+13125550161"  # outside it


def state(run: Run) -> tuple[str, str]:
    return run("status", "--json").stdout, run("audit", "--json").stdout


def test_a_number_the_primary_hosts_is_refused_at_every_level_and_nothing_is_written(
    run: Run,
) -> None:
    assert run("primary-numbers", "add", "+1212555*").returncode == 0
    assert run("line", "add", "main", "--kind", "main").returncode == 0
    assert run("line", "add", "jdoe", "--kind", "user").returncode == 0
    assert run("number", "add", "+13125550101").returncode == 0
    before = state(run)

    for args in (
        ("default", "--external", HOSTED),
        ("line", "set", "main", "--external", HOSTED),
        ("line", "add", "sales", "--kind", "department", "--external", HOSTED),
        ("number", "set", "+13125550101", "--external", HOSTED),
        ("number", "add", "+13125550102", "--external", HOSTED),
        ("line", "forward", "add", "jdoe", HOSTED),
    ):
        result = run(*args)
        assert result.returncode == 1, args
        assert f"{HOSTED} is hosted by the primary system (primary-numbers entry +1212555*)" in (
            result.stderr
        ), args
        assert "ring into the very outage" in result.stderr
    assert state(run) == before

    assert run("line", "set", "main", "--external", CELL).returncode == 0
    assert run("line", "forward", "add", "jdoe", CELL).returncode == 0


def test_a_range_that_existing_destinations_fall_into_is_refused_and_names_them(
    run: Run,
) -> None:
    assert run("line", "add", "main", "--kind", "main", "--external", HOSTED).returncode == 0
    assert run("line", "add", "jdoe", "--kind", "user").returncode == 0
    assert run("line", "forward", "add", "jdoe", "+12125550161").returncode == 0
    before = state(run)

    result = run("primary-numbers", "add", "+1212555*")
    assert result.returncode == 1
    assert "+1212555* cannot be listed as hosted by the primary system" in result.stderr
    assert f"line main -> {HOSTED}" in result.stderr
    assert "forwarding number of line jdoe -> +12125550161" in result.stderr
    exact = run("primary-numbers", "add", HOSTED)
    assert exact.returncode == 1
    assert f"line main -> {HOSTED}" in exact.stderr
    assert "forwarding" not in exact.stderr
    assert state(run) == before
    assert json.loads(run("primary-numbers", "list", "--json").stdout) == []

    bad = run("primary-numbers", "add", "+1212*555")
    assert bad.returncode == 1
    assert "must be '+', then the country code and leading digits, then '*'" in bad.stderr

    assert run("primary-numbers", "add", "+1646*").returncode == 0
    listed = json.loads(run("primary-numbers", "list", "--json").stdout)
    assert [(e["pattern"], e["added_by"]) for e in listed] == [("+1646*", "cli:ops")]


def test_an_import_is_taken_whole_or_not_at_all_and_every_change_is_audited(
    run: Run, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("# DIDs of the primary\n+1212555*\n\nnot a number\n+1212555*  # again\n")
    result = run("primary-numbers", "import", str(bad))
    assert result.returncode == 1
    assert "nothing was imported" in result.stderr
    assert "line 4: 'notanumber' is not a valid phone number" in result.stderr
    assert "line 5: +1212555* is listed twice" in result.stderr
    assert json.loads(run("primary-numbers", "list", "--json").stdout) == []

    good = tmp_path / "dids.txt"
    good.write_text("# DIDs of the primary\n+1212555*\n+1 646 555 0100   # reception\n")
    first = run("primary-numbers", "import", str(good))
    assert (first.returncode, first.stdout.strip()) == (0, "imported 2 entries"), first.stderr
    again = run("primary-numbers", "import", str(good))
    assert again.stdout.strip() == "imported 0 entries, 2 already listed"

    assert run("primary-numbers", "remove", "+1212555*").returncode == 0
    gone = run("primary-numbers", "remove", "+1212555*")
    assert gone.returncode == 1
    assert "+1212555* is not listed as hosted by the primary system (listed: +16465550100)" in (
        gone.stderr
    )
    audit = json.loads(run("audit", "--json").stdout)
    assert [(e["action"], e["subject"]) for e in audit] == [
        ("primary-number.remove", "+1212555*"),
        ("primary-number.import", "+16465550100"),
        ("primary-number.import", "+1212555*"),
    ]


def test_a_failover_that_leaves_through_the_primarys_host_warns_in_the_cli_and_in_status(
    run: Run,
) -> None:
    env = {"CONTINUITY_PRIMARY_TRUNK": PRIMARY_HOST, "CONTINUITY_TRUNK_TRANSPORT": "transport-udp"}
    assert run("line", "add", "main", "--kind", "main").returncode == 0
    carrier = {**env, "CONTINUITY_PSTN_TRUNK": "sip:carrier.example"}  # both trunks, or neither
    result = run(
        "line", "set", "main", "--sip", "backup/sip:reception@PBX.primary.example", **carrier
    )
    assert result.returncode == 0, result.stderr
    assert (
        "warning: line main's SIP destination backup/sip:reception@PBX.primary.example is on "
        "the primary trunk's host (pbx.primary.example:5060)" in result.stderr
    )
    elsewhere = run(
        "line",
        "add",
        "sales",
        "--kind",
        "department",
        "--sip",
        "backup/sip:b@dr.example",
        **carrier,
    )
    assert (elsewhere.returncode, elsewhere.stderr) == (0, "")

    status = run("status", **env, CONTINUITY_PSTN_TRUNK="sip:pbx.primary.example")
    assert "WARNING: the PSTN trunk (sip:pbx.primary.example) goes to the primary trunk's host" in (
        status.stdout
    )
    assert "WARNING: line main's SIP destination" in status.stdout
    assert "line sales" not in status.stdout.split("NUMBER")[0]
    quiet = json.loads(
        run("status", "--json", **env, CONTINUITY_PSTN_TRUNK="sip:carrier.example").stdout
    )
    assert len(quiet["warnings"]) == 1
