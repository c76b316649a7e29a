"""The leader lease against real PostgreSQL: a hung leader is fenced off and replaced."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import psycopg
import pytest

from continuity.db import migrate
from continuity.db.leader import LeaderLease, check_fence
from continuity.errors import NotLeader, StoreUnavailable
from localstack import temporary_database

TTL = 1.0


@pytest.fixture
async def lease_db(database_url: str) -> AsyncIterator[str]:
    async with temporary_database(database_url) as url:
        await migrate.upgrade(url)
        yield url


async def fenced_write(url: str, token: int) -> None:
    async with await psycopg.AsyncConnection.connect(url) as conn, conn.transaction():
        await check_fence(conn, token)


async def test_a_leader_that_stops_renewing_is_replaced_and_its_stale_writes_refused(
    lease_db: str,
) -> None:
    hung, other = LeaderLease(lease_db, "node-a", TTL), LeaderLease(lease_db, "node-b", TTL)
    try:
        first = await hung.try_acquire()
        assert first is not None
        assert await other.try_acquire() is None  # the lock is held and the lease is fresh
        await fenced_write(lease_db, first)

        # node-a hangs: it neither renews nor closes its session.
        await asyncio.sleep(TTL + 0.5)
        assert await other.try_acquire() is None  # this round ends node-a's session...
        second = await other.try_acquire()  # ...and the next one takes the lock
        assert second is not None and second > first

        # node-a wakes up: its session is gone, and a new one does not hold the lease.
        with pytest.raises(StoreUnavailable):
            await hung.renew(first)
        assert await hung.renew(first) is False
        with pytest.raises(NotLeader):
            await fenced_write(lease_db, first)
        await fenced_write(lease_db, second)
    finally:
        await hung.release()
        await other.release()
