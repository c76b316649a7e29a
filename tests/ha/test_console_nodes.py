"""The web console and the HTTP API show every node, its health, and which one leads."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, expect

from continuity.access.credentials import Role
from continuity.access.service import Access
from continuity.db.access import AccessStore
from continuity.db.pool import Pool
from localstack import LocalStack
from tests.ha.conftest import NodeApps, until
from tests.web.conftest import browser, screenshots  # noqa: F401 - the console's browser
from tests.web.console import Console

PASSWORD = "correct horse battery"


async def test_the_console_lists_both_nodes_with_the_leader_and_a_node_gone_silent(
    cluster: LocalStack,
    cluster_db: str,
    node_apps: NodeApps,
    browser: Browser,  # noqa: F811
    screenshots: Path,  # noqa: F811
    request: pytest.FixtureRequest,
) -> None:
    first, second = cluster.nodes
    east = await node_apps.start(first, "east")
    west = await node_apps.start(second, "west")
    await until(lambda: east.leadership.leads or west.leadership.leads, timeout=15)
    apps = {"east": east, "west": west}
    leader, follower = ("east", "west") if east.leadership.leads else ("west", "east")
    # The admin looks at the leader's console; the follower is the node that goes silent.
    web = apps[leader].web
    async with Pool(cluster_db, open=False, min_size=1) as pool:
        access = Access(AccessStore(pool))
        await access.add_user("test", "olivia", Role.VIEWER, PASSWORD)
        token = await access.create_token("test", "noc", Role.VIEWER)
    assert web is not None and web.url is not None
    console = Console(browser, web.url, screenshots, request.node.name)
    try:
        page = await console.login("olivia", PASSWORD)
        await console.open(page, "/nodes")
        for name in ("east", "west"):
            row = page.locator(f"#nodes tr[data-node={name}]")
            await expect(row.locator(".health")).to_have_text("up")
            await expect(row.locator(".role")).to_have_text(
                "leader" if name == leader else "follower"
            )
            uri = (first if name == "east" else second).sip_uri
            await expect(row).to_contain_text(uri)
        await expect(page.locator("#leader")).to_contain_text(f"Leader: {leader}")

        async with httpx.AsyncClient(base_url=web.url, trust_env=False) as api:
            listed = await api.get("/api/nodes", headers={"Authorization": f"Bearer {token}"})
        assert listed.status_code == 200, listed.text
        body = listed.json()
        assert body["leader"] == leader and body["total"] == 2
        assert {n["name"]: n["healthy"] for n in body["items"]} == {"east": True, "west": True}

        # The follower's app stops: three heartbeats later the page shows it silent.
        await node_apps.stop(apps[follower])
        row = page.locator(f"#nodes tr[data-node={follower}]")
        for _ in range(30):
            await page.reload()
            if await row.locator(".health").inner_text() == "SILENT":
                break
            await page.wait_for_timeout(500)
        await console.shot(page, f"{follower}-silent")
        await expect(row.locator(".health")).to_have_text("SILENT")
        await expect(page.locator(f"#nodes tr[data-node={leader}] .role")).to_have_text("leader")
    finally:
        await console.close()
