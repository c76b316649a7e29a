"""Connection pools whose connections speak the product's errors, never the driver's.

Every store takes a :class:`Pool`. Whatever goes wrong inside ``async with
pool.connection()`` (getting the connection, or the statements run on it) leaves
as a :class:`continuity.errors.StoreError` (see :mod:`continuity.db.errors`), so
the services above catch "the store is unavailable", never ``psycopg.Error``.
The composition root builds pools with :func:`service_pool` and
:func:`short_pool`, and so never imports the driver.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import psycopg
from psycopg_pool import AsyncConnectionPool

from continuity.db.errors import translated
from continuity.errors import StoreUnavailable

#: Seconds to wait for a connection (and for the server to answer a connect).
TIMEOUT = 5.0


class Pool(AsyncConnectionPool[psycopg.AsyncConnection[Any]]):
    """psycopg_pool's pool, with every connection's errors translated."""

    @asynccontextmanager
    async def connection(
        self, timeout: float | None = None
    ) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
        with translated():
            async with super().connection(timeout) as conn:
                yield conn


def service_pool(url: str, max_size: int = 4) -> Pool:
    """A long-lived pool that opens in the background (``await pool.open(wait=False)``):
    a service starts even while PostgreSQL is down, and reconnects forever."""
    return Pool(
        url,
        open=False,
        min_size=1,
        max_size=max_size,
        timeout=TIMEOUT,
        kwargs={"connect_timeout": int(TIMEOUT)},
        reconnect_timeout=0,
    )


@asynccontextmanager
async def short_pool(url: str) -> AsyncIterator[Pool]:
    """One connection for one command: open now or raise :class:`StoreUnavailable`."""
    pool = Pool(
        url,
        open=False,
        min_size=1,
        max_size=1,
        timeout=TIMEOUT,
        kwargs={"connect_timeout": int(TIMEOUT)},
    )
    try:
        await pool.open(wait=True, timeout=TIMEOUT)
    except psycopg.OperationalError as exc:  # PoolTimeout is one
        await pool.close()
        raise StoreUnavailable(str(exc).strip() or type(exc).__name__) from exc
    try:
        yield pool
    finally:
        await pool.close()
