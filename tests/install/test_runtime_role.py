"""Issue 12: the runtime role `db upgrade --grant-runtime` makes can route and record
calls (DML, LISTEN) and nothing more, against real PostgreSQL."""

from __future__ import annotations

import psycopg
import pytest

from continuity.db import migrate, roles
from localstack import temporary_database
from localstack.postgres import as_role, temporary_role


async def test_the_runtime_role_changes_rows_and_listens_but_cannot_change_the_schema(
    database_url: str,
) -> None:
    async with temporary_role(database_url) as runtime, temporary_database(database_url) as url:
        await migrate.upgrade(url)
        await roles.grant_runtime(url, runtime[0])
        await roles.grant_runtime(url, runtime[0])  # again: idempotent

        async with await psycopg.AsyncConnection.connect(
            as_role(url, *runtime), autocommit=True
        ) as conn:
            await conn.execute("LISTEN continuity_changed")
            await conn.execute(
                "INSERT INTO lines (id, kind, name) VALUES ('sales', 'department', 'Sales')"
            )
            cur = await conn.execute("SELECT pin FROM voicemail_boxes WHERE line_id = 'sales'")
            assert (await cur.fetchone()) is not None  # the new line's box got its PIN
            await conn.execute("DELETE FROM lines WHERE id = 'sales'")
            for statement in (
                "CREATE TABLE intruder (id int)",
                "DROP TABLE call_records",
                "ALTER TABLE lines ADD COLUMN x int",
                "DELETE FROM schema_migrations",
            ):
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    await conn.execute(statement)


async def test_granting_a_role_that_does_not_exist_or_is_the_owner_is_refused(
    database_url: str,
) -> None:
    async with temporary_database(database_url) as url:
        await migrate.upgrade(url)
        with pytest.raises(roles.RuntimeRoleError, match="CREATE ROLE"):
            await roles.grant_runtime(url, "continuity_no_such_role")
        with pytest.raises(roles.RuntimeRoleError, match="separate role"):
            await roles.grant_runtime(url, "postgres")
