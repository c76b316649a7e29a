"""High-availability figures: pbx nodes behind Kamailio, on this one machine.

``python -m bench.ha`` (as root; hold the bench lock on a shared machine) measures:

* **node death** (``--rounds`` fresh two-node stacks): SIPp calls through
  Kamailio at ``--rate`` calls/s, one node's Asterisk SIGKILLed after
  ``--kill-after`` seconds of traffic. Per round: how long until the proxy
  took the dead node out of rotation; the time from the death to the first
  call the proxy had sent to the dead node that the other node then routed
  (the failure route's retry: the failover a caller feels); the calls placed
  after the death that were lost; and the calls that were bridged on the dead
  node when it died (they end with it: their dialog and media were there);
* **call rate** with 1 node (SIPp straight to the pbx) and with 2 nodes
  (through Kamailio): ``--rate-calls`` calls offered at each of ``--rates``
  calls/s, each held 1 s; the answered rate and failures. Every Asterisk,
  Kamailio, the apps, PostgreSQL and SIPp share the machine's 2 cores, so the
  2-node figure shows the proxy's overhead and that spreading loses nothing,
  not the capacity of two real boxes;
* **leader takeover**: the leader's app killed, until the other node leads
  (``--rounds`` times on one stack; the target is 5 s);
* **propagation**: a change committed, until both apps route by it (the ARI
  path, target 100 ms) and until both nodes' Asterisk hold it in the fallback
  (its AstDB route written and read back; target 1 s).

Results go to ``bench/results/<UTC time>-ha.{json,md}``, with the load average.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from continuity import names
from continuity.admin import Admin, SettingsChange
from continuity.compose import App
from continuity.core.model import Destination, DestinationKind, TrackingNumber
from continuity.db import migrate
from continuity.db.pool import Pool
from continuity.db.store import Store
from continuity.proxy_templates.render import ProxySettings
from localstack import LocalStack, ensure_rootfs, resolve_database_url, temporary_database
from localstack.carrier import Observation
from localstack.kamailio import Routed, routing_log
from localstack.product import node_config, stop_app, wait_for_state, wait_until_ready
from localstack.sipp import SCENARIO, SCENARIO_VIA_PROXY, SippCall, place_calls

TRACKING = "+12125550101"
ANSWERING_SERVICE = "+13125550150"
RESULTS = Path(__file__).parent / "results"
#: Per-call routing lines in the proxy's log (info level): they join calls to nodes.
PROXY = ProxySettings(log_level=2)


def say(text: str) -> None:
    print(f"==> {text}", file=sys.stderr, flush=True)


def loadavg() -> str:
    with open("/proc/loadavg", encoding="ascii") as f:
        return " ".join(f.read().split()[:3])


@dataclass
class Cluster:
    stack: LocalStack
    url: str
    version: int
    apps: list[App]
    tasks: list[asyncio.Task[None]]
    states: contextlib.ExitStack

    async def start_app(self, index: int) -> App:
        """Node ``index``'s ``continuity serve`` (again), routing by the current state."""
        node = self.stack.nodes[index]
        state = Path(self.states.enter_context(tempfile.TemporaryDirectory(prefix="bench-ha-")))
        config = node_config(self.stack, node, self.url, state, node_name=node.name,
                             node_sip_uri=node.sip_uri, web_listen="")  # fmt: skip
        app = App(config)
        task = asyncio.create_task(app.run(), name=f"continuity-{node.name}")
        await wait_until_ready(app, task)
        await wait_for_state(app, self.version)
        if index == len(self.apps):
            self.apps.append(app)
            self.tasks.append(task)
        else:
            self.apps[index], self.tasks[index] = app, task
        return app

    async def stop_app(self, index: int) -> None:
        await stop_app(self.tasks[index])


@contextlib.asynccontextmanager
async def serving_cluster(nodes: int) -> AsyncIterator[Cluster]:
    """``nodes`` pbx nodes (Kamailio in front of 2+), each with its app; one number
    routed to the primary."""
    rootfs = await asyncio.to_thread(ensure_rootfs)
    server = await resolve_database_url()
    async with (
        LocalStack(rootfs, nodes=nodes, qualify_frequency=1, qualify_timeout=0.5,
                   proxy_settings=PROXY, pbx_rtp_ports=1000) as stack,
        temporary_database(server, prefix="continuity_bench") as url,
    ):  # fmt: skip
        await migrate.upgrade(url)
        async with Pool(url, open=False, min_size=1) as pool:
            store = Store(pool)
            await Admin(store, "bench").add_number(TrackingNumber(TRACKING, "Bench"))
            version = (await store.load_snapshot()).version
        with contextlib.ExitStack() as states:
            cluster = Cluster(stack, url, version, [], [], states)
            try:
                for index, node in enumerate(stack.nodes):
                    await cluster.start_app(index)
                    await stack.wait_reachable(names.ENDPOINT_PRIMARY, node=node)
                yield cluster
            finally:
                for task in cluster.tasks:
                    if not task.done():
                        await stop_app(task)


def answered(stack: LocalStack) -> dict[str, Observation]:
    """``{caller: the primary's answer}``."""
    return {
        o.caller_id_number: o
        for o in stack.carrier_observations()
        if o.role == "primary" and o.outcome == "answer"
    }


async def node_death(
    rate: float, seconds: float, kill_after: float, workdir: Path
) -> dict[str, Any]:
    async with serving_cluster(2) as cluster:
        stack = cluster.stack
        proxy = stack.proxy
        assert proxy is not None
        dead, survivor = stack.nodes
        calls = [SippCall(f"+1555070{i:04d}", TRACKING) for i in range(int(rate * seconds))]
        mark = proxy.log_mark()
        sipp = asyncio.create_task(place_calls(
            calls, stack.entrance, workdir, rate=rate, hold_ms=2000,
            scenario=SCENARIO_VIA_PROXY, timeout=seconds + 60,
        ))  # fmt: skip
        await asyncio.sleep(kill_after)
        pid = dead.pid
        assert pid is not None
        killed_at = time.time()
        os.kill(pid, signal.SIGKILL)
        killed_mark = proxy.log_mark()
        out_at = None
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(15):
                while not (await proxy.node_flags()).get(dead.sip_uri, "A").startswith("I"):
                    await asyncio.sleep(0.02)
                out_at = time.time()
        result = await sipp
        before = routing_log(proxy.log(mark)[: killed_mark - mark])
        entries = routing_log(proxy.log(mark))
        after = entries[len(before):]
        seen = answered(stack)
        new = [e.caller for e in after if isinstance(e, Routed) and not e.retry]
        retried = {e.caller for e in entries if isinstance(e, Routed) and e.retry}
        retried_landed = sorted(seen[c].time - killed_at for c in retried if c in seen)
        new_landed = sorted(seen[c].time - killed_at for c in new if c in seen)
        # The retry is logged after the proxy marked the node down.
        first_retry = next(
            (i for i, e in enumerate(entries) if isinstance(e, Routed) and e.retry), len(entries)
        )
        to_dead_after = sum(
            1 for e in after if isinstance(e, Routed) and e.node == dead.sip_uri
        )
        return {
            "calls": len(calls),
            "sipp_succeeded": result.succeeded,
            "sipp_failed": result.failed,
            "placed_after_death": len(new),
            "lost": sorted(c for c in new if c not in seen),
            "sent_to_dead_node_after_death": to_dead_after,
            "retried_on_other_node": len(retried),
            "retried_lost": sorted(c for c in retried if c not in seen),
            "retried_routed_by_other_node": sum(
                1 for c in retried if c in seen and stack.node_at(seen[c].source_host) is survivor
            ),
            "sent_to_dead_node_after_first_retry": sum(
                1 for e in entries[first_retry:]
                if isinstance(e, Routed) and e.node == dead.sip_uri and not e.retry
            ),
            "dropped_with_node": result.failed,
            "out_of_rotation_s": None if out_at is None else out_at - killed_at,
            "first_retried_call_routed_s": retried_landed[0] if retried_landed else None,
            "first_new_call_routed_s": new_landed[0] if new_landed else None,
            "load": loadavg(),
        }


async def call_rate(
    nodes: int, rates: list[float], calls: int, workdir: Path
) -> list[dict[str, Any]]:
    found = []
    async with serving_cluster(nodes) as cluster:
        stack = cluster.stack
        scenario = SCENARIO_VIA_PROXY if stack.proxy is not None else SCENARIO
        for n, rate in enumerate(rates):
            prefix = f"+1555{nodes}8{n}"
            batch = [SippCall(f"{prefix}{i:04d}", TRACKING) for i in range(calls)]
            say(f"  {nodes} node(s): {calls} calls offered at {rate:g} calls/s")
            started = time.monotonic()
            result = await place_calls(batch, stack.entrance, workdir / f"{nodes}-{n}",
                                       rate=rate, hold_ms=1000, scenario=scenario,
                                       timeout=calls / rate + 90)  # fmt: skip
            took = time.monotonic() - started
            routed = sum(1 for c in answered(stack) if c.startswith(prefix))
            per_node: dict[str, int] = {}
            for o in answered(stack).values():
                if o.caller_id_number.startswith(prefix):
                    node = stack.node_at(o.source_host)
                    key = node.name if node is not None else o.source_host
                    per_node[key] = per_node.get(key, 0) + 1
            found.append({
                "nodes": nodes, "offered_per_s": rate, "calls": calls, "routed": routed,
                "sipp_failed": result.failed, "seconds": took,
                # The last calls' hold (1 s) is not routing time.
                "routed_per_s": routed / max(took - 1.0, 0.001),
                "per_node": per_node, "load": loadavg(),
            })  # fmt: skip
            await asyncio.gather(*(node.hangup_all() for node in stack.nodes))
    return found


async def leader_and_propagation(rounds: int) -> dict[str, Any]:
    takeovers: list[float] = []
    ari: list[float] = []
    dialplan: list[float] = []
    async with serving_cluster(2) as cluster:
        loop = asyncio.get_running_loop()
        async with Pool(cluster.url, open=False, min_size=1) as pool:
            store = Store(pool)
            for n in range(rounds):
                on = n % 2 == 0
                external = Destination(DestinationKind.EXTERNAL, ANSWERING_SERVICE)
                change = SettingsChange(on=True if on else None,
                                        destination=external if on else None)  # fmt: skip
                committed = loop.time()
                await Admin(store, "bench").change_number(TRACKING, change)
                version = (await store.load_snapshot()).version
                await asyncio.gather(
                    *(wait_for_state(app, version, timeout=10) for app in cluster.apps)
                )
                ari.append(loop.time() - committed)
                # Each node's fallback holds it: its AstDB route written and read back.
                applied = await asyncio.gather(
                    *(app.dialplan_status.wait_for(version, timeout=10) for app in cluster.apps)
                )
                if any(a is None or a.error for a in applied):
                    raise RuntimeError(f"a node's fallback did not apply v{version}: {applied}")
                dialplan.append(loop.time() - committed)
            cluster.version = (await store.load_snapshot()).version
        # Leader takeover: the leading app is stopped (its database sessions end with
        # it, as with a crash), then started again, as a follower, for the next round.
        for _ in range(rounds):
            async with asyncio.timeout(15):
                while not any(app.leadership.leads for app in cluster.apps):
                    await asyncio.sleep(0.01)
            index = next(i for i, app in enumerate(cluster.apps) if app.leadership.leads)
            other = cluster.apps[1 - index]
            started = loop.time()
            await cluster.stop_app(index)
            async with asyncio.timeout(15):
                while not other.leadership.leads:
                    await asyncio.sleep(0.01)
            takeovers.append(loop.time() - started)
            await cluster.start_app(index)
    return {"takeover_s": takeovers, "ari_s": ari, "dialplan_s": dialplan, "load": loadavg()}


def _s(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f} s"


def _ms(values: list[float]) -> str:
    if not values:
        return "-"
    return f"p50 {statistics.median(values) * 1000:.0f} ms, max {max(values) * 1000:.0f} ms"


def markdown(results: dict[str, Any]) -> str:
    deaths = results["node_death"]
    lines = [
        f"# HA figures, {results['at']} (commit {results['commit']})", "",
        f"2 CPUs shared with other work: load average {results['load_start']} at the start, "
        f"{results['load_end']} at the end. Arguments: `{results['argv']}`.",
    ]  # fmt: skip
    if deaths:
        lines += _death_lines(results)
    if results["rate"]:
        lines += _rate_lines(results)
    lp = results["leader_propagation"]
    if lp["takeover_s"]:
        lines += [
            "", "## Leader takeover and propagation (2 nodes)", "",
            f"- Leader's app stopped → the other node leads: {_ms(lp['takeover_s'])} "
            f"(n={len(lp['takeover_s'])}; target 5 s).",
            f"- Change committed → both apps route by it (ARI path): {_ms(lp['ari_s'])} "
            f"(n={len(lp['ari_s'])}; target 100 ms).",
            f"- Change committed → both nodes' Asterisk hold it in the fallback (AstDB): "
            f"{_ms(lp['dialplan_s'])} (n={len(lp['dialplan_s'])}; target 1 s).",
        ]  # fmt: skip
    return "\n".join(lines) + "\n"


def _death_lines(results: dict[str, Any]) -> list[str]:
    deaths = results["node_death"]
    lines = [
        "", "## Node death: SIGKILL of one node's Asterisk under SIPp load through Kamailio", "",
        f"{results['args']['rate']:g} calls/s, each held 2 s; the kill "
        f"{results['args']['kill_after']:g} s into {results['args']['seconds']:g} s of traffic. "
        "Probing every 1 s, threshold 1, branch timeout 1000 ms (the generated defaults).", "",
        "| round | placed after death | lost | sent to dead node after death | retried on other "
        "| out of rotation | death → first retried call routed | dropped with the node | load |",
        "|---|---|---|---|---|---|---|---|---|",
    ]  # fmt: skip
    for n, r in enumerate(deaths, 1):
        lines.append(
            f"| {n} | {r['placed_after_death']} | {len(r['lost'])} "
            f"| {r['sent_to_dead_node_after_death']} | {r['retried_on_other_node']} "
            f"| {_s(r['out_of_rotation_s'])} | {_s(r['first_retried_call_routed_s'])} "
            f"| {r['dropped_with_node']} | {r['load']} |"
        )
    firsts = [r["first_retried_call_routed_s"] for r in deaths
              if r["first_retried_call_routed_s"] is not None]  # fmt: skip
    outs = [r["out_of_rotation_s"] for r in deaths if r["out_of_rotation_s"] is not None]
    if firsts:
        lines += ["", f"Death → first call routed by the other node (a call the proxy had sent "
                  f"to the dead node, retried): p50 {statistics.median(firsts):.2f} s, max "
                  f"{max(firsts):.2f} s over {len(firsts)} rounds."]  # fmt: skip
    if outs:
        lines += [f"Death → dead node out of rotation: p50 {statistics.median(outs):.2f} s, max "
                  f"{max(outs):.2f} s."]  # fmt: skip
    lines += [f"Calls lost per node death (placed after it): "
              f"{[len(r['lost']) for r in deaths]}; calls dropped with the node (bridged on it "
              f"when it died): {[r['dropped_with_node'] for r in deaths]}."]  # fmt: skip
    return lines


def _rate_lines(results: dict[str, Any]) -> list[str]:
    lines = [
        "", "## Call rate, 1 node (SIPp straight to it) vs 2 nodes behind Kamailio", "",
        "Calls held 1 s. Every Asterisk, Kamailio, both apps, PostgreSQL and SIPp share the "
        "same 2 cores.", "",
        "| nodes | offered | calls | routed | failed | seconds | routed/s | per node | load |",
        "|---|---|---|---|---|---|---|---|---|",
    ]  # fmt: skip
    for r in results["rate"]:
        per = ", ".join(f"{k} {v}" for k, v in sorted(r["per_node"].items()))
        lines.append(
            f"| {r['nodes']} | {r['offered_per_s']:g}/s | {r['calls']} | {r['routed']} "
            f"| {r['sipp_failed']} | {r['seconds']:.1f} | {r['routed_per_s']:.1f} | {per} "
            f"| {r['load']} |"
        )
    return lines


async def run(args: argparse.Namespace, commit: str, workdir: Path) -> dict[str, Any]:
    results: dict[str, Any] = {
        "at": dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ"),
        "commit": commit,
        "argv": " ".join(["python -m bench.ha", *sys.argv[1:]]),
        "args": vars(args),
        "load_start": loadavg(),
        "node_death": [],
        "rate": [],
    }
    parts = set(args.parts.split(","))
    for n in range(args.rounds if "death" in parts else 0):
        say(f"node death, round {n + 1} of {args.rounds}")
        results["node_death"].append(
            await node_death(args.rate, args.seconds, args.kill_after, workdir / f"death-{n}")
        )
    rates = [float(r) for r in args.rates.split(",")]
    for nodes in (1, 2) if "rate" in parts else ():
        say(f"call rate with {nodes} node(s)")
        results["rate"] += await call_rate(nodes, rates, args.rate_calls, workdir)
    results["leader_propagation"] = {"takeover_s": [], "ari_s": [], "dialplan_s": []}
    if "leader" in parts:
        say("leader takeover and propagation")
        results["leader_propagation"] = await leader_and_propagation(args.rounds)
    results["load_end"] = loadavg()
    return results


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ha", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5, help="node deaths, takeovers (5)")
    parser.add_argument("--rate", type=float, default=10.0, help="calls/s around a death (10)")
    parser.add_argument("--seconds", type=float, default=8.0, help="traffic per death round (8)")
    parser.add_argument("--kill-after", type=float, default=3.0,
                        help="seconds of traffic before the kill (3)")  # fmt: skip
    parser.add_argument("--rates", default="20,40", help="offered calls/s for the rate (20,40)")
    parser.add_argument("--rate-calls", type=int, default=200, help="calls per offered rate")
    parser.add_argument("--parts", default="death,rate,leader",
                        help="which figures: death, rate, leader (all by default)")  # fmt: skip
    args = parser.parse_args(argv)
    if not set(args.parts.split(",")) <= {"death", "rate", "leader"}:
        parser.error("--parts: give death, rate and/or leader, comma-separated")
    try:
        if any(float(r) <= 0 for r in args.rates.split(",")):
            raise ValueError(args.rates)
    except ValueError:
        parser.error(f"--rates {args.rates!r}: give positive calls/s, comma-separated")
    if args.rounds < 1 or args.rate <= 0 or args.kill_after >= args.seconds:
        parser.error("give --rounds 1 or more, a positive --rate and --kill-after < --seconds")
    commit = subprocess.run(
        ["git", "-C", str(RESULTS.parent.parent), "rev-parse", "--short", "HEAD"],
        capture_output=True, text=True, check=False,
    ).stdout.strip()  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="bench-ha-") as workdir:
        results = asyncio.run(asyncio.wait_for(run(args, commit, Path(workdir)), timeout=1800))
    RESULTS.mkdir(exist_ok=True)
    stem = RESULTS / f"{results['at']}-ha"
    stem.with_suffix(".json").write_text(json.dumps(results, indent=2))
    stem.with_suffix(".md").write_text(markdown(results))
    print(markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
