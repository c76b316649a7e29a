"""The writes of one admin change, each with its audit row, inside the change's transaction.

Every UPDATE and DELETE names the version it read: a row at another version
is refused as :class:`StaleVersion` (the database bumps versions itself).
Audit rows carry the version too, so for each object the old value of one
row is exactly the new value of the row before it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import psycopg
from psycopg import sql

from continuity.core.hours import Schedule
from continuity.core.model import AccountSettings, Line, Snapshot, TrackingNumber
from continuity.db import bulk, hours, primary_numbers, rows
from continuity.db.audit import audit
from continuity.errors import (
    DuplicateLine,
    DuplicateTrackingNumber,
    InvalidSetting,
    LineInUse,
    StaleVersion,
)

Conn = psycopg.AsyncConnection[Any]


class AdminChange:
    def __init__(self, conn: Conn, actor: str, snapshot: Snapshot) -> None:
        self._conn = conn
        self._actor = actor
        #: The state read under the change's lock: what the change is checked against.
        self.snapshot = snapshot

    async def _audit(
        self,
        action: str,
        subject: str,
        old: Mapping[str, Any] | None,
        new: Mapping[str, Any] | None,
    ) -> None:
        await audit(self._conn, self._actor, action, subject, old, new)

    # -- tracking numbers ----------------------------------------------------------
    async def insert_number(self, number: TrackingNumber) -> None:
        values = rows.number_columns(number)
        try:
            version = await _insert(self._conn, "tracking_numbers", values)
        except psycopg.errors.UniqueViolation as exc:
            raise DuplicateTrackingNumber(number.number) from exc
        await self._audit("number.add", number.number, None, {**values, "version": version})

    async def update_number(
        self, old: TrackingNumber, new: TrackingNumber, action: str = "number.set"
    ) -> None:
        before, after = rows.number_columns(old), rows.number_columns(new)
        if before == after:
            return
        version = await _update(
            self._conn, "tracking_numbers", "number", old.number, old.version, after,
            f"tracking number {old.number}",
        )  # fmt: skip
        await self._audit(
            action, old.number, {**before, "version": old.version},
            {**after, "version": version},
        )  # fmt: skip

    async def delete_number(self, number: TrackingNumber) -> None:
        await _delete(
            self._conn, "tracking_numbers", "number", number.number, number.version,
            f"tracking number {number.number}",
        )  # fmt: skip
        values = {**rows.number_columns(number), "version": number.version}
        await self._audit("number.remove", number.number, values, None)

    async def import_numbers(
        self,
        added: Sequence[TrackingNumber],
        changed: Sequence[tuple[TrackingNumber, TrackingNumber]],
        summary: Mapping[str, Any],
    ) -> None:
        """Many numbers in this transaction: new ones by COPY, changed ones in one
        pipelined batch of versioned UPDATEs; one audit row summarises them."""
        if added:
            await bulk.copy_numbers(self._conn, added)
        if changed:
            await bulk.update_numbers(self._conn, changed)
        await self._audit("number.import", "tracking numbers", None, summary)

    # -- lines ---------------------------------------------------------------------
    async def insert_line(self, line: Line) -> None:
        values = rows.line_columns(line)
        try:
            version = await _insert(self._conn, "lines", values)
        except psycopg.errors.UniqueViolation as exc:
            raise DuplicateLine(line.id, line.kind.value) from exc
        await self._audit("line.add", line.id, None, {**values, "version": version})

    async def update_line(self, old: Line, new: Line, action: str = "line.set") -> None:
        before, after = rows.line_columns(old), rows.line_columns(new)
        if before == after:
            return
        version = await _update(
            self._conn, "lines", "id", old.id, old.version, after, f"line {old.id}"
        )
        await self._audit(
            action, old.id, {**before, "version": old.version}, {**after, "version": version}
        )

    async def delete_line(self, line: Line) -> None:
        try:
            await _delete(self._conn, "lines", "id", line.id, line.version, f"line {line.id}")
        except psycopg.errors.ForeignKeyViolation as exc:
            raise LineInUse(line.id, ["tracking numbers"]) from exc
        values = {**rows.line_columns(line), "version": line.version}
        await self._audit("line.remove", line.id, values, None)

    async def add_forwarding(self, line: str, number: str) -> None:
        try:
            await self._conn.execute(
                "INSERT INTO forwarding_numbers (line_id, number) VALUES (%s, %s)",
                (line, number),
            )
        except psycopg.errors.UniqueViolation as exc:
            raise InvalidSetting(
                f"{number} is already a forwarding number of line {line!r}", "number"
            ) from exc
        await self._audit("forwarding.add", line, None, {"number": number})

    async def verify_forwarding(
        self,
        line: str,
        number: str,
        action: str = "forwarding.verify",
        detail: Mapping[str, Any] | None = None,
    ) -> None:
        await self._conn.execute(
            "UPDATE forwarding_numbers SET verified_at = clock_timestamp()"
            " WHERE line_id = %s AND number = %s",
            (line, number),
        )
        await self._audit(action, line, None, {"number": number, **(detail or {})})

    async def remove_forwarding(self, line: str, number: str) -> None:
        await self._conn.execute(
            "DELETE FROM forwarding_numbers WHERE line_id = %s AND number = %s",
            (line, number),
        )
        await self._audit("forwarding.remove", line, {"number": number}, None)

    # -- account -------------------------------------------------------------------
    async def update_account(self, old: AccountSettings, new: AccountSettings) -> None:
        before, after = rows.account_columns(old), rows.account_columns(new)
        if before == after:
            return
        version = await _update(
            self._conn, "account_settings", "id", True, old.version, after, "the account"
        )
        await self._audit(
            "account.set", "account", {**before, "version": old.version},
            {**after, "version": version},
        )  # fmt: skip

    # -- numbers the primary system hosts -----------------------------------------
    async def add_primary_numbers(self, patterns: Sequence[str], action: str) -> None:
        await primary_numbers.add_patterns(self._conn, self._actor, patterns, action)

    async def remove_primary_number(self, pattern: str) -> bool:
        """Whether it was listed (and is now removed)."""
        return await primary_numbers.remove_pattern(self._conn, self._actor, pattern)

    # -- business hours -------------------------------------------------------------
    async def save_schedule(
        self, old: Schedule | None, new: Schedule, default: bool | None
    ) -> None:
        await hours.save_schedule(self._conn, self._actor, old, new, default)

    async def remove_schedule(self, schedule: Schedule) -> None:
        await hours.remove_schedule(self._conn, self._actor, schedule)

    async def save_line_hours(self, old: Line, new: Line) -> None:
        await hours.save_line_hours(self._conn, self._actor, old, new)


async def _insert(conn: Conn, table: str, values: Mapping[str, Any]) -> int:
    """Insert a row; return its version."""
    query = sql.SQL("INSERT INTO {} ({}) VALUES ({}) RETURNING version").format(
        sql.Identifier(table),
        sql.SQL(", ").join(map(sql.Identifier, values)),
        sql.SQL(", ").join(sql.Placeholder() * len(values)),
    )
    cur = await conn.execute(query, list(values.values()))
    row = await cur.fetchone()
    if row is None:
        raise RuntimeError(f"INSERT INTO {table} returned no row")
    return int(row[0])


async def _update(
    conn: Conn,
    table: str,
    key: str,
    key_value: Any,
    version: int,
    values: Mapping[str, Any],
    subject: str,
) -> int:
    """Update the row if it is still at ``version``; return the version it is at now."""
    query = sql.SQL(
        "UPDATE {} SET {}, updated_at = now() WHERE {} = %s AND version = %s RETURNING version"
    ).format(
        sql.Identifier(table),
        sql.SQL(", ").join(sql.SQL("{} = %s").format(sql.Identifier(column)) for column in values),
        sql.Identifier(key),
    )
    cur = await conn.execute(query, [*values.values(), key_value, version])
    row = await cur.fetchone()
    if row is None:
        raise StaleVersion(subject, version, await _version(conn, table, key, key_value))
    return int(row[0])


async def _delete(
    conn: Conn, table: str, key: str, key_value: Any, version: int, subject: str
) -> None:
    query = sql.SQL("DELETE FROM {} WHERE {} = %s AND version = %s RETURNING version").format(
        sql.Identifier(table), sql.Identifier(key)
    )
    cur = await conn.execute(query, (key_value, version))
    if await cur.fetchone() is None:
        raise StaleVersion(subject, version, await _version(conn, table, key, key_value))


async def _version(conn: Conn, table: str, key: str, key_value: Any) -> int:
    """The row's version now; 0 when it is gone."""
    query = sql.SQL("SELECT version FROM {} WHERE {} = %s").format(
        sql.Identifier(table), sql.Identifier(key)
    )
    cur = await conn.execute(query, (key_value,))
    row = await cur.fetchone()
    return 0 if row is None else int(row[0])
