"""Bulk writes of tracking numbers, for imports of tens of thousands of rows.

New rows go in with ``COPY ... FROM STDIN`` (one round trip for all of them);
changed rows with one ``executemany`` of versioned UPDATEs, which psycopg sends
pipelined. Both run inside the caller's transaction: the import commits whole.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg import sql

from continuity.core.model import TrackingNumber
from continuity.db import rows
from continuity.errors import StaleVersion

Conn = psycopg.AsyncConnection[Any]

#: The columns an import writes, in ``rows.number_columns`` order.
COLUMNS: tuple[str, ...] = tuple(rows.number_columns(TrackingNumber("+10000000000")))


async def copy_numbers(conn: Conn, numbers: Sequence[TrackingNumber]) -> None:
    query = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier("tracking_numbers"), sql.SQL(", ").join(map(sql.Identifier, COLUMNS))
    )
    async with conn.cursor() as cur, cur.copy(query) as copy:
        for number in numbers:
            await copy.write_row(tuple(rows.number_columns(number).values()))


async def update_numbers(
    conn: Conn, changed: Sequence[tuple[TrackingNumber, TrackingNumber]]
) -> None:
    """Each (old, new): the row is updated only while it is still at old's version."""
    query = sql.SQL(
        "UPDATE {} SET {}, updated_at = now() WHERE number = %s AND version = %s"
    ).format(
        sql.Identifier("tracking_numbers"),
        sql.SQL(", ").join(sql.SQL("{} = %s").format(sql.Identifier(c)) for c in COLUMNS),
    )
    params = [[*rows.number_columns(new).values(), old.number, old.version] for old, new in changed]
    async with conn.cursor() as cur:
        await cur.executemany(query, params)
        if cur.rowcount != len(changed):
            raise StaleVersion(
                f"{len(changed) - cur.rowcount} of the tracking numbers being imported", 0, 0
            )
