"""Failover test mode on one line or one number: only its calls go to its continuity chain,
until it is stopped or its end time comes."""

from __future__ import annotations

import asyncio
import datetime as dt
import json

from continuity.db.store import AuditEntry, Store
from tests.outage.conftest import Drill
from tests.scenario import external

SALES = "+12125550121"
SUPPORT = "+12125550131"
SALES_FAILOVER = "+13125550160"
SUPPORT_FAILOVER = "+13125550170"


async def test_with_test_mode_on_for_one_line_only_its_calls_go_to_failover_until_stopped(
    drill: Drill,
) -> None:
    s = drill.scenario
    await s.line("sales", destination=external(SALES_FAILOVER))
    await s.line("support", destination=external(SUPPORT_FAILOVER))
    await s.tracking_number(SALES, line="sales")
    await s.tracking_number(SUPPORT, line="support")

    await s.admin.set_test_mode("sales", True)
    await s.synced()

    sales = await drill.answered_call(SALES)
    assert (sales.reason, sales.answered_kind, sales.answered_target) == (
        "test_mode",
        "external",
        SALES_FAILOVER,
    )
    assert (await s.reached(SALES_FAILOVER)).role == "pstn"
    support = await drill.answered_call(SUPPORT)
    assert (support.reason, support.answered_kind) == ("normal", "primary")
    assert (await s.reached(SUPPORT)).role == "primary"

    await s.admin.set_test_mode("sales", False)
    await s.synced()

    sales = await drill.answered_call(SALES)
    assert (sales.reason, sales.answered_kind, sales.answered_target) == (
        "normal",
        "primary",
        SALES,
    )
    assert (await s.reached(SALES, role="primary")).caller_id_number
    assert [o.number for o in s.observed()] == [SALES_FAILOVER, SUPPORT, SALES]


async def test_a_number_in_a_timed_test_goes_to_its_continuity_destination_then_to_the_primary(
    drill: Drill,
) -> None:
    s = drill.scenario
    await s.line("sales", destination=external(SALES_FAILOVER))
    await s.tracking_number(SALES, line="sales")
    await s.tracking_number(SUPPORT, line="sales")

    await s.admin.set_number_test_mode(SALES, True, duration=dt.timedelta(seconds=6))
    await s.synced()
    until = (await s.store.load_snapshot()).numbers[SALES].test_until
    assert until is not None

    sales = await drill.answered_call(SALES)
    assert (sales.reason, sales.answered_kind, sales.answered_target) == (
        "test_mode",
        "external",
        SALES_FAILOVER,
    )
    neighbour = await drill.answered_call(SUPPORT)  # same line, not in test
    assert (neighbour.reason, neighbour.answered_kind) == ("normal", "primary")

    # The app notices the end time and writes the automatic stop, once.
    ended = await _audited(s.store, "number.test-end", timeout=20)
    assert ended.actor == "continuity:automatic"
    assert ended.subject == SALES
    assert ended.at >= until
    await s.synced()
    stopped = (await s.store.load_snapshot()).numbers[SALES]
    assert (stopped.test_mode, stopped.test_until) == (False, None)

    sales = await drill.answered_call(SALES)
    assert (sales.reason, sales.answered_kind, sales.answered_target) == (
        "normal",
        "primary",
        SALES,
    )
    assert (await s.reached(SALES, role="primary")).number == SALES
    actions = [e.action for e in await s.store.audit_entries(50)]
    assert actions.count("number.test-end") == 1
    assert actions.count("number.test-start") == 1


async def test_number_and_line_tests_from_the_cli_show_in_status_and_bad_durations_write_nothing(
    drill: Drill,
) -> None:
    s = drill.scenario
    await s.line("sales", destination=external(SALES_FAILOVER))
    await s.tracking_number(SALES, line="sales")
    await s.tracking_number(SUPPORT, line="sales")

    code, out, err = await drill.cli("number", "test", "start", SALES, "--for", "30m")
    assert code == 0, err
    assert f"failover test mode on for {SALES}, until" in out
    code, out, err = await drill.cli("line", "test", "start", "sales")
    assert code == 0, err

    code, out, _ = await drill.cli("status")
    assert f"FAILOVER TEST MODE on number {SALES}, until" in out
    assert "(in 29m" in out or "(in 30m" in out
    assert "FAILOVER TEST MODE on line sales, until stopped" in out

    before = await s.store.audit_entries(50)
    for args, says in (
        (("number", "test", "start", SUPPORT, "--for", "0m"), "longer than zero"),
        (("number", "test", "start", SUPPORT, "--for", "soon"), "not understood"),
        (("line", "test", "stop", "sales", "--for", "5m"), "not with `test stop`"),
        (("number", "test", "start", "+12125550199"), "No tracking number"),
    ):
        code, _, err = await drill.cli(*args)
        assert code != 0
        assert says in err
    assert await s.store.audit_entries(50) == before

    code, out, err = await drill.cli("number", "test", "stop", SALES)
    assert code == 0, err
    code, out, _ = await drill.cli("status", "--json")
    banner = json.loads(out)
    assert banner["testing_numbers"] == []
    assert banner["testing_lines"] == ["sales"]


async def _audited(store: Store, action: str, timeout: float) -> AuditEntry:
    async with asyncio.timeout(timeout):
        while True:
            for entry in await store.audit_entries(20):
                if entry.action == action:
                    return entry
            await asyncio.sleep(0.1)
