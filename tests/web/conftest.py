"""The HTTP API and console under test: `continuity web` as a process, named tokens and users.

API tests run against `continuity web` (a real process on a free port, real PostgreSQL);
browser tests drive the console that `continuity serve` (the session's product) serves.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, async_playwright

from continuity.access.credentials import Role
from continuity.access.service import Access
from continuity.compose import App
from continuity.db.access import AccessStore
from continuity.db.pool import Pool
from localstack.ports import PortAllocator
from tests.outage.conftest import drill  # noqa: F401 - the outage drill, reused here
from tests.scenario import reset_database
from tests.voicemail.conftest import voicemail  # noqa: F401 - callers leaving messages
from tests.web.console import CHROMIUM, Console

ADMIN_PASSWORD = "correct horse battery"
VIEWER_PASSWORD = "viewer staple battery"


@dataclass(frozen=True)
class Team:
    """Who uses the API and the console in a test."""

    admin_token: str
    viewer_token: str
    admin: str = "alice"
    viewer: str = "victor"

    def bearer(self, token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    @property
    def as_admin(self) -> dict[str, str]:
        return self.bearer(self.admin_token)

    @property
    def as_viewer(self) -> dict[str, str]:
        return self.bearer(self.viewer_token)


async def reset_access(pool: Pool) -> None:
    async with pool.connection() as conn, conn.transaction():
        for statement in (
            "DELETE FROM web_sessions",
            "DELETE FROM web_users",
            "DELETE FROM api_tokens",
            "DELETE FROM voicemail_boxes",
            "DELETE FROM outage_override",
        ):
            await conn.execute(statement)


@pytest.fixture
async def empty_account(product_pool: Pool) -> None:
    """No lines, numbers, records or audit entries; account defaults."""
    await reset_database(product_pool)


@pytest.fixture
async def team(product_pool: Pool) -> AsyncIterator[Team]:
    """An admin and a viewer token, an admin and a viewer user (and no one else)."""
    await reset_access(product_pool)
    access = Access(AccessStore(product_pool))
    admin_token = await access.create_token("test", "ops", Role.ADMIN)
    viewer_token = await access.create_token("test", "wallboard", Role.VIEWER)
    await access.add_user("test", "alice", Role.ADMIN, ADMIN_PASSWORD)
    await access.add_user("test", "victor", Role.VIEWER, VIEWER_PASSWORD)
    yield Team(admin_token, viewer_token)


@pytest.fixture(scope="session")
def web_service(product_db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`continuity web` on a free loopback port, against the session's database."""
    workdir = tmp_path_factory.mktemp("web")
    port = PortAllocator().tcp()
    env = {
        **os.environ,
        "CONTINUITY_DATABASE_URL": product_db,
        "CONTINUITY_WEB_LISTEN": f"127.0.0.1:{port}",
        "CONTINUITY_STATE_DIR": str(workdir / "state"),
        "CONTINUITY_ASTERISK_SPOOL_DIR": str(workdir / "spool"),
        "CONTINUITY_LOG_LEVEL": "WARNING",
    }
    log = (workdir / "web.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "continuity", "web"], env=env, stdout=log, stderr=log
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, proc, workdir / "web.log")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def _wait_healthy(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"`continuity web` exited: {log.read_text()}")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"`continuity web` did not answer /health in 20 s: {log.read_text()}")


@pytest.fixture
async def api(
    web_service: str, team: Team, empty_account: None
) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=web_service, trust_env=False, timeout=30) as client:
        yield client


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    """Headless Debian chromium, driven by Playwright (never `playwright install`)."""
    if not os.path.exists(CHROMIUM):  # noqa: ASYNC240 - once per session
        raise RuntimeError(f"{CHROMIUM} is missing: install Debian's chromium package (./dev)")
    async with async_playwright() as playwright:
        found = await playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--autoplay-policy=no-user-gesture-required", "--mute-audio"],
        )
        yield found
        await found.close()


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every page the browser tests visit is saved here (under pytest's base temp dir)."""
    folder = tmp_path_factory.getbasetemp() / "screenshots"
    folder.mkdir(exist_ok=True)
    return folder


@pytest.fixture
async def served(product: App) -> str:
    """The URL of the API and console that `continuity serve` (the session's product) serves."""
    web = product.web
    assert web is not None, "the product runs without web_listen"
    async with asyncio.timeout(10):
        while web.url is None:
            await asyncio.sleep(0.05)
    return web.url


@pytest.fixture
async def console(
    browser: Browser,
    served: str,
    screenshots: Path,
    team: Team,
    request: pytest.FixtureRequest,
) -> AsyncIterator[Console]:
    """The console `continuity serve` serves, in a fresh browser context per login."""
    found = Console(browser, served, screenshots, request.node.name)
    yield found
    await found.close()
