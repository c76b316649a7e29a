"""One node leads: an outage is declared once and notified once across the nodes.

Both nodes watch the same primary trunk and both route around it while it is
down; only the leader journals the outage and sends its notices. When the
leader dies another node takes the lead within 5 s and adopts the outage it
finds open, so the resolution is notified once too.
"""

from __future__ import annotations

import asyncio

from continuity.compose import App
from continuity.db.leader import NodeRegistry
from continuity.db.outages import OutageStore
from continuity.db.pool import Pool
from localstack import LocalStack
from tests.ha.conftest import NodeApps, until
from tests.outage.receiver import WebhookReceiver
from tests.outage.settings import outage_settings


async def test_the_leader_dies_mid_outage_and_the_outage_is_still_notified_once(
    cluster: LocalStack, cluster_db: str, node_apps: NodeApps, webhook: WebhookReceiver
) -> None:
    webhook.clear()
    settings = outage_settings(webhook.url)
    first, second = cluster.nodes
    apps: dict[str, App] = {
        "node-a": await node_apps.start(first, "node-a", **settings),
        "node-b": await node_apps.start(second, "node-b", **settings),
    }

    def leaders() -> list[str]:
        return [name for name, app in apps.items() if app.leadership.leads]

    await until(lambda: len(leaders()) == 1, timeout=5)
    [leader] = leaders()
    for name, app in apps.items():
        gauge = f"continuity_leader {1.0 if name == leader else 0.0}"
        assert gauge in app.metrics.render().decode(), name
    async with Pool(cluster_db, open=False, min_size=1) as pool:
        [led] = [n for n in await NodeRegistry(pool).nodes() if n.leads]
        assert led.name == leader

        cluster.freeze_primary()
        await webhook.wait_for("outage.started", timeout=15)
        await until(lambda: all(a.outages.health.primary_down for a in apps.values()), 10)

        # The leader dies mid-outage (its task ends, and with it its database session).
        dead = apps.pop(leader)
        dead_token = dead.leadership.token
        await node_apps.stop(dead)
        took = await until(lambda: len(leaders()) == 1, timeout=5)
        [survivor] = apps.values()
        assert survivor.leadership.token is not None and dead_token is not None
        assert survivor.leadership.token > dead_token
        print(f"the other node led {took:.2f} s after the leader died")

        cluster.thaw_primary()
        await webhook.wait_for("outage.resolved", timeout=20)
        await asyncio.sleep(2)  # a duplicate notice would arrive in this time
        # Delivery is at least once: a leader killed between a send and its mark may
        # have it sent again by the next leader, under the same idempotency key.
        notices = {d.headers["idempotency-key"]: d.event for d in webhook.received}
        assert sorted(notices.values()) == ["outage.resolved", "outage.started"]
        [outage] = await OutageStore(pool).recent_outages()
        assert outage.resolved_at is not None
