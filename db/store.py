"""The PostgreSQL store: reads the routing snapshot, edits numbers, writes call records."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

from continuity.core.model import (
    AccountSettings,
    Destination,
    DestinationKind,
    Snapshot,
    TrackingNumber,
)
from continuity.core.records import CallRecord
from continuity.errors import DuplicateTrackingNumber, UnknownTrackingNumber


def _destination(kind: str | None, target: str | None) -> Destination | None:
    if kind is None or target is None:
        return None
    return Destination(DestinationKind(kind), target)


@dataclass(frozen=True, slots=True)
class NumberChange:
    """Fields to change on a tracking number; ``None`` leaves a field as it is."""

    label: str | None = None
    primary_target: str | None = None
    #: ``True``/``False`` sets the switch; use ``inherit_enabled`` to clear it.
    continuity_enabled: bool | None = None
    inherit_enabled: bool = False
    destination: Destination | None = None
    clear_destination: bool = False


class Store:
    """All SQL lives here. Every call borrows a connection from the pool."""

    def __init__(self, pool: AsyncConnectionPool) -> None:
        self._pool = pool

    async def load_snapshot(self) -> Snapshot:
        async with (
            self._pool.connection() as conn,
            conn.transaction(),
            conn.cursor(row_factory=dict_row) as cur,
        ):
            await cur.execute(
                "SELECT continuity_enabled, default_kind, default_target,"
                " (SELECT last_value FROM routing_state_version) AS version FROM account_settings"
            )
            acc = await cur.fetchone()
            await cur.execute(
                "SELECT number, label, primary_target, continuity_enabled,"
                " continuity_kind, continuity_target FROM tracking_numbers"
            )
            rows = await cur.fetchall()
        account = AccountSettings()
        version = 0
        if acc is not None:
            account = AccountSettings(
                continuity_enabled=acc["continuity_enabled"],
                default_destination=_destination(acc["default_kind"], acc["default_target"]),
            )
            version = int(acc["version"])
        numbers = {
            row["number"]: TrackingNumber(
                number=row["number"],
                label=row["label"],
                primary_target=row["primary_target"],
                continuity_enabled=row["continuity_enabled"],
                continuity_destination=_destination(
                    row["continuity_kind"], row["continuity_target"]
                ),
            )
            for row in rows
        }
        return Snapshot(account=account, numbers=numbers, version=version)

    async def add_number(self, number: TrackingNumber) -> None:
        dest = number.continuity_destination
        try:
            async with self._pool.connection() as conn:
                await conn.execute(
                    "INSERT INTO tracking_numbers (number, label, primary_target,"
                    " continuity_enabled, continuity_kind, continuity_target)"
                    " VALUES (%s, %s, %s, %s, %s, %s)",
                    (
                        number.number,
                        number.label,
                        number.primary_target,
                        number.continuity_enabled,
                        dest.kind.value if dest else None,
                        dest.target if dest else None,
                    ),
                )
        except psycopg.errors.UniqueViolation as exc:
            raise DuplicateTrackingNumber(number.number) from exc

    async def change_number(self, number: str, change: NumberChange) -> None:
        async with self._pool.connection() as conn, conn.transaction():
            cur = await conn.execute(
                "SELECT number FROM tracking_numbers WHERE number = %s FOR UPDATE", (number,)
            )
            if await cur.fetchone() is None:
                raise UnknownTrackingNumber(number, await self._close_matches(conn, number))
            if change.label is not None:
                await conn.execute(
                    "UPDATE tracking_numbers SET label = %s WHERE number = %s",
                    (change.label, number),
                )
            if change.primary_target is not None:
                await conn.execute(
                    "UPDATE tracking_numbers SET primary_target = %s WHERE number = %s",
                    (change.primary_target, number),
                )
            if change.continuity_enabled is not None or change.inherit_enabled:
                await conn.execute(
                    "UPDATE tracking_numbers SET continuity_enabled = %s WHERE number = %s",
                    (None if change.inherit_enabled else change.continuity_enabled, number),
                )
            if change.destination is not None or change.clear_destination:
                dest = None if change.clear_destination else change.destination
                await conn.execute(
                    "UPDATE tracking_numbers SET continuity_kind = %s, continuity_target = %s"
                    " WHERE number = %s",
                    (dest.kind.value if dest else None, dest.target if dest else None, number),
                )
            await conn.execute(
                "UPDATE tracking_numbers SET updated_at = now() WHERE number = %s", (number,)
            )

    async def remove_number(self, number: str) -> None:
        async with self._pool.connection() as conn:
            cur = await conn.execute("DELETE FROM tracking_numbers WHERE number = %s", (number,))
            if cur.rowcount == 0:
                raise UnknownTrackingNumber(number, await self._close_matches(conn, number))

    async def set_account(
        self,
        *,
        enabled: bool | None = None,
        destination: Destination | None = None,
        clear_destination: bool = False,
    ) -> None:
        async with self._pool.connection() as conn, conn.transaction():
            if enabled is not None:
                await conn.execute(
                    "UPDATE account_settings SET continuity_enabled = %s, updated_at = now()",
                    (enabled,),
                )
            if destination is not None or clear_destination:
                dest = None if clear_destination else destination
                await conn.execute(
                    "UPDATE account_settings SET default_kind = %s, default_target = %s,"
                    " updated_at = now()",
                    (dest.kind.value if dest else None, dest.target if dest else None),
                )

    async def insert_call_records(self, records: list[CallRecord]) -> None:
        """Write records idempotently: a record already present is left as it is."""
        if not records:
            return
        async with self._pool.connection() as conn, conn.cursor() as cur:
            await cur.executemany(
                "INSERT INTO call_records (call_id, tracking_number, caller_number, caller_name,"
                " reason, attempts, answered_kind, answered_target, outcome, started_at,"
                " answered_at, ended_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
                " ON CONFLICT (call_id) DO NOTHING",
                [
                    (
                        r.call_id,
                        r.tracking_number,
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

    async def recent_call_records(self, limit: int = 20) -> list[CallRecord]:
        async with self._pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(
                "SELECT * FROM call_records ORDER BY started_at DESC LIMIT %s", (limit,)
            )
            rows = await cur.fetchall()
        return [
            CallRecord.from_json(
                {
                    **row,
                    "started_at": row["started_at"].isoformat(),
                    "ended_at": row["ended_at"].isoformat(),
                    "answered_at": row["answered_at"].isoformat() if row["answered_at"] else None,
                }
            )
            for row in rows
        ]

    @staticmethod
    async def _close_matches(conn: psycopg.AsyncConnection[object], number: str) -> list[str]:
        cur = await conn.execute("SELECT number FROM tracking_numbers")
        known = [str(row[0]) for row in await cur.fetchall()]  # type: ignore[index]
        return difflib.get_close_matches(number, known, n=3, cutoff=0.6)
