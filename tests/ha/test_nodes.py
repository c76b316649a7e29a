"""Two pbx nodes behind Kamailio's dispatcher: no single box takes every number down.

The stack is real: Kamailio from Debian's package with the product's generated
``kamailio.cfg`` and ``dispatcher.list``, two Asterisk pbx nodes each with its
own ``continuity serve``, one shared PostgreSQL, the carrier and the primary.
The carrier sends every call for a tracking number to the proxy.
"""

from __future__ import annotations

import asyncio
import os
import signal

import pytest

from continuity import names
from continuity.admin import Admin, SettingsChange
from continuity.compose import App
from continuity.core.model import Destination, DestinationKind
from continuity.db.pool import Pool
from continuity.db.store import Store
from localstack import LocalStack, PlacedCall
from localstack.instance import AsteriskInstance
from localstack.product import wait_for_state
from tests.ha.conftest import TRACKING, NodeApps

ANSWERING_SERVICE = "+13125550150"


@pytest.fixture
async def serving(cluster: LocalStack, node_apps: NodeApps) -> list[App]:
    """``continuity serve`` on each node, routing from the one shared database."""
    return [await node_apps.start(node, node.name) for node in cluster.nodes]


async def calls_processed(node: AsteriskInstance) -> int:
    """Asterisk's own count of the calls this node took since it started."""
    shown = await node.cli("core show calls")
    for line in shown.splitlines():
        if line.strip().endswith("calls processed") or line.strip().endswith("call processed"):
            return int(line.split()[0])
    raise AssertionError(f"no 'calls processed' in {shown!r}")


async def callers_on(node: AsteriskInstance) -> set[str]:
    """The caller numbers of the channels up on ``node`` (``core show channels concise``)."""
    shown = await node.cli("core show channels concise")
    return {line.split("!")[7] for line in shown.splitlines() if line.count("!") >= 7}


async def answered_by_primary(stack: LocalStack, callers: list[str], timeout: float) -> set[str]:
    """Which of ``callers`` reached the primary trunk within ``timeout`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        seen = {
            o.caller_id_number
            for o in stack.carrier_observations()
            if o.role == "primary" and o.number == TRACKING and o.outcome == "answer"
        }
        if set(callers) <= seen or loop.time() > deadline:
            return seen & set(callers)
        await asyncio.sleep(0.1)


async def test_calls_to_one_tracking_number_spread_over_both_nodes(
    cluster: LocalStack, serving: list[App]
) -> None:
    before = [await calls_processed(node) for node in cluster.nodes]
    callers = [f"+1555010{i:04d}" for i in range(6)]
    calls: list[PlacedCall] = []
    for caller in callers:
        calls.append(await cluster.place_call(TRACKING, caller, hold_seconds=1))
    assert await answered_by_primary(cluster, callers, timeout=15) == set(callers)
    took = [await calls_processed(node) - b for node, b in zip(cluster.nodes, before, strict=True)]
    assert all(n > 0 for n in took), f"calls per node: {took}"
    assert sum(took) == len(callers)
    for call in calls:
        await call.wait_ended(timeout=10)


async def test_a_change_is_live_on_both_nodes_in_the_app_and_in_the_fallback_dialplan(
    cluster: LocalStack, cluster_db: str, serving: list[App]
) -> None:
    """Continuity switched on once: both nodes route the number's next calls to the PSTN."""
    async with Pool(cluster_db, open=False, min_size=1) as pool:
        store = Store(pool)
        await Admin(store, "test").change_number(
            TRACKING,
            SettingsChange(
                on=True, destination=Destination(DestinationKind.EXTERNAL, ANSWERING_SERVICE)
            ),
        )
        version = (await store.load_snapshot()).version
        for app in serving:
            await wait_for_state(app, version, timeout=5)
        for node in cluster.nodes:
            async with asyncio.timeout(5):
                while f"continuity v{version}:" not in await node.cli(
                    f"dialplan show {names.CTX_TRACKING}"
                ):
                    await asyncio.sleep(0.05)
        before = [await calls_processed(node) for node in cluster.nodes]
        callers = [f"+1555060{i:04d}" for i in range(4)]
        for caller in callers:
            await cluster.place_call(TRACKING, caller, hold_seconds=1)
        async with asyncio.timeout(15):
            while not set(callers) <= {
                o.caller_id_number
                for o in cluster.carrier_observations()
                if o.role == "pstn" and o.number == ANSWERING_SERVICE
            }:
                await asyncio.sleep(0.1)
        took = [await calls_processed(n) - b for n, b in zip(cluster.nodes, before, strict=True)]
        assert all(took), f"calls per node: {took}"  # both nodes routed by the new state
        # Back to the primary for the next test.
        back = SettingsChange(on=None, destination=None)
        await Admin(store, "test").change_number(TRACKING, back)
        version = (await store.load_snapshot()).version
        for app in serving:
            await wait_for_state(app, version, timeout=5)


async def test_a_node_that_dies_loses_no_new_call_and_the_other_keeps_its_own(
    cluster: LocalStack, serving: list[App]
) -> None:
    """SIGKILL one node's Asterisk while calls arrive at 5 calls/s: every new call lands."""
    dead, survivor = cluster.nodes
    held = [f"+1555020{i:04d}" for i in range(4)]
    held_calls = {
        caller: await cluster.place_call(TRACKING, caller, hold_seconds=60) for caller in held
    }
    assert await answered_by_primary(cluster, held, timeout=15) == set(held)
    on_survivor = await callers_on(survivor) & set(held)
    assert on_survivor, "round robin put no held call on the surviving node"

    pid = dead.pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    new_callers = [f"+1555030{i:04d}" for i in range(20)]
    for caller in new_callers:
        await cluster.place_call(TRACKING, caller, hold_seconds=1)
        await asyncio.sleep(0.2)

    landed = await answered_by_primary(cluster, new_callers, timeout=20)
    lost = sorted(set(new_callers) - landed)
    assert lost == [], f"{len(lost)} of {len(new_callers)} calls lost: {lost}"
    # The calls the surviving node was carrying are still up.
    assert on_survivor <= await callers_on(survivor)
    assert not any(held_calls[c].ended.is_set() for c in on_survivor)
    assert cluster.proxy is not None
    flags = await cluster.proxy.node_flags()
    assert flags[f"sip:127.0.0.1:{dead.sip_port}"].startswith("I"), flags
    assert flags[f"sip:127.0.0.1:{survivor.sip_port}"].startswith("A"), flags
