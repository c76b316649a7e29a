"""What the PostgreSQL adapter raises: the product's errors, never the driver's.

Services catch ``StoreError`` and its kinds; these scenarios prove the adapter
raises them for a server that is down, a schema that is behind, and a refused write.
"""

from __future__ import annotations

import psycopg
import pytest

from continuity.db.pool import service_pool, short_pool
from continuity.db.records import CallRecordStore
from continuity.db.store import Store
from continuity.errors import ChangeRejected, SchemaOutdated, StoreError, StoreUnavailable
from localstack import temporary_database

#: Nothing listens on port 1 of loopback.
NOWHERE = "postgresql://postgres@127.0.0.1:1/none"


async def test_a_command_against_a_stopped_server_gets_store_unavailable() -> None:
    with pytest.raises(StoreUnavailable) as caught:
        async with short_pool(NOWHERE):
            pass
    assert "PostgreSQL is not reachable" in str(caught.value)
    assert caught.value.detail  # the server's own words, for the doctor


async def test_a_service_reading_while_the_server_is_down_gets_store_unavailable() -> None:
    """The service's pool opens in the background; a read waits its timeout, then says so."""
    pool = service_pool(NOWHERE)
    await pool.open(wait=False)
    try:
        with pytest.raises(StoreUnavailable):
            await Store(pool).load_snapshot()
    finally:
        await pool.close()


async def test_reading_a_database_never_upgraded_says_to_upgrade(database_url: str) -> None:
    async with (
        temporary_database(database_url, prefix="continuity_schema") as url,
        short_pool(url) as pool,
    ):
        with pytest.raises(SchemaOutdated, match="continuity db upgrade") as caught:
            await CallRecordStore(pool).recent(5)
    assert isinstance(caught.value.__cause__, psycopg.errors.UndefinedTable)


async def test_a_statement_the_database_refuses_is_change_rejected(admin_db: str) -> None:
    async with short_pool(admin_db) as pool:
        with pytest.raises(ChangeRejected, match="Nothing was written") as caught:
            async with pool.connection() as conn:
                await conn.execute("INSERT INTO lines (id) VALUES (NULL)")
    assert isinstance(caught.value, StoreError)
    assert isinstance(caught.value.__cause__, psycopg.IntegrityError)
