"""PostgreSQL fails over mid-traffic: calls keep routing and no call record is lost.

Both nodes get a multi-host URL with ``target_session_attrs=read-write`` naming a
primary and its streaming standby (two servers from Debian's binaries). The
primary dies and the standby is promoted while calls arrive; the app reconnects
to the new primary, and the records spooled meanwhile reach it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import psycopg
import pytest

from continuity.admin import Admin
from continuity.core.model import TrackingNumber
from continuity.db import migrate
from continuity.db.pool import Pool
from continuity.db.records import CallRecordStore
from continuity.db.store import Store
from localstack import LocalStack
from localstack.pgpair import PostgresPair
from tests.ha.conftest import TRACKING, NodeApps
from tests.ha.test_nodes import answered_by_primary


@pytest.fixture(scope="module")
async def pair() -> AsyncIterator[PostgresPair]:
    async with PostgresPair() as servers:
        async with await psycopg.AsyncConnection.connect(servers.url(), autocommit=True) as conn:
            await conn.execute("CREATE DATABASE continuity")
        url = servers.url("continuity")
        await migrate.upgrade(url)
        async with Pool(url, open=False, min_size=1) as pool:
            await Admin(Store(pool), "test").add_number(TrackingNumber(TRACKING, "Website"))
        await servers.replicated()
        yield servers


async def recorded_callers(url: str) -> set[str]:
    async with Pool(url, open=False, min_size=1) as pool:
        return {r.caller_number for r in await CallRecordStore(pool).recent(1000, TRACKING)}


async def test_the_database_fails_over_mid_traffic_and_every_call_keeps_its_record(
    cluster: LocalStack, pair: PostgresPair, tmp_path_factory: pytest.TempPathFactory
) -> None:
    url = pair.url("continuity")
    apps = NodeApps(cluster, url, tmp_path_factory)
    try:
        for node in cluster.nodes:
            await apps.start(node, node.name)
        before = [f"+1555040{i:04d}" for i in range(6)]
        for caller in before:
            await cluster.place_call(TRACKING, caller, hold_seconds=1)
        assert await answered_by_primary(cluster, before, timeout=15) == set(before)

        await pair.fail_over()
        during = [f"+1555050{i:04d}" for i in range(10)]
        for caller in during:
            await cluster.place_call(TRACKING, caller, hold_seconds=1)
            await asyncio.sleep(0.25)
        assert await answered_by_primary(cluster, during, timeout=20) == set(during)

        async with asyncio.timeout(30):
            while missing := set(before + during) - await recorded_callers(url):
                await asyncio.sleep(0.5)
        assert not missing
    finally:
        await apps.stop_all()
