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
from pathlib import Path

import httpx
import pytest

from continuity.access.credentials import Role
from continuity.access.service import Access
from continuity.admin import Admin, SettingsChange
from continuity.compose import App
from continuity.db.access import AccessStore
from continuity.db.pool import Pool
from continuity.db.store import Store
from localstack import LocalStack, PlacedCall
from localstack.instance import AsteriskInstance
from localstack.kamailio import NodeFailed, Routed, routing_log
from localstack.product import wait_for_state
from localstack.sipp import SCENARIO_VIA_PROXY, SippCall, place_calls
from tests.ha.conftest import TRACKING, NodeApps

ANSWERING_SERVICE = "+13125550150"
ANSWERING_BACKUP = "+13125550151"
#: The node-loss load: 10 calls/s for 8 s, each held 2 s; the kill after 25 calls.
SIPP_RATE = 10.0
SIPP_CALLS = 80
SIPP_HOLD_MS = 2000
KILL_AFTER = 25


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


async def landed_at(stack: LocalStack, destination: str, callers: list[str]) -> dict[str, str]:
    """``{caller: address of the node that sent it}`` once all reached ``destination``."""
    async with asyncio.timeout(15):
        while True:
            seen = {o.caller_id_number: o.source_host for o in stack.carrier_observations()
                    if o.role == "pstn" and o.number == destination and o.outcome == "answer"}
            if set(callers) <= set(seen):
                return {c: seen[c] for c in callers}
            await asyncio.sleep(0.1)


async def dialplan_at(app: App, version: int) -> None:
    """Until ``app``'s node holds the fallback of ``version``: its routes in AstDB, and the
    generated file reloaded where it changed."""
    applied = await app.dialplan_status.wait_for(version, timeout=5)
    assert applied is not None and applied.error is None, applied


async def test_a_change_through_either_node_routes_the_next_calls_on_both(
    cluster: LocalStack, cluster_db: str, serving: list[App], node_apps: NodeApps
) -> None:
    """Continuity switched on through node A's HTTP API, its destination moved through
    node B's: the next calls on both nodes go there, routed by the app, and then by the
    fallback dialplan of each node alone (both apps stopped)."""
    hosts = {node.host for node in cluster.nodes}
    async with Pool(cluster_db, open=False, min_size=1) as pool:
        store = Store(pool)
        token = await Access(AccessStore(pool)).create_token("test", "ha-ops", Role.ADMIN)
        bearer = {"Authorization": f"Bearer {token}"}
        try:
            for app, destination, prefix in (
                (serving[0], ANSWERING_SERVICE, "+1555060"),
                (serving[1], ANSWERING_BACKUP, "+1555061"),
            ):
                assert app.web is not None and app.web.url is not None
                async with httpx.AsyncClient(base_url=app.web.url) as api:
                    changed = await api.patch(f"/api/numbers/{TRACKING}", headers=bearer, json={
                        "continuity": "on",
                        "destination": {"kind": "external", "target": destination},
                    })
                assert changed.status_code == 200, changed.text
                version = (await store.load_snapshot()).version
                for each in serving:
                    await wait_for_state(each, version, timeout=5)
                for each in serving:
                    await dialplan_at(each, version)
                if destination == ANSWERING_BACKUP:
                    # Both apps down: each node's generated dialplan routes on its own.
                    await node_apps.stop_all()
                callers = [f"{prefix}{i:04d}" for i in range(4)]
                for caller in callers:
                    await cluster.place_call(TRACKING, caller, hold_seconds=1)
                took = await landed_at(cluster, destination, callers)
                assert set(took.values()) == hosts, f"{destination}: calls per node {took}"
        finally:
            back = SettingsChange(on=None, destination=None)
            await Admin(store, "test").change_number(TRACKING, back)


def first_dispatches_after_a_retry(entries: list[Routed | NodeFailed]) -> list[Routed]:
    """The new INVITEs the proxy sent after its first retry: by then it had marked the
    failed node down (the retry is logged after ``ds_mark_dst``)."""
    first = next((i for i, e in enumerate(entries) if isinstance(e, Routed) and e.retry), None)
    if first is None:
        return []
    return [e for e in entries[first:] if isinstance(e, Routed) and not e.retry]


async def test_a_node_killed_under_10_calls_a_second_loses_no_new_call(
    cluster: LocalStack, serving: list[App], tmp_path: Path
) -> None:
    """SIGKILL one node's Asterisk while SIPp calls through Kamailio at 10 calls/s.

    Every caller number is unique, so each call is joined to the node that took
    it: the proxy's log says where it sent each INVITE (and which it retried),
    the primary's observations say which node's leg reached it.
    """
    proxy = cluster.proxy
    assert proxy is not None
    dead, survivor = cluster.nodes
    held = [f"+1555020{i:04d}" for i in range(4)]
    held_calls = {caller: await cluster.place_call(TRACKING, caller, hold_seconds=90)
                  for caller in held}
    assert await answered_by_primary(cluster, held, timeout=15) == set(held)
    on_survivor = await callers_on(survivor) & set(held)
    assert on_survivor, "round robin put no held call on the surviving node"

    calls = [SippCall(f"+1555030{i:04d}", TRACKING) for i in range(SIPP_CALLS)]
    mark = proxy.log_mark()
    sipp = asyncio.create_task(place_calls(
        calls, cluster.entrance, tmp_path / "sipp", rate=SIPP_RATE, hold_ms=SIPP_HOLD_MS,
        scenario=SCENARIO_VIA_PROXY, timeout=120,
    ))
    # A few seconds of traffic spread over both nodes, then the kill.
    async with asyncio.timeout(30):
        while sum(isinstance(e, Routed) for e in routing_log(proxy.log(mark))) < KILL_AFTER:
            await asyncio.sleep(0.05)
    pid = dead.pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    killed_at = proxy.log_mark()
    result = await sipp

    before = routing_log(proxy.log(mark)[: killed_at - mark])
    entries = routing_log(proxy.log(mark))
    after = entries[len(before):]
    landed = {o.caller_id_number: o for o in cluster.carrier_observations()
              if o.role == "primary" and o.number == TRACKING and o.outcome == "answer"}
    sent_to = {e.caller: e.node for e in before if isinstance(e, Routed)}
    assert set(sent_to.values()) == {dead.sip_uri, survivor.sip_uri}, "no spread before the kill"

    # Calls whose INVITE reached the proxy after the kill: none may be lost.
    new = [e.caller for e in after if isinstance(e, Routed) and not e.retry]
    assert new, "SIPp placed no call after the kill"
    lost = sorted(c for c in new if c not in landed)
    print(f"{len(new)} calls placed after the kill, {len(lost)} lost; SIPp: "
          f"{result.succeeded} succeeded, {result.failed} failed of {result.placed}")
    assert lost == [], f"{len(lost)} of {len(new)} calls lost after the kill: {lost}"
    # Those that still went to the dead node (before the proxy saw it fail) were retried
    # by the failure route on the survivor, and reached the primary from there.
    retried = {e.caller for e in entries if isinstance(e, Routed) and e.retry}
    assert retried, "no call hit the dead node: the kill came too late to test the retry"
    for caller in retried:
        assert cluster.node_at(landed[caller].source_host) is survivor, caller
    # Once the proxy saw the node fail it sent no new call there.
    later = first_dispatches_after_a_retry(entries)
    assert later and {e.node for e in later} == {survivor.sip_uri}
    flags = await proxy.node_flags()
    assert flags[dead.sip_uri].startswith("I"), flags
    assert flags[survivor.sip_uri].startswith("A"), flags
    # The calls the surviving node was carrying are still up; so is every SIPp call it
    # took, which SIPp counts as succeeded (it failed only calls the dead node held).
    assert on_survivor <= await callers_on(survivor)
    assert not any(held_calls[c].ended.is_set() for c in on_survivor)
    on_dead = {c for c, node in sent_to.items() if node == dead.sip_uri and c not in retried}
    assert result.failed <= len(on_dead), result.screen
