"""Session fixtures: the real local stack (pbx + carrier), PostgreSQL, and the product.

Asterisk and PostgreSQL are real, started once per session; state is reset
before every test. On a failing test the logs both instances wrote during
that test are attached to the report. Where Asterisk or PostgreSQL cannot
be started the tests fail; they never skip in CI.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Generator, Iterator
from pathlib import Path

import pytest

from continuity import names
from continuity.admin import Admin
from continuity.compose import App
from continuity.db import migrate, roles
from continuity.db.pool import Pool
from continuity.db.store import Store
from localstack import LocalStack, ensure_rootfs, resolve_database_url, temporary_database
from localstack.instance import AsteriskInstance
from localstack.logs import LogMark
from localstack.postgres import as_role, temporary_role
from localstack.product import product_config, running_app
from localstack.tcpproxy import TcpProxy
from tests.outage.receiver import WebhookReceiver
from tests.outage.settings import QUALIFY_FREQUENCY, QUALIFY_TIMEOUT, outage_settings
from tests.scenario import Scenario, reset_database

_WATCHED = pytest.StashKey[list[tuple[AsteriskInstance, LogMark]]]()


def _require_root() -> None:
    if os.geteuid() != 0 and os.environ.get("CI") != "true":
        # Outside CI only, and only for a non-root user: with CI=true this fails instead.
        pytest.skip("the local Asterisk stack runs with chroot and needs root")  # allowed-skip


@pytest.fixture(scope="session")
def rootfs(pytestconfig: pytest.Config) -> Iterator[Path]:
    """The cached Asterisk rootfs, built on first use (progress shown live)."""
    _require_root()
    capture = pytestconfig.pluginmanager.getplugin("capturemanager")
    if capture is None:
        yield ensure_rootfs()
        return
    with capture.global_and_fixture_disabled():
        path = ensure_rootfs()
    yield path


@pytest.fixture(scope="session")
async def local_stack(rootfs: Path) -> AsyncIterator[LocalStack]:
    async with LocalStack(
        rootfs, qualify_frequency=QUALIFY_FREQUENCY, qualify_timeout=QUALIFY_TIMEOUT
    ) as stack:
        yield stack


@pytest.fixture
async def stack(
    local_stack: LocalStack, request: pytest.FixtureRequest
) -> AsyncIterator[LocalStack]:
    """The session's stack, reset: no calls up, every number answers, no observations."""
    await local_stack.reset()
    _watch(request, local_stack.pbx, local_stack.carrier)
    yield local_stack


AttachLogs = Callable[[AsteriskInstance], None]


@pytest.fixture
def attach_logs(request: pytest.FixtureRequest) -> AttachLogs:
    """``attach_logs(instance)``: its logs from now on go to the report if the test fails."""
    return lambda instance: _watch(request, instance)


def _watch(request: pytest.FixtureRequest, *instances: AsteriskInstance) -> None:
    watched = request.node.stash.setdefault(_WATCHED, [])
    watched.extend((instance, instance.log_mark()) for instance in instances)


@pytest.fixture(scope="session")
async def database_url() -> str:
    """A PostgreSQL server: $CONTINUITY_DATABASE_URL, 127.0.0.1:5432, or Debian's cluster."""
    return await resolve_database_url()


@pytest.fixture(scope="session")
async def runtime_role(database_url: str) -> AsyncIterator[tuple[str, str]]:
    """The least-privilege role ``serve`` runs as: ``(name, password)``."""
    async with temporary_role(database_url) as role:
        yield role


@pytest.fixture(scope="session")
async def product_db(database_url: str, runtime_role: tuple[str, str]) -> AsyncIterator[str]:
    """A database of our own for the session, migrated (``db upgrade --grant-runtime``
    as the owner); dropped afterwards, before the runtime role."""
    async with temporary_database(database_url) as url:
        await migrate.upgrade(url)
        await roles.grant_runtime(url, runtime_role[0])
        yield url


@pytest.fixture(scope="session")
async def product_pool(product_db: str) -> AsyncIterator[Pool]:
    pool = Pool(product_db, open=False, min_size=1, max_size=2)
    await pool.open(wait=True)
    yield pool
    await pool.close()


@pytest.fixture(scope="session")
async def db_link(product_db: str) -> AsyncIterator[TcpProxy]:
    """The app's way to PostgreSQL: a proxy tests can cut to take the database away."""
    proxy = TcpProxy.for_url(product_db)
    await proxy.start()
    yield proxy
    await proxy.close()


@pytest.fixture(scope="session")
async def webhook() -> AsyncIterator[WebhookReceiver]:
    """Where the app POSTs outage notices: a receiver on loopback, ephemeral port."""
    receiver = WebhookReceiver()
    await receiver.start()
    yield receiver
    await receiver.close()


@pytest.fixture(scope="session")
async def product(
    local_stack: LocalStack,
    product_db: str,
    runtime_role: tuple[str, str],
    db_link: TcpProxy,
    webhook: WebhookReceiver,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[App]:
    """``continuity serve`` running against the pbx, for the whole session, as the runtime role."""
    config = product_config(
        local_stack,
        db_link.url(as_role(product_db, *runtime_role)),
        tmp_path_factory.mktemp("state"),
        **outage_settings(webhook.url),
    )
    async with running_app(config) as app:
        # The app's first apply wrote the trunks: wait for the first qualify to find them.
        await local_stack.wait_reachable(names.ENDPOINT_PRIMARY)
        await local_stack.wait_reachable(names.ENDPOINT_PSTN)
        yield app


@pytest.fixture
async def scenario(
    stack: LocalStack, product: App, product_pool: Pool, db_link: TcpProxy
) -> AsyncIterator[Scenario]:
    """A clean slate: no numbers or lines, account defaults, the app caught up."""
    if not db_link.up:
        await db_link.restore()
    store = Store(product_pool)
    # Let the calls of the previous test end and their records land before the reset.
    async with asyncio.timeout(10):
        while product.calls.calls or not product.recorder.idle():
            await asyncio.sleep(0.02)
    await product.trace.ingest()  # Asterisk's trace of those calls too, before the reset
    await reset_database(product_pool)
    s = Scenario(stack, product, store, Admin(store, "test"), db_link)
    await s.synced()
    # Other tests may have written the pbx's generated dialplan and AstDB routes: make
    # them ours again (AstDB read afresh, not as this app last wrote it).
    if product.dialplan.routes is not None:
        product.dialplan.routes.forget()
    await product.dialplan.apply(product.snapshots.current)
    yield s
    await s.hang_up_everything()


#: ``run(*args)``: the `continuity` command as an admin types it, on its own database.
Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
async def cli_db(database_url: str) -> AsyncIterator[str]:
    async with temporary_database(database_url, prefix="continuity_cli") as url:
        yield url


@pytest.fixture
def run(cli_db: str) -> Run:
    def invoke(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        env = {
            **os.environ,
            "CONTINUITY_DATABASE_URL": cli_db,
            "CONTINUITY_LOG_LEVEL": "ERROR",
            **(env or {}),
        }
        return subprocess.run(
            [sys.executable, "-m", "continuity", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            check=False,
        )

    return invoke


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.failed:
        for instance, mark in item.stash.get(_WATCHED, []):
            report.sections.append((f"Asterisk {instance.instance_id}", instance.logs(mark)))
    return report
