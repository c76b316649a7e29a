"""Call records in PostgreSQL: idempotent inserts, recent reads."""

from __future__ import annotations

from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

from continuity.core.records import CallRecord


class CallRecordStore:
    def __init__(self, pool: AsyncConnectionPool) -> None:
        self._pool = pool

    async def insert_call_records(self, records: list[CallRecord]) -> None:
        """A record already present (same call id) is left as it is: retries are safe."""
        if not records:
            return
        async with self._pool.connection() as conn, conn.cursor() as cur:
            await cur.executemany(
                "INSERT INTO call_records (call_id, tracking_number, line_id, caller_number,"
                " caller_name, reason, attempts, answered_kind, answered_target, outcome,"
                " started_at, answered_at, ended_at)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
                " ON CONFLICT (call_id) DO NOTHING",
                [
                    (
                        r.call_id,
                        r.tracking_number,
                        r.line,
                        r.caller_number,
                        r.caller_name,
                        r.reason,
                        Jsonb(r.to_json()["attempts"]),
                        r.answered_kind,
                        r.answered_target,
                        r.outcome,
                        r.started_at,
                        r.answered_at,
                        r.ended_at,
                    )
                    for r in records
                ],
            )

    async def recent(self, limit: int = 20, tracking_number: str | None = None) -> list[CallRecord]:
        async with self._pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(
                "SELECT * FROM call_records WHERE %(n)s::text IS NULL OR tracking_number = %(n)s"
                " ORDER BY started_at DESC LIMIT %(limit)s",
                {"n": tracking_number, "limit": limit},
            )
            found = await cur.fetchall()
        return [CallRecord.from_row(row) for row in found]
