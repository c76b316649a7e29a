"""Failover test mode on one line: only that line's calls go to its continuity chain."""

from __future__ import annotations

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
