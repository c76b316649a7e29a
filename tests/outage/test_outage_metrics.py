"""Issue 16: the outage gauge follows the primary trunk: 1 while it is frozen, 0 after."""

from __future__ import annotations

from tests.ops.scrape import metrics_endpoint
from tests.outage.conftest import Drill
from tests.outage.settings import HOLD_DOWN


async def test_the_outage_gauge_is_1_while_the_primary_is_frozen_and_0_after(
    drill: Drill,
) -> None:
    monitor = drill.app.outages.monitor
    async with metrics_endpoint(drill.app) as metrics:
        assert await metrics.value("continuity_outage") == 0
        assert await metrics.value("continuity_outage_start_time_seconds") == 0

        drill.freeze_primary()
        await drill.until(lambda: monitor.outage is not None)
        assert monitor.outage is not None
        assert await metrics.value("continuity_outage") == 1
        assert await metrics.value("continuity_primary_skipped") == 1
        started = await metrics.value("continuity_outage_start_time_seconds")
        assert started == monitor.outage.started_at.timestamp()

        drill.thaw_primary()
        await drill.until(lambda: monitor.outage is None, timeout=HOLD_DOWN + 10)
        assert await metrics.value("continuity_outage") == 0
        assert await metrics.value("continuity_outage_start_time_seconds") == 0
        assert await metrics.value("continuity_primary_skipped") == 0
