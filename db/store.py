"""The PostgreSQL store: the routing snapshot, and admin changes with their audit entries.

An admin change is one transaction (:meth:`Store.change`): it locks the
account row, reads the state, and writes the change and its audit row. Two
changes never interleave, so none is lost, every check sees the state the
write lands on, and each audit row's old value is the previous row's new
value. A process that already holds the routing state at the version found under
the lock (``continuity serve``: its web console and HTTP API) checks against that
instead of reading it again: at 100,000 numbers the read costs about a second.
Driver errors leave this package as domain errors (``continuity.db.errors``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.rows import dict_row

from continuity.core.model import Snapshot, TrackingNumber
from continuity.db import rows
from continuity.db.changes import AdminChange
from continuity.db.hours import load_hours
from continuity.db.pool import Pool

Conn = psycopg.AsyncConnection[Any]
#: The routing state this process holds, if it is the state at the given version.
HeldState = Callable[[int], Snapshot | None]


@dataclass(frozen=True, slots=True)
class AuditEntry:
    at: dt.datetime
    actor: str
    action: str
    subject: str
    old_value: Any
    new_value: Any


class Store:
    """All SQL lives in this package. Every call borrows a connection from the pool."""

    def __init__(self, pool: Pool, held: HeldState | None = None) -> None:
        self.pool = pool
        self._held = held

    # -- reading -----------------------------------------------------------------
    async def load_snapshot(self) -> Snapshot:
        """The routing state as of one moment. Raises ``StoreUnavailable`` when PostgreSQL
        is away: the snapshot service routes from its cache then."""
        async with self.pool.connection() as conn, conn.transaction():
            await conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            return await _read_snapshot(conn)

    async def load_numbers(
        self, numbers: Sequence[str]
    ) -> tuple[int, dict[str, TrackingNumber | None]]:
        """The routing state's version and the named numbers' rows as of one moment
        (``None``: the number is gone). Raises ``psycopg.Error`` like ``load_snapshot``."""
        async with (
            self.pool.connection() as conn,
            conn.transaction(),
            conn.cursor(row_factory=dict_row) as cur,
        ):
            await cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            await cur.execute("SELECT version FROM routing_state")
            state = await cur.fetchone()
            await cur.execute(NUMBER_COLUMNS + " WHERE number = ANY(%s)", (list(numbers),))
            found = {r["number"]: rows.tracking_number(r) for r in await cur.fetchall()}
        if state is None:
            raise RuntimeError("routing_state is empty: run `continuity db upgrade`")
        return int(state["version"]), {n: found.get(n) for n in numbers}

    async def audit_entries(self, limit: int = 50) -> list[AuditEntry]:
        async with self.pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(
                "SELECT at, actor, action, subject, old_value, new_value FROM audit_log"
                " ORDER BY id DESC LIMIT %s",
                (limit,),
            )
            return [AuditEntry(**r) for r in await cur.fetchall()]

    # -- changing ----------------------------------------------------------------
    @asynccontextmanager
    async def change(self, actor: str) -> AsyncIterator[AdminChange]:
        """One admin change: the state as of the account row's lock, and its writes.

        What is written through the yielded object commits when the block ends,
        and nothing does when it raises. Read-committed after the lock: the state
        read includes every change committed before this one.
        """
        async with self.pool.connection() as conn, conn.transaction():  # errors translated
            await conn.execute("SELECT 1 FROM account_settings FOR UPDATE")
            yield AdminChange(conn, actor, await self._state_now(conn))

    async def _state_now(self, conn: Conn) -> Snapshot:
        """The state as of now, under the change's lock: the one this process holds if
        it is at the version now committed (versions are handed out in commit order,
        so a state read at that version holds every change up to it), else read."""
        if self._held is not None:
            cur = await conn.execute("SELECT version FROM routing_state")
            row = await cur.fetchone()
            held = self._held(int(row[0])) if row is not None else None
            if held is not None:
                return held
        return await _read_snapshot(conn)


#: What a tracking number's model needs, and no more (no timestamps to parse).
NUMBER_COLUMNS = (
    "SELECT number, label, line_id, primary_target, continuity_on, continuity_enabled,"
    " dest_kind, dest_target, test_mode, test_until, version FROM tracking_numbers"
)


async def _read_snapshot(conn: Conn) -> Snapshot:
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(
            "SELECT *, (SELECT version FROM routing_state) AS state_version FROM account_settings"
        )
        acc = await cur.fetchone()
        await cur.execute("SELECT * FROM lines")
        line_rows = await cur.fetchall()
        await cur.execute("SELECT * FROM forwarding_numbers ORDER BY added_at")
        forwarding = await cur.fetchall()
        await cur.execute(NUMBER_COLUMNS)
        number_rows = await cur.fetchall()
        await cur.execute("SELECT pattern FROM primary_numbers ORDER BY pattern")
        primary_rows = await cur.fetchall()
        hours = await load_hours(cur)
    if acc is None:
        raise RuntimeError("account_settings is empty: run `continuity db upgrade`")
    cache: rows.SettingsCache = {}
    by_line: dict[str, list[rows.Row]] = {}
    for f in forwarding:
        by_line.setdefault(f["line_id"], []).append(f)
    return Snapshot(
        account=rows.account(acc),
        lines=hours.apply({r["id"]: rows.line(r, by_line.get(r["id"], [])) for r in line_rows}),
        numbers={r["number"]: rows.tracking_number(r, cache) for r in number_rows},
        version=int(acc["state_version"]),
        primary_numbers=tuple(r["pattern"] for r in primary_rows),
        schedules=hours.schedules,
        default_schedule=hours.default,
    )


__all__ = ["AdminChange", "AuditEntry", "HeldState", "Store"]
