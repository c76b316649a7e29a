"""Call records in PostgreSQL: idempotent inserts, recent reads.

Two writers fill the table, keyed by the caller channel's uniqueid: the app
(its own records) and Asterisk's call trace, ingested by the app. The app's
record wins over a trace row, except for a call the generated dialplan dialed (a
hand-off, or ``dialing = dialplan``): where it landed comes from the trace. Each row
is written once however often it is retried.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict
from typing import Any

import psycopg
from psycopg import AsyncRawCursor, sql
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from continuity.core.call_trace import LegLanding
from continuity.core.outcome import Outcome
from continuity.core.records import CallRecord, RoutedBy
from continuity.db.pool import Pool

_COLUMNS = (
    "call_id", "tracking_number", "line_id", "caller_number", "caller_name", "reason",
    "attempts", "answered_kind", "answered_target", "outcome", "started_at", "answered_at",
    "ended_at", "path", "source",
)  # fmt: skip
_INSERT = sql.SQL("INSERT INTO call_records ({}) VALUES ").format(
    sql.SQL(", ").join(map(sql.Identifier, _COLUMNS))
)
#: The paths on which the app sends a call on to the generated dialplan, which dials it:
#: the trace says where it landed.
_DIALPLAN_DIALS = sql.SQL("({})").format(
    sql.SQL(", ").join(
        sql.Literal(p.value) for p in (RoutedBy.HANDED_TO_FALLBACK, RoutedBy.DIALPLAN)
    )
)
#: The app's record replaces a row the trace wrote first, but the trace row of a call
#: the dialplan dialed already says more than the app knows (where the call landed).
_APP_WINS = sql.SQL(
    " ON CONFLICT (call_id) DO UPDATE SET {} WHERE call_records.source = 'asterisk'"
    " AND EXCLUDED.path NOT IN {}"
).format(
    sql.SQL(", ").join(
        sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(c)) for c in _COLUMNS[1:]
    ),
    _DIALPLAN_DIALS,
)
#: A trace row is new, or completes (once) the app's record of a call the dialplan dialed.
_TRACE_COMPLETES = sql.SQL(
    " ON CONFLICT (call_id) DO UPDATE SET outcome = EXCLUDED.outcome,"
    " answered_kind = EXCLUDED.answered_kind, answered_target = EXCLUDED.answered_target,"
    " ended_at = EXCLUDED.ended_at, attempts = call_records.attempts || EXCLUDED.attempts,"
    " source = 'merged'"
    " WHERE call_records.source = 'app' AND call_records.path IN {}"
).format(_DIALPLAN_DIALS)
_LEG_LANDED = sql.SQL(
    "UPDATE call_records SET answered_kind = %(kind)s, answered_target = %(target)s,"
    " outcome = {} WHERE call_id = %(call)s AND source = 'asterisk'"
    " AND path = {} AND answered_kind IS NULL"
).format(sql.Literal(Outcome.ANSWERED.value), sql.Literal(RoutedBy.INTERRUPTED.value))


def _params(records: Iterable[CallRecord], source: str) -> list[object]:
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
                r.path.value,
                source,
            )
        )
    return params


class CallRecordStore:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool
        self._queries: dict[tuple[int, str], bytes] = {}

    async def insert_call_records(self, records: list[CallRecord]) -> None:
        """The app's records. A record already present (same call id) is left as it
        is, unless Asterisk's trace wrote it: retries are safe.

        One multi-row INSERT in autocommit: a single statement is atomic, and it
        costs one round trip instead of BEGIN, a pipelined batch and COMMIT (the
        insert was most of the app's CPU per call; bench profile notes)."""
        await self._insert(records, "app", _APP_WINS)

    async def insert_traced_records(self, records: list[CallRecord]) -> None:
        """Records read from Asterisk's call trace: new rows, or the landing of a hand-off
        the app recorded. Ingesting the same trace again changes nothing."""
        await self._insert(records, "asterisk", _TRACE_COMPLETES)

    async def _insert(
        self, records: list[CallRecord], source: str, conflict: sql.Composable
    ) -> None:
        # One row per call id per statement: ON CONFLICT DO UPDATE refuses to touch a row twice.
        unique = list({r.call_id: r for r in records}.values())
        if not unique:
            return
        async with self._pool.connection() as conn:
            await conn.set_autocommit(True)
            try:
                query = self._query(conn, len(unique), source, conflict)
                async with AsyncRawCursor(conn) as cursor:
                    await cursor.execute(query, _params(unique, source))
            finally:
                if not conn.closed:
                    await conn.set_autocommit(False)

    def _query(
        self, conn: psycopg.AsyncConnection[Any], rows: int, source: str, conflict: sql.Composable
    ) -> bytes:
        """The insert of ``rows`` rows from ``source``, composed once per size (composing
        it was a quarter of the insert's CPU). Its placeholders are PostgreSQL's own
        (``$1``...), for a raw cursor: psycopg parses a query of more than 50 parameters
        again at every execution (a trace's batch of 40 rows has 600)."""
        key = (rows, source)
        query = self._queries.get(key)
        if query is None:
            width = len(_COLUMNS)
            values = sql.SQL(", ").join(
                sql.SQL("({})").format(
                    sql.SQL(", ").join(sql.SQL(f"${row * width + i}") for i in range(1, width + 1))
                )
                for row in range(rows)
            )
            composed = sql.Composed([_INSERT, values, conflict])
            query = self._queries[key] = composed.as_bytes(conn)
        return query

    async def apply_leg_landings(self, legs: list[LegLanding]) -> set[str]:
        """Where calls interrupted by a dying run landed (their answered legs); return the
        call ids that have a record (the others' call lines are still to come)."""
        if not legs:
            return set()
        async with self._pool.connection() as conn, conn.transaction():
            for leg in legs:
                await conn.execute(
                    _LEG_LANDED,
                    {
                        "kind": leg.destination.kind.value,
                        "target": leg.destination.target,
                        "call": leg.call_id,
                    },
                )
            cur = await conn.execute(
                "SELECT call_id FROM call_records WHERE call_id = ANY(%s)",
                ([leg.call_id for leg in legs],),
            )
            return {row[0] for row in await cur.fetchall()}

    async def recent(self, limit: int = 20, tracking_number: str | None = None) -> list[CallRecord]:
        async with self._pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(
                "SELECT * FROM call_records WHERE %(n)s::text IS NULL OR tracking_number = %(n)s"
                " ORDER BY started_at DESC LIMIT %(limit)s",
                {"n": tracking_number, "limit": limit},
            )
            found = await cur.fetchall()
        return [CallRecord.from_row(row) for row in found]
