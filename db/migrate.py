"""Apply the versioned SQL files in ``db/migrations`` in order.

Idempotent (applied versions are recorded), all pending files in one
transaction, and guarded by an advisory lock so two upgrades never race.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from importlib import resources

import psycopg

from continuity.db.errors import translated

log = logging.getLogger(__name__)

#: Arbitrary but fixed: the advisory lock key for schema upgrades.
_LOCK_KEY = 0x0C0471


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    text: str


def available() -> list[Migration]:
    folder = resources.files("continuity.db") / "migrations"
    found: list[Migration] = []
    for entry in folder.iterdir():
        if not entry.name.endswith(".sql"):
            continue
        head = entry.name.split("_", 1)[0]
        if not head.isdigit():
            raise RuntimeError(f"migration file {entry.name} must start with a version number")
        found.append(Migration(int(head), entry.name, entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise RuntimeError(f"two migration files share a version: {versions}")
    return found


async def upgrade(conninfo: str) -> list[str]:
    """Apply pending migrations; return the names applied (empty when current)."""
    with translated():
        return await _upgrade(conninfo)


async def _upgrade(conninfo: str) -> list[str]:
    async with await psycopg.AsyncConnection.connect(conninfo) as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version integer PRIMARY KEY, name text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        cur = await conn.execute("SELECT version FROM schema_migrations")
        done = {row[0] for row in await cur.fetchall()}
        applied: list[str] = []
        for migration in available():
            if migration.version in done:
                continue
            log.info("applying migration %s", migration.name)
            # A file is a script of several statements: sent as-is, without parameters.
            await conn.execute(migration.text.encode())
            await conn.execute(
                "INSERT INTO schema_migrations (version, name) VALUES (%s, %s)",
                (migration.version, migration.name),
            )
            applied.append(migration.name)
        return applied


async def pending(conninfo: str) -> list[str]:
    """The migrations not applied yet (all of them on an empty database)."""
    with translated():
        return await _pending(conninfo)


async def _pending(conninfo: str) -> list[str]:
    async with await psycopg.AsyncConnection.connect(conninfo, connect_timeout=5) as conn:
        cur = await conn.execute("SELECT to_regclass('schema_migrations') IS NOT NULL")
        row = await cur.fetchone()
        done: set[int] = set()
        if row is not None and row[0]:
            cur = await conn.execute("SELECT version FROM schema_migrations")
            done = {r[0] for r in await cur.fetchall()}
        return [m.name for m in available() if m.version not in done]
