"""The HA stack: Kamailio, two pbx nodes, the carrier and the primary; one database.

Each test module gets its own stack (a node-loss test leaves a node dead) and
its own database. ``node_app(node, name)`` starts ``continuity serve`` for one
node; a test may stop it early, as a crash would.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from continuity import names
from continuity.admin import Admin
from continuity.compose import App
from continuity.core.model import TrackingNumber
from continuity.db import migrate
from continuity.db.pool import Pool
from continuity.db.store import Store
from continuity.proxy_templates.render import ProxySettings
from localstack import LocalStack, temporary_database
from localstack.instance import AsteriskInstance
from localstack.product import node_config, running_app, wait_for_state
from tests.outage.settings import QUALIFY_FREQUENCY, QUALIFY_TIMEOUT

TRACKING = "+12125550101"
#: The generated config's own probing and failover settings; log level 2 (info) logs
#: where the proxy sent each INVITE, which joins every call to its node.
PROXY_SETTINGS = ProxySettings(log_level=2)


@pytest.fixture(scope="module")
async def cluster(rootfs: Path) -> AsyncIterator[LocalStack]:
    async with LocalStack(
        rootfs, nodes=2, qualify_frequency=QUALIFY_FREQUENCY, qualify_timeout=QUALIFY_TIMEOUT,
        proxy_settings=PROXY_SETTINGS,
    ) as stack:
        yield stack


@pytest.fixture(scope="module")
async def cluster_db(database_url: str) -> AsyncIterator[str]:
    """The database both nodes share, with one tracking number routed to the primary."""
    async with temporary_database(database_url) as url:
        await migrate.upgrade(url)
        async with Pool(url, open=False, min_size=1, max_size=2) as pool:
            await Admin(Store(pool), "test").add_number(TrackingNumber(TRACKING, "Website"))
        yield url


class NodeApps:
    """``continuity serve`` per node, each caught up and its primary trunk qualified."""

    def __init__(
        self, cluster: LocalStack, database_url: str, tmp: pytest.TempPathFactory
    ) -> None:
        self._cluster = cluster
        self._database_url = database_url
        self._tmp = tmp
        self._running: dict[int, contextlib.AsyncExitStack] = {}

    async def start(self, node: AsteriskInstance, name: str, **settings: object) -> App:
        config = node_config(
            self._cluster, node, self._database_url, self._tmp.mktemp(f"state-{name}"),
            node_name=name, node_sip_uri=node.sip_uri, **settings,
        )
        running = contextlib.AsyncExitStack()
        app = await running.enter_async_context(running_app(config))
        self._running[id(app)] = running
        await self._cluster.wait_reachable(names.ENDPOINT_PRIMARY, node=node)
        async with Pool(self._database_url, open=False, min_size=1) as pool:
            version = (await Store(pool).load_snapshot()).version
        await wait_for_state(app, version)
        return app

    async def stop(self, app: App) -> None:
        """The node's serve ends, and with it its database sessions (as a crash would)."""
        await self._running.pop(id(app)).aclose()

    async def stop_all(self) -> None:
        for running in self._running.values():
            await running.aclose()
        self._running.clear()


@pytest.fixture
async def node_apps(
    cluster: LocalStack, cluster_db: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[NodeApps]:
    apps = NodeApps(cluster, cluster_db, tmp_path_factory)
    yield apps
    await apps.stop_all()
    cluster.thaw_primary()


async def until(condition: Callable[[], bool], timeout: float) -> float:
    """Wait for ``condition``; the seconds it took. ``TimeoutError`` past ``timeout``."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.05)
    return loop.time() - start
