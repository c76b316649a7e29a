"""The PostgreSQL store: the routing snapshot and every admin change, with its audit entry.

Each change and its audit row commit in one transaction: there is no change
without its record, and no record of a change that did not happen.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

from continuity.core.model import AccountSettings, Line, Snapshot, TrackingNumber
from continuity.errors import (
    DuplicateLine,
    DuplicateTrackingNumber,
    LineInUse,
)
from db import rows
from db.hours import load_hours

Conn = psycopg.AsyncConnection[Any]


@dataclass(frozen=True, slots=True)
class AuditEntry:
    at: dt.datetime
    actor: str
    action: str
    subject: str
    old_value: Any
    new_value: Any


def _jsonable(values: Mapping[str, Any] | None) -> Jsonb | None:
    if values is None:
        return None
    return Jsonb(
        {k: (v.isoformat() if isinstance(v, dt.datetime) else v) for k, v in values.items()}
    )


class Store:
    """All SQL lives in this package. Every call borrows a connection from the pool."""

    def __init__(self, pool: AsyncConnectionPool) -> None:
        self.pool = pool

    # -- reading -----------------------------------------------------------------
    async def load_snapshot(self) -> Snapshot:
        async with (
            self.pool.connection() as conn,
            conn.transaction(),
            conn.cursor(row_factory=dict_row) as cur,
        ):
            await cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            await cur.execute(
                "SELECT *, (SELECT version FROM routing_state) AS version FROM account_settings"
            )
            acc = await cur.fetchone()
            await cur.execute("SELECT * FROM lines")
            line_rows = await cur.fetchall()
            await cur.execute("SELECT * FROM forwarding_numbers ORDER BY added_at")
            forwarding = await cur.fetchall()
            await cur.execute("SELECT * FROM tracking_numbers")
            number_rows = await cur.fetchall()
            await cur.execute("SELECT pattern FROM primary_numbers ORDER BY pattern")
            primary_rows = await cur.fetchall()
            hours = await load_hours(cur)
        if acc is None:
            raise RuntimeError("account_settings is empty: run `continuity db upgrade`")
        by_line: dict[str, list[rows.Row]] = {}
        for f in forwarding:
            by_line.setdefault(f["line_id"], []).append(f)
        return Snapshot(
            account=rows.account(acc),
            lines=hours.apply({r["id"]: rows.line(r, by_line.get(r["id"], [])) for r in line_rows}),
            numbers={r["number"]: rows.tracking_number(r) for r in number_rows},
            version=int(acc["version"]),
            primary_numbers=tuple(r["pattern"] for r in primary_rows),
            schedules=hours.schedules,
            default_schedule=hours.default,
        )

    async def audit_entries(self, limit: int = 50) -> list[AuditEntry]:
        async with self.pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(
                "SELECT at, actor, action, subject, old_value, new_value FROM audit_log"
                " ORDER BY id DESC LIMIT %s",
                (limit,),
            )
            return [AuditEntry(**r) for r in await cur.fetchall()]

    # -- tracking numbers ----------------------------------------------------------
    async def insert_number(self, actor: str, number: TrackingNumber) -> None:
        values = rows.number_columns(number)
        try:
            async with self.pool.connection() as conn, conn.transaction():
                await _insert(conn, "tracking_numbers", values)
                await _audit(conn, actor, "number.add", number.number, None, values)
        except psycopg.errors.UniqueViolation as exc:
            raise DuplicateTrackingNumber(number.number) from exc

    async def update_number(
        self, actor: str, old: TrackingNumber, new: TrackingNumber, action: str = "number.set"
    ) -> None:
        before, after = rows.number_columns(old), rows.number_columns(new)
        if before == after:
            return
        async with self.pool.connection() as conn, conn.transaction():
            await _update(conn, "tracking_numbers", "number", old.number, after)
            await _audit(conn, actor, action, old.number, before, after)

    async def delete_number(self, actor: str, number: TrackingNumber) -> None:
        async with self.pool.connection() as conn, conn.transaction():
            await conn.execute("DELETE FROM tracking_numbers WHERE number = %s", (number.number,))
            await _audit(
                conn, actor, "number.remove", number.number, rows.number_columns(number), None
            )

    # -- lines ---------------------------------------------------------------------
    async def insert_line(self, actor: str, line: Line) -> None:
        values = rows.line_columns(line)
        try:
            async with self.pool.connection() as conn, conn.transaction():
                await _insert(conn, "lines", values)
                await _audit(conn, actor, "line.add", line.id, None, values)
        except psycopg.errors.UniqueViolation as exc:
            raise DuplicateLine(line.id, line.kind.value) from exc

    async def update_line(self, actor: str, old: Line, new: Line, action: str = "line.set") -> None:
        before, after = rows.line_columns(old), rows.line_columns(new)
        if before == after:
            return
        async with self.pool.connection() as conn, conn.transaction():
            await _update(conn, "lines", "id", old.id, after)
            await _audit(conn, actor, action, old.id, before, after)

    async def delete_line(self, actor: str, line: Line) -> None:
        try:
            async with self.pool.connection() as conn, conn.transaction():
                await conn.execute("DELETE FROM lines WHERE id = %s", (line.id,))
                await _audit(conn, actor, "line.remove", line.id, rows.line_columns(line), None)
        except psycopg.errors.ForeignKeyViolation as exc:
            raise LineInUse(line.id) from exc

    async def add_forwarding(self, actor: str, line: str, number: str) -> None:
        async with self.pool.connection() as conn, conn.transaction():
            await conn.execute(
                "INSERT INTO forwarding_numbers (line_id, number) VALUES (%s, %s)",
                (line, number),
            )
            await _audit(conn, actor, "forwarding.add", line, None, {"number": number})

    async def verify_forwarding(
        self,
        actor: str,
        line: str,
        number: str,
        action: str = "forwarding.verify",
        detail: Mapping[str, Any] | None = None,
    ) -> None:
        async with self.pool.connection() as conn, conn.transaction():
            await conn.execute(
                "UPDATE forwarding_numbers SET verified_at = clock_timestamp()"
                " WHERE line_id = %s AND number = %s",
                (line, number),
            )
            await _audit(conn, actor, action, line, None, {"number": number, **(detail or {})})

    async def remove_forwarding(self, actor: str, line: str, number: str) -> None:
        async with self.pool.connection() as conn, conn.transaction():
            await conn.execute(
                "DELETE FROM forwarding_numbers WHERE line_id = %s AND number = %s",
                (line, number),
            )
            await _audit(conn, actor, "forwarding.remove", line, {"number": number}, None)

    # -- account -------------------------------------------------------------------
    async def update_account(self, actor: str, old: AccountSettings, new: AccountSettings) -> None:
        def columns(a: AccountSettings) -> dict[str, Any]:
            return {
                **rows.continuity_columns(a.continuity),
                "voice_agent": a.voice_agent,
                "failover_sip_codes": sorted(a.failover_sip_codes),
                "primary_timeout": a.primary_timeout,
            }

        if columns(old) == columns(new):
            return
        async with self.pool.connection() as conn, conn.transaction():
            await _update(conn, "account_settings", "id", True, columns(new))
            await _audit(conn, actor, "account.set", "account", columns(old), columns(new))


async def _insert(conn: Conn, table: str, values: Mapping[str, Any]) -> None:
    query = sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
        sql.Identifier(table),
        sql.SQL(", ").join(map(sql.Identifier, values)),
        sql.SQL(", ").join(sql.Placeholder() * len(values)),
    )
    await conn.execute(query, list(values.values()))


async def _update(
    conn: Conn, table: str, key: str, key_value: Any, values: Mapping[str, Any]
) -> None:
    query = sql.SQL("UPDATE {} SET {}, updated_at = now() WHERE {} = %s").format(
        sql.Identifier(table),
        sql.SQL(", ").join(sql.SQL("{} = %s").format(sql.Identifier(column)) for column in values),
        sql.Identifier(key),
    )
    await conn.execute(query, [*values.values(), key_value])


async def _audit(
    conn: Conn,
    actor: str,
    action: str,
    subject: str,
    old: Mapping[str, Any] | None,
    new: Mapping[str, Any] | None,
) -> None:
    await conn.execute(
        "INSERT INTO audit_log (actor, action, subject, old_value, new_value)"
        " VALUES (%s, %s, %s, %s, %s)",
        (actor, action, subject, _jsonable(old), _jsonable(new)),
    )
