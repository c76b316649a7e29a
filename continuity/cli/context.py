"""What a CLI command gets: the config and a store on a short-lived pool."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import psycopg
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from continuity.config import Config
from continuity.errors import DatabaseUnavailable
from db.store import Store


@asynccontextmanager
async def open_store(config: Config) -> AsyncIterator[Store]:
    pool = AsyncConnectionPool(
        config.database_url,
        open=False,
        min_size=1,
        max_size=1,
        timeout=5.0,
        kwargs={"connect_timeout": 5},
    )
    try:
        await pool.open(wait=True, timeout=5.0)
    except (PoolTimeout, psycopg.OperationalError) as exc:
        await pool.close()
        raise DatabaseUnavailable(str(exc)) from exc
    try:
        yield Store(pool)
    finally:
        await pool.close()
