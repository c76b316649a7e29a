"""High-availability figures: two pbx nodes behind Kamailio, on this machine.

``python -m bench.ha`` (as root, on a quiet machine) measures, side by side in
one run:

* **node death** (``--rounds`` fresh stacks): the SIGKILL of one node's
  Asterisk while calls arrive at ``--rate`` calls/s; how long until the proxy
  takes the dead node out of rotation, the first call routed by the other node
  after the death, the post-dial delay of the calls that first went to the dead
  node (retried by the failure route), and the calls lost;
* **call rate** with 1 and with 2 nodes: ``--calls`` calls placed
  ``--concurrency`` at a time through the proxy (2 nodes) or straight to the
  pbx (1 node). Both cores are shared by every Asterisk, Kamailio and the load
  generator, so the figure shows the proxy's overhead and that nothing is lost
  when load is spread, not the capacity of two real boxes.

Results go to ``bench/results/<UTC time>-ha.{json,md}``.
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
from pathlib import Path
from typing import Any

from continuity import names
from continuity.admin import Admin
from continuity.core.model import TrackingNumber
from continuity.db import migrate
from continuity.db.pool import Pool
from continuity.db.store import Store
from localstack import LocalStack, ensure_rootfs, resolve_database_url, temporary_database
from localstack.product import node_config, running_app, wait_for_state

TRACKING = "+12125550101"
RESULTS = Path(__file__).parent / "results"


def say(text: str) -> None:
    print(f"==> {text}", file=sys.stderr, flush=True)


@contextlib.asynccontextmanager
async def serving_cluster(nodes: int) -> AsyncIterator[LocalStack]:
    """A stack of ``nodes`` pbx nodes, each with its app, one number routed to the primary."""
    rootfs = await asyncio.to_thread(ensure_rootfs)
    server = await resolve_database_url()
    async with (
        LocalStack(rootfs, nodes=nodes, qualify_frequency=1, qualify_timeout=0.5) as stack,
        temporary_database(server, prefix="continuity_bench") as url,
        contextlib.AsyncExitStack() as apps,
    ):
        await migrate.upgrade(url)
        async with Pool(url, open=False, min_size=1) as pool:
            store = Store(pool)
            await Admin(store, "bench").add_number(TrackingNumber(TRACKING, "Bench"))
            version = (await store.load_snapshot()).version
        for node in stack.nodes:
            state = Path(apps.enter_context(tempfile.TemporaryDirectory(prefix="bench-ha-")))
            app = await apps.enter_async_context(
                running_app(node_config(stack, node, url, state, node_name=node.name))
            )
            await wait_for_state(app, version)
            await stack.wait_reachable(names.ENDPOINT_PRIMARY, node=node)
        yield stack


def landed(stack: LocalStack) -> dict[str, float]:
    """``{caller: time it reached the primary}``, wall clock."""
    return {
        o.caller_id_number: o.time
        for o in stack.carrier_observations()
        if o.role == "primary" and o.outcome == "answer"
    }


async def node_death(rate: float, seconds: float) -> dict[str, Any]:
    async with serving_cluster(2) as stack:
        assert stack.proxy is not None
        dead, _ = stack.nodes
        placed: dict[str, float] = {}
        interval = 1 / rate
        pid = dead.pid
        assert pid is not None
        loop = asyncio.get_running_loop()
        end = loop.time() + seconds
        killed_at = None
        i = 0
        out_at = None
        while loop.time() < end:
            if killed_at is None and loop.time() > end - seconds * 0.75:
                os.kill(pid, signal.SIGKILL)
                killed_at = time.time()
            caller = f"+1555070{i:04d}"
            placed[caller] = time.time()
            await stack.place_call(TRACKING, caller, hold_seconds=1)
            i += 1
            if killed_at is not None and out_at is None:
                flags = await stack.proxy.node_flags()
                if flags.get(f"sip:127.0.0.1:{dead.sip_port}", "A").startswith("I"):
                    out_at = time.time()
            await asyncio.sleep(interval)
        await asyncio.sleep(5)
        seen = landed(stack)
        assert killed_at is not None
        after = {c: t for c, t in placed.items() if t >= killed_at}
        delays = sorted(seen[c] - t for c, t in after.items() if c in seen)
        first = min((seen[c] for c in after if c in seen), default=None)
        return {
            "calls_after_death": len(after),
            "lost": sorted(c for c in after if c not in seen),
            "out_of_rotation_s": None if out_at is None else out_at - killed_at,
            "first_routed_after_death_s": None if first is None else first - killed_at,
            "pdd_after_death_p50_s": statistics.median(delays) if delays else None,
            "pdd_after_death_max_s": max(delays) if delays else None,
        }


async def call_rate(nodes: int, calls: int, concurrency: int) -> dict[str, Any]:
    async with serving_cluster(nodes) as stack:
        gate = asyncio.Semaphore(concurrency)

        async def one(i: int) -> None:
            async with gate:
                call = await stack.place_call(TRACKING, f"+1555{nodes}80{i:04d}", hold_seconds=1)
                with contextlib.suppress(TimeoutError):
                    await call.wait_ended(timeout=30)

        started = time.monotonic()
        await asyncio.gather(*(one(i) for i in range(calls)))
        took = time.monotonic() - started
        routed = sum(1 for c in landed(stack) if c.startswith(f"+1555{nodes}80"))
        return {
            "nodes": nodes,
            "calls": calls,
            "routed": routed,
            "seconds": took,
            "calls_per_s": routed / took,
        }


def markdown(results: dict[str, Any]) -> str:
    lines = [
        f"# HA figures, {results['at']} (commit {results['commit']})",
        "",
        "## Node death (SIGKILL of one node's Asterisk under load)",
        "",
        "| round | calls after death | lost | out of rotation | first routed after "
        "| PDD p50 after | PDD max after |",
        "|---|---|---|---|---|---|---|",
    ]

    def s(v: float | None) -> str:
        return "-" if v is None else f"{v:.2f} s"

    for n, r in enumerate(results["node_death"], 1):
        lines.append(
            f"| {n} | {r['calls_after_death']} | {len(r['lost'])} | {s(r['out_of_rotation_s'])} "
            f"| {s(r['first_routed_after_death_s'])} | {s(r['pdd_after_death_p50_s'])} "
            f"| {s(r['pdd_after_death_max_s'])} |"
        )
    firsts = [
        r["first_routed_after_death_s"]
        for r in results["node_death"]
        if r["first_routed_after_death_s"] is not None
    ]
    if firsts:
        lines += [
            "",
            f"First call routed after a death: p50 {statistics.median(firsts):.2f} s, "
            f"max {max(firsts):.2f} s; calls lost per death: "
            f"{[len(r['lost']) for r in results['node_death']]}",
        ]
    lines += [
        "",
        "## Call rate, 1 node vs 2 nodes behind Kamailio (one 2-core machine)",
        "",
        "| nodes | calls | routed | seconds | calls/s |",
        "|---|---|---|---|---|",
    ]
    for r in results["rate"]:
        lines.append(
            f"| {r['nodes']} | {r['calls']} | {r['routed']} | {r['seconds']:.1f} "
            f"| {r['calls_per_s']:.1f} |"
        )
    return "\n".join(lines) + "\n"


async def run(args: argparse.Namespace, commit: str) -> dict[str, Any]:
    results: dict[str, Any] = {
        "at": dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ"),
        "commit": commit,
        "args": vars(args),
        "node_death": [],
        "rate": [],
    }
    for n in range(args.rounds):
        say(f"node death, round {n + 1} of {args.rounds}")
        results["node_death"].append(await node_death(args.rate, args.seconds))
    for nodes in (1, 2):
        say(f"call rate with {nodes} node(s)")
        results["rate"].append(await call_rate(nodes, args.calls, args.concurrency))
    return results


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.ha",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--rounds", type=int, default=5, help="node deaths (default 5)")
    parser.add_argument("--rate", type=float, default=10.0, help="calls/s around a death")
    parser.add_argument("--seconds", type=float, default=8.0, help="traffic per death round")
    parser.add_argument("--calls", type=int, default=200, help="calls per rate block")
    parser.add_argument("--concurrency", type=int, default=20, help="calls up at once")
    args = parser.parse_args(argv)
    commit = subprocess.run(
        ["git", "-C", str(RESULTS.parent.parent), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    results = asyncio.run(asyncio.wait_for(run(args, commit), timeout=1800))
    RESULTS.mkdir(exist_ok=True)
    stem = RESULTS / f"{results['at']}-ha"
    stem.with_suffix(".json").write_text(json.dumps(results, indent=2))
    stem.with_suffix(".md").write_text(markdown(results))
    print(markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
