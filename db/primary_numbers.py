"""The primary system's numbers in PostgreSQL; writes run inside an admin change's transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.rows import dict_row

from continuity.db.audit import audit
from continuity.db.pool import Pool


@dataclass(frozen=True, slots=True)
class PrimaryNumberEntry:
    pattern: str
    added_by: str
    added_at: dt.datetime


class PrimaryNumberStore:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def entries(self) -> list[PrimaryNumberEntry]:
        async with self._pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(
                "SELECT pattern, added_by, added_at FROM primary_numbers ORDER BY pattern"
            )
            return [PrimaryNumberEntry(**row) for row in await cur.fetchall()]


async def add_patterns(
    conn: psycopg.AsyncConnection[Any], actor: str, patterns: Sequence[str], action: str
) -> None:
    """Insert every pattern, inside the admin change's transaction."""
    for pattern in patterns:
        await conn.execute(
            "INSERT INTO primary_numbers (pattern, added_by) VALUES (%s, %s)", (pattern, actor)
        )
        await audit(conn, actor, action, pattern, None, {"pattern": pattern})


async def remove_pattern(conn: psycopg.AsyncConnection[Any], actor: str, pattern: str) -> bool:
    cur = await conn.execute(
        "DELETE FROM primary_numbers WHERE pattern = %s RETURNING pattern", (pattern,)
    )
    if await cur.fetchone() is None:
        return False
    await audit(conn, actor, "primary-number.remove", pattern, {"pattern": pattern}, None)
    return True
