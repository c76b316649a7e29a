"""Paged reads for the HTTP API and the console: a page of rows and the total count."""

from __future__ import annotations

import datetime as dt
from typing import Any

from psycopg.rows import dict_row

from continuity.core.notices import OutageRecord
from continuity.core.records import CallRecord
from continuity.db.outages import _outage
from continuity.db.pool import Pool
from continuity.db.store import AuditEntry


class PagedReads:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def _page(
        self, query: str, count: str, params: dict[str, Any]
    ) -> tuple[list[dict[str, Any]], int]:
        async with self._pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(count, params)
            total = await cur.fetchone()
            await cur.execute(query, params)
            found = await cur.fetchall()
        return found, int(total["n"]) if total else 0

    async def call_records(
        self,
        limit: int,
        offset: int,
        number: str | None = None,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
    ) -> tuple[list[CallRecord], int]:
        where = (
            " WHERE (%(n)s::text IS NULL OR tracking_number = %(n)s)"
            " AND (%(since)s::timestamptz IS NULL OR started_at >= %(since)s)"
            " AND (%(until)s::timestamptz IS NULL OR started_at < %(until)s)"
        )
        found, total = await self._page(
            "SELECT * FROM call_records"
            + where
            + " ORDER BY started_at DESC, call_id LIMIT %(limit)s OFFSET %(offset)s",
            "SELECT count(*) AS n FROM call_records" + where,
            {"n": number, "since": since, "until": until, "limit": limit, "offset": offset},
        )
        return [CallRecord.from_row(r) for r in found], total

    async def audit(self, limit: int, offset: int) -> tuple[list[AuditEntry], int]:
        found, total = await self._page(
            "SELECT at, actor, action, subject, old_value, new_value FROM audit_log"
            " ORDER BY id DESC LIMIT %(limit)s OFFSET %(offset)s",
            "SELECT count(*) AS n FROM audit_log",
            {"limit": limit, "offset": offset},
        )
        return [AuditEntry(**r) for r in found], total

    async def outages(self, limit: int, offset: int) -> tuple[list[OutageRecord], int]:
        found, total = await self._page(
            "SELECT * FROM outages ORDER BY started_at DESC LIMIT %(limit)s OFFSET %(offset)s",
            "SELECT count(*) AS n FROM outages",
            {"limit": limit, "offset": offset},
        )
        return [_outage(r) for r in found], total
