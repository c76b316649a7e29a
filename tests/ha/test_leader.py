"""One node leads: an outage is declared once and notified once across the nodes.

Both nodes watch the same primary trunk and both route around it while it is
down; only the leader journals the outage and sends its notices. When the
leader dies another node takes the lead (``python -m bench.ha`` times it: the
target is 5 s) and adopts the outage it finds open, so the resolution is
notified once too.
"""

from __future__ import annotations

import asyncio
import os
import signal

from continuity.compose import App
from continuity.db.leader import NodeRegistry
from continuity.db.outages import OutageStore
from continuity.db.pool import Pool
from localstack import LocalStack
from tests.ha.conftest import NodeApps, until
from tests.outage.receiver import WebhookReceiver
from tests.outage.settings import outage_settings

#: How long a test waits for a leader: generous, a wait and not a speed target.
TAKEOVER_WAIT = 15.0


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

    await until(lambda: len(leaders()) == 1, timeout=TAKEOVER_WAIT)
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
        took = await until(lambda: len(leaders()) == 1, timeout=TAKEOVER_WAIT)
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



async def test_the_leader_is_killed_and_the_outage_after_is_declared_once_by_the_other(
    cluster: LocalStack, cluster_db: str, node_apps: NodeApps, webhook: WebhookReceiver
) -> None:
    """Kill the leader's app: the other node leads, and the killed node that comes back
    follows. Then freeze the primary: one outage, one "started", one "resolved" notice
    across both nodes."""
    webhook.clear()
    settings = outage_settings(webhook.url)
    first, second = cluster.nodes
    nodes = {"node-a": first, "node-b": second}
    apps: dict[str, App] = {name: await node_apps.start(node, name, **settings)
                            for name, node in nodes.items()}

    def leaders() -> list[str]:
        return [name for name, app in apps.items() if app.leadership.leads]

    await until(lambda: len(leaders()) == 1, timeout=TAKEOVER_WAIT)
    [killed] = leaders()
    await node_apps.stop(apps.pop(killed))
    took = await until(lambda: len(leaders()) == 1, timeout=TAKEOVER_WAIT)
    [leader] = leaders()
    print(f"{leader} led {took:.2f} s after {killed}'s app was killed")
    apps[killed] = await node_apps.start(nodes[killed], killed, **settings)
    await asyncio.sleep(3 * apps[killed].leadership.interval)  # rounds in which to steal
    assert leaders() == [leader]

    async with Pool(cluster_db, open=False, min_size=1) as pool:
        earlier = {o.id for o in await OutageStore(pool).recent_outages(limit=100)}
        cluster.freeze_primary()
        await webhook.wait_for("outage.started", timeout=15)
        await until(lambda: all(a.outages.health.primary_down for a in apps.values()), 10)
        cluster.thaw_primary()
        await webhook.wait_for("outage.resolved", timeout=20)
        await asyncio.sleep(2)  # a duplicate notice would arrive in this time
        assert webhook.events() == ["outage.started", "outage.resolved"]
        [outage] = [o for o in await OutageStore(pool).recent_outages(limit=100)
                    if o.id not in earlier]
        assert outage.resolved_at is not None
    assert leaders() == [leader]


async def test_the_leaders_asterisk_is_killed_and_the_other_node_leads(
    cluster: LocalStack, node_apps: NodeApps
) -> None:
    """The leader's app lives on, but without its Asterisk it cannot watch the trunk: it
    hands the lead to the other node. (Last in this module: the node stays dead.)"""
    first, second = cluster.nodes
    nodes = {"node-a": first, "node-b": second}
    apps = {name: await node_apps.start(node, name) for name, node in nodes.items()}

    def leaders() -> list[str]:
        return [name for name, app in apps.items() if app.leadership.leads]

    await until(lambda: len(leaders()) == 1, timeout=TAKEOVER_WAIT)
    [leader] = leaders()
    pid = nodes[leader].pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    took = await until(lambda: leaders() not in ([], [leader]), timeout=TAKEOVER_WAIT)
    [other] = leaders()
    assert other != leader
    print(f"{other} led {took:.2f} s after {leader}'s Asterisk was killed")
    await asyncio.sleep(2 * apps[leader].leadership.interval)
    assert leaders() == [other]  # the node without Asterisk does not take it back
