"""The runtime role: what ``continuity serve`` and the admin commands need, and no more.

The schema belongs to the role that runs ``continuity db upgrade`` (the owner).
:func:`grant_runtime` gives another role DML on the product's tables and nothing
else: no DDL, no ownership, no rewriting of the migration history. LISTEN and
``pg_notify`` need no grant. Default privileges cover tables later migrations
add, and the grant is re-run by every ``db upgrade --grant-runtime``.
"""

from __future__ import annotations

import psycopg
from psycopg import sql

from continuity.db.errors import translated
from continuity.errors import ContinuityError

SCHEMA = "public"
#: The migration history: readable by the runtime, never written by it.
HISTORY = "schema_migrations"


class RuntimeRoleError(ContinuityError):
    """The runtime role cannot be granted as asked; the message says how to fix it."""


async def grant_runtime(conninfo: str, role: str) -> None:
    """Grant ``role`` DML (SELECT, INSERT, UPDATE, DELETE) on every table; idempotent."""
    with translated():
        await _grant(conninfo, role)


async def _grant(conninfo: str, role: str) -> None:
    async with await psycopg.AsyncConnection.connect(conninfo) as conn, conn.transaction():
        cur = await conn.execute(
            "SELECT rolsuper, rolname = current_user FROM pg_roles WHERE rolname = %s", (role,)
        )
        row = await cur.fetchone()
        if row is None:
            raise RuntimeRoleError(
                f"PostgreSQL has no role {role!r}. Create it first, as a superuser: "
                f"CREATE ROLE {role} LOGIN PASSWORD '...'"
            )
        superuser, is_owner = row
        if superuser or is_owner:
            what = "a superuser" if superuser else "the role running this upgrade (the owner)"
            raise RuntimeRoleError(
                f"{role!r} is {what}: the runtime role must be a separate role without "
                "privileges of its own. Create one with CREATE ROLE NAME LOGIN PASSWORD '...'"
            )
        ident, schema = sql.Identifier(role), sql.Identifier(SCHEMA)
        cur = await conn.execute("SELECT current_database()")
        database = (await cur.fetchone() or ("",))[0]
        statements = [
            sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(sql.Identifier(database), ident),
            sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(schema, ident),
            *(
                sql.SQL(text).format(schema, ident)
                for text in (
                    "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {} TO {}",
                    "GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {} TO {}",
                    "ALTER DEFAULT PRIVILEGES IN SCHEMA {} "
                    "GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {}",
                    "ALTER DEFAULT PRIVILEGES IN SCHEMA {} GRANT USAGE, SELECT ON SEQUENCES TO {}",
                )
            ),
        ]
        for statement in statements:
            await conn.execute(statement)
        await conn.execute(
            sql.SQL("REVOKE INSERT, UPDATE, DELETE ON {}.{} FROM {}").format(
                schema, sql.Identifier(HISTORY), ident
            )
        )
