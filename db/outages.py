"""Outages, the operator's override and the notice outbox in PostgreSQL.

An outage row and its notices are written in one transaction, and every write
is idempotent (``ON CONFLICT DO NOTHING``), so the app may retry after a
lost connection without producing a second notice.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from continuity.core.notices import (
    Channel,
    Notice,
    NoticeEvent,
    OutageRecord,
    OverrideRecord,
    PendingNotice,
)
from continuity.core.outage import OverrideState
from continuity.db.audit import audit
from continuity.db.leader import check_fence
from continuity.db.pool import Pool

Conn = psycopg.AsyncConnection[Any]


def _outage(row: dict[str, Any]) -> OutageRecord:
    return OutageRecord(
        id=str(row["id"]),
        trunk=row["trunk"],
        started_at=row["started_at"],
        start_cause=row["start_cause"],
        failover=row["failover"],
        resolved_at=row["resolved_at"],
        resolve_cause=row["resolve_cause"],
    )


class OutageStore:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    # -- outages ---------------------------------------------------------------
    async def start_outage(
        self, outage: OutageRecord, notices: Sequence[Notice], fence: int | None = None
    ) -> None:
        """Journal the outage and queue its notices; with ``fence``, only if that token leads."""
        async with self._pool.connection() as conn, conn.transaction():
            if fence is not None:
                await check_fence(conn, fence)
            await conn.execute(
                "INSERT INTO outages (id, trunk, started_at, start_cause, failover)"
                " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (id) DO NOTHING",
                (outage.id, outage.trunk, outage.started_at, outage.start_cause, outage.failover),
            )
            await _queue(conn, notices)

    async def resolve_outage(
        self, outage: OutageRecord, notices: Sequence[Notice], fence: int | None = None
    ) -> None:
        async with self._pool.connection() as conn, conn.transaction():
            if fence is not None:
                await check_fence(conn, fence)
            await conn.execute(
                "UPDATE outages SET resolved_at = %s, resolve_cause = %s"
                " WHERE id = %s AND resolved_at IS NULL",
                (outage.resolved_at, outage.resolve_cause, outage.id),
            )
            await _queue(conn, notices)

    async def open_outages(self, trunk: str) -> list[OutageRecord]:
        return await self._outages(
            "SELECT * FROM outages WHERE trunk = %s AND resolved_at IS NULL", (trunk,)
        )

    async def last_resolved(self, trunk: str) -> OutageRecord | None:
        found = await self._outages(
            "SELECT * FROM outages WHERE trunk = %s AND resolved_at IS NOT NULL"
            " ORDER BY resolved_at DESC LIMIT 1",
            (trunk,),
        )
        return found[0] if found else None

    async def recent_outages(self, limit: int = 10) -> list[OutageRecord]:
        return await self._outages(
            "SELECT * FROM outages ORDER BY started_at DESC LIMIT %s", (limit,)
        )

    async def _outages(self, query: str, params: tuple[Any, ...]) -> list[OutageRecord]:
        async with self._pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(query, params)
            return [_outage(row) for row in await cur.fetchall()]

    # -- the override ------------------------------------------------------------
    async def override(self) -> OverrideRecord | None:
        async with self._pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            await cur.execute("SELECT state, set_by, reason, set_at FROM outage_override")
            row = await cur.fetchone()
        if row is None:
            return None
        state = OverrideState(row["state"]) if row["state"] else None
        return OverrideRecord(state, row["set_by"], row["reason"], row["set_at"])

    async def set_override(self, actor: str, state: OverrideState | None, reason: str) -> None:
        """Set (or with ``None`` remove) the override, with its audit entry."""
        value = state.value if state else None
        async with self._pool.connection() as conn, conn.transaction():
            cur = await conn.execute("SELECT state FROM outage_override FOR UPDATE")
            old = await cur.fetchone()
            await conn.execute(
                "INSERT INTO outage_override (id, state, set_by, reason, set_at)"
                " VALUES (true, %s, %s, %s, now()) ON CONFLICT (id) DO UPDATE"
                " SET state = EXCLUDED.state, set_by = EXCLUDED.set_by,"
                " reason = EXCLUDED.reason, set_at = EXCLUDED.set_at",
                (value, actor, reason),
            )
            await audit(
                conn,
                actor,
                f"outage.{'auto' if state is None else state.value}",
                "primary",
                {"override": old[0] if old else None},
                {"override": value, "reason": reason},
            )

    # -- the outbox --------------------------------------------------------------
    async def pending_notices(self) -> list[PendingNotice]:
        """The oldest undelivered notice of each channel: each channel delivers in order."""
        async with self._pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(
                "SELECT DISTINCT ON (channel) id, outage_id, event, channel, payload, attempts"
                " FROM outage_notices WHERE delivered_at IS NULL ORDER BY channel, id"
            )
            rows = await cur.fetchall()
        return [
            PendingNotice(
                r["id"],
                Notice(
                    str(r["outage_id"]),
                    NoticeEvent(r["event"]),
                    Channel(r["channel"]),
                    r["payload"],
                ),
                r["attempts"],
            )
            for r in rows
        ]

    async def notice_delivered(self, notice_id: int) -> None:
        async with self._pool.connection() as conn:
            await conn.execute(
                "UPDATE outage_notices SET delivered_at = now(), attempts = attempts + 1,"
                " last_error = NULL WHERE id = %s",
                (notice_id,),
            )

    async def notice_failed(self, notice_id: int, error: str) -> None:
        async with self._pool.connection() as conn:
            await conn.execute(
                "UPDATE outage_notices SET attempts = attempts + 1, last_error = %s WHERE id = %s",
                (error[:500], notice_id),
            )

    async def undelivered_count(self) -> int:
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                "SELECT count(*) FROM outage_notices WHERE delivered_at IS NULL"
            )
            row = await cur.fetchone()
        return int(row[0]) if row else 0


async def _queue(conn: Conn, notices: Sequence[Notice]) -> None:
    for notice in notices:
        await conn.execute(
            "INSERT INTO outage_notices (outage_id, event, channel, idempotency_key, payload)"
            " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (outage_id, event, channel) DO NOTHING",
            (
                notice.outage_id,
                notice.event.value,
                notice.channel.value,
                notice.idempotency_key,
                Jsonb(notice.payload),
            ),
        )
