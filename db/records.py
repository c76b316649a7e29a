"""Call records in PostgreSQL: idempotent inserts, recent reads."""

from __future__ import annotations

from dataclasses import asdict

from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

from continuity.core.records import CallRecord

_INSERT = (
    "INSERT INTO call_records (call_id, tracking_number, line_id, caller_number,"
    " caller_name, reason, attempts, answered_kind, answered_target, outcome,"
    " started_at, answered_at, ended_at) VALUES "
)
_ROW = "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
_ON_CONFLICT = " ON CONFLICT (call_id) DO NOTHING"


class CallRecordStore:
    def __init__(self, pool: AsyncConnectionPool) -> None:
        self._pool = pool

    async def insert_call_records(self, records: list[CallRecord]) -> None:
        """A record already present (same call id) is left as it is: retries are safe.

        One multi-row INSERT in autocommit: a single statement is atomic, and it
        costs one round trip instead of BEGIN, a pipelined batch and COMMIT (the
        insert was most of the app's CPU per call; bench profile notes)."""
        if not records:
            return
        rows = ", ".join([_ROW] * len(records))
        params: list[object] = []
        for r in records:
            params.extend(
                (
                    r.call_id,
                    r.tracking_number,
                    r.line,
                    r.caller_number,
                    r.caller_name,
                    r.reason,
                    Jsonb([asdict(a) for a in r.attempts]),
                    r.answered_kind,
                    r.answered_target,
                    r.outcome,
                    r.started_at,
                    r.answered_at,
                    r.ended_at,
                )
            )
        async with self._pool.connection() as conn:
            await conn.set_autocommit(True)
            try:
                await conn.execute(_INSERT + rows + _ON_CONFLICT, params)
            finally:
                if not conn.closed:
                    await conn.set_autocommit(False)

    async def recent(self, limit: int = 20, tracking_number: str | None = None) -> list[CallRecord]:
        async with self._pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(
                "SELECT * FROM call_records WHERE %(n)s::text IS NULL OR tracking_number = %(n)s"
                " ORDER BY started_at DESC LIMIT %(limit)s",
                {"n": tracking_number, "limit": limit},
            )
            found = await cur.fetchall()
        return [CallRecord.from_row(row) for row in found]
