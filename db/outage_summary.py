"""The outage summary's figures from the call records of the outage's time window."""

from __future__ import annotations

import datetime as dt

from continuity.core.notices import OutageRecord
from continuity.core.outage_summary import OutageSummary, summarize
from continuity.db.pool import Pool

#: Calls in the window that went to continuity because of the primary: they skipped a
#: primary known to be down, or it failed them and they moved on to another destination.
_FAILED_OVER = (
    "SELECT answered_kind, answered_target, count(*) FROM call_records"
    " WHERE started_at >= %(start)s AND (%(end)s::timestamptz IS NULL OR started_at < %(end)s)"
    " AND (reason = 'outage' OR (reason = 'normal' AND EXISTS ("
    "   SELECT 1 FROM jsonb_array_elements(attempts) AS a WHERE a->>'kind' <> 'primary')))"
    " GROUP BY answered_kind, answered_target"
)


class OutageSummaryStore:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def summary(self, outage: OutageRecord) -> OutageSummary:
        return await self.window(outage.started_at, outage.resolved_at)

    async def window(self, start: dt.datetime, end: dt.datetime | None) -> OutageSummary:
        async with self._pool.connection() as conn:
            cur = await conn.execute(_FAILED_OVER, {"start": start, "end": end})
            rows = await cur.fetchall()
        return summarize(start, end, [(r[0], r[1], int(r[2])) for r in rows])
