"""A database of this package's own, migrated, and admin services on it.

No app listens to it: what a test stores is checked by rendering it, not by
a running ``serve``.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Coroutine, Iterator
from typing import Any, TypeVar

import pytest

from continuity.admin import Admin
from continuity.db import migrate
from continuity.db.pool import Pool
from continuity.db.store import Store
from localstack import temporary_database
from tests.scenario import reset_database

T = TypeVar("T")


@pytest.fixture(scope="package")
async def admin_db(database_url: str) -> AsyncIterator[str]:
    async with temporary_database(database_url, prefix="continuity_admin") as url:
        await migrate.upgrade(url)
        yield url


@pytest.fixture
async def admin_pool(admin_db: str) -> AsyncIterator[Pool]:
    """Room for several changes at once: they race for the account row's lock."""
    async with Pool(admin_db, open=False, min_size=4, max_size=8) as pool:
        await reset_database(pool)
        yield pool


@pytest.fixture
def admin(admin_pool: Pool) -> Admin:
    return Admin(Store(admin_pool), "test")


class LoopThread:
    """An event loop on a thread of its own, for tests Hypothesis calls synchronously."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=60)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)
        self.loop.close()


@pytest.fixture(scope="module")
def loop_thread() -> Iterator[LoopThread]:
    runner = LoopThread()
    yield runner
    runner.close()
