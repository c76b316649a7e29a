"""`./dev demo`: a local stack, real calls, and where each one went.

``--nodes N`` puts Kamailio in front of N pbx nodes and shows which node took
each call. The demo belongs to the checkout, not to the product: the installed ``continuity``
command never imports the local stack (``python -m localstack.demo --help``)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import secrets
import socket
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from continuity import names
from continuity.access.credentials import Role
from continuity.access.service import Access
from continuity.admin import Admin
from continuity.cli.output import table
from continuity.compose import App
from continuity.config import FallbackStore
from continuity.core.model import (
    ContinuitySettings,
    Destination,
    DestinationKind,
    Line,
    LineKind,
    TrackingNumber,
)
from continuity.db import migrate
from continuity.db.access import AccessStore
from continuity.db.leader import NodeRegistry
from continuity.db.pool import Pool
from continuity.db.records import CallRecordStore
from continuity.db.store import Store
from continuity.logsetup import configure_logging
from continuity.proxy_templates.render import ProxySettings
from localstack.kamailio import Routed, routing_log
from localstack.postgres import resolve_database_url, temporary_database
from localstack.product import node_config, running_app, wait_for_state
from localstack.stack import LocalStack

ANSWERING_SERVICE = "+13125550150"
#: The demo's callers: this and one more digit, a caller per call (the proxy logs it).
CALLER = "+1312555011"
#: Nodes the demo starts at most: each is an Asterisk and an app on a 2-core machine.
MAX_NODES = 4


@dataclass(frozen=True)
class DemoCall:
    dialed: str
    story: str
    carrier_behavior: str | None = None


CALLS = [
    DemoCall("+12125550101", "main line, continuity off"),
    DemoCall("+12125550102", "sales line, continuity switched on"),
    DemoCall("+12125550103", "main line, primary answers 503", "reject:503"),
    DemoCall("+12125550177", "a number we do not terminate"),
]


def say(text: str) -> None:
    print(f"==> {text}", flush=True)


async def _configure(admin: Admin) -> None:
    external = Destination(DestinationKind.EXTERNAL, ANSWERING_SERVICE)
    await admin.add_line(
        Line("main", LineKind.MAIN, "Main line", ContinuitySettings(destination=external))
    )
    await admin.add_line(
        Line(
            "sales", LineKind.DEPARTMENT, "Sales", ContinuitySettings(on=True, destination=external)
        )
    )
    await admin.add_number(TrackingNumber("+12125550101", "Website"))
    await admin.add_number(TrackingNumber("+12125550102", "Billboard", line="sales"))
    await admin.add_number(TrackingNumber("+12125550103", "Radio ad"))


#: Where the demo serves the console when the port is free (else one the kernel picks).
DEMO_WEB_PORT = 8089


def _web_listen() -> str:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", DEMO_WEB_PORT))
        except OSError:
            return "127.0.0.1:0"
    return f"127.0.0.1:{DEMO_WEB_PORT}"


async def _console_login(pool: Pool) -> tuple[str, str]:
    password = secrets.token_urlsafe(9)
    await Access(AccessStore(pool)).add_user("demo", "admin", Role.ADMIN, password)
    return "admin", password


@contextlib.contextmanager
def logs_to_file() -> Iterator[Path]:
    """The app's and the stack's log lines go to a file, so the table stands alone."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    fd, name = tempfile.mkstemp(prefix="continuity-demo-", suffix=".log")
    with open(fd, "w", encoding="utf-8") as out:
        configure_logging(logging.getLevelName(level) if level else "INFO", "text", out)
        try:
            yield Path(name)
        finally:
            for handler in list(root.handlers):
                root.removeHandler(handler)
            for handler in handlers:
                root.addHandler(handler)
            root.setLevel(level)


async def run_demo(keep: bool = False, nodes: int = 1) -> int:
    with logs_to_file() as log_path:
        code = await _demo(keep, nodes)
    warnings = sum(" WARNING " in line or " ERROR " in line for line in log_path.open())
    print(f"app log: {log_path} ({warnings} warning or error lines)")
    return code


def _stack_story(nodes: int) -> str:
    if nodes == 1:
        return "Asterisk instances: pbx (ours), carrier (the phone network) and the primary"
    return (
        f"Kamailio in front of {nodes} pbx nodes (each an Asterisk with its own continuity"
        " serve), the carrier and the primary, each on its own loopback address"
    )


async def _demo(keep: bool, nodes: int) -> int:
    started = time.monotonic()
    say("PostgreSQL")
    server = await resolve_database_url()
    say(_stack_story(nodes))
    async with (
        LocalStack(nodes=nodes, proxy_settings=ProxySettings(log_level=2)) as stack,
        temporary_database(server) as url,
        Pool(url, open=False, min_size=1, max_size=2) as pool,
        contextlib.AsyncExitStack() as running,
    ):
        await migrate.upgrade(url)
        store = Store(pool)
        admin = Admin(store, "demo")
        say("configuring lines and tracking numbers")
        await _configure(admin)
        version = (await store.load_snapshot()).version
        apps = []
        for index, node in enumerate(stack.nodes):
            state = Path(running.enter_context(tempfile.TemporaryDirectory(prefix="demo-")))
            # The first node serves the console; it shows every node.
            config = node_config(
                stack,
                node,
                url,
                state,
                web_listen=_web_listen() if index == 0 else "",
                node_name=node.name,
                node_sip_uri=node.sip_uri,
            )
            say(
                f"starting the continuity ARI app of {node.name} ({node.sip_uri})"
                if nodes > 1
                else "starting the continuity ARI app"
            )
            app = await running.enter_async_context(running_app(config))
            await wait_for_state(app, version)
            apps.append(app)
        say(await _fallback_story(stack, apps, version))
        rows = []
        for index, demo in enumerate(CALLS):
            if demo.carrier_behavior:
                await stack.set_behavior(demo.dialed, demo.carrier_behavior)
            say(f"calling {demo.dialed} ({demo.story})")
            rows.append(await _place(stack, CallRecordStore(pool), demo, f"{CALLER}{index}"))
        user, password = await _console_login(pool)
        print()
        headers = ["DIALED", "SCENARIO", "ROUTE TAKEN", "ANSWERED BY", "ANSWERED AFTER"]
        print(
            table(
                [*headers, "NODE"] if nodes > 1 else headers,
                rows if nodes > 1 else [row[:-1] for row in rows],
            )
        )
        if nodes > 1:
            print()
            for info in await NodeRegistry(pool).nodes():
                lead = " (leader: outage detection and notices run here)" if info.leads else ""
                print(f"node {info.name}{lead}: up, {info.sip_uri}")
        web = apps[0].web
        web_url = web.url if web is not None else None
        print(f"\nweb console: {web_url}  (log in as {user} / {password})")
        print(f"HTTP API:    {web_url}/api/docs")
        print(f"demo ran in {time.monotonic() - started:.1f}s")
        if keep:
            print("the stack and the console keep running; Ctrl-C stops them", flush=True)
            await asyncio.Event().wait()
        else:
            print("(`./dev demo --keep` leaves the console running until Ctrl-C)")
    return 0


async def _fallback_story(stack: LocalStack, apps: list[App], version: int) -> str:
    """Where each node's fallback dialplan keeps the numbers' routes, once it holds them."""
    for app in apps:
        await app.dialplan_status.wait_for(version, timeout=30)
    store = apps[0].config.fallback_store
    if store is not FallbackStore.ASTDB:
        return f"fallback dialplan: one extension per number in the generated file ({store})"
    held = []
    for node in stack.nodes:
        shown = await node.cli(f"database show {names.ASTDB_FAMILY}")
        keys = sum(line.startswith(f"/{names.ASTDB_FAMILY}/") for line in shown.splitlines())
        held.append(f"{keys} on {node.name}")
    return (
        f"fallback dialplan: each number's route is a key of Asterisk's AstDB "
        f"({', '.join(held)}; `database show {names.ASTDB_FAMILY}`)"
    )


def _node_of(stack: LocalStack, caller: str, mark: int) -> str:
    """Which node took the call from ``caller``: the proxy's log says where it sent it."""
    if stack.proxy is None:
        return stack.pbx.name
    sent = [
        e.node
        for e in routing_log(stack.proxy.log(mark))
        if isinstance(e, Routed) and e.caller == caller
    ]
    by_uri = {n.sip_uri: n.name for n in stack.nodes}
    return " > ".join(by_uri.get(uri, uri) for uri in sent) or "-"


async def _place(
    stack: LocalStack, records: CallRecordStore, demo: DemoCall, caller: str
) -> list[str]:
    before = len(stack.carrier_observations())
    mark = stack.proxy.log_mark() if stack.proxy is not None else 0
    call = await stack.place_call(demo.dialed, caller, hold_seconds=1.5)
    cause = await call.wait_ended(timeout=30)
    seen = stack.carrier_observations()[before:]
    record = None
    for _ in range(100):
        found = await records.recent(1, demo.dialed)
        if found:
            record = found[0]
            break
        await asyncio.sleep(0.05)
    route = " > ".join(f"{a.kind}:{a.result}" for a in record.attempts) if record else "-"
    setup = "-"
    if record is not None and record.answered_at is not None:
        setup = f"{(record.answered_at - record.started_at).total_seconds():.2f}s"
    answer = next((o for o in seen if o.outcome == "answer"), None)
    who = f"{answer.role} {answer.number}" if answer else f"nobody (cause {cause})"
    return [
        demo.dialed,
        demo.story,
        route or (record.outcome if record else "-"),
        who,
        setup,
        _node_of(stack, caller, mark),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="./dev demo",
        description="Start a local stack (Asterisk, PostgreSQL, a carrier and a primary),"
        " place real calls through the product, and show where each one went.",
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="leave the stack and the web console running until Ctrl-C",
    )
    parser.add_argument(
        "--nodes",
        type=_node_count,
        default=1,
        metavar="N",
        help="run N pbx nodes behind Kamailio (2 to 4) and show which node took each call",
    )
    args = parser.parse_args(argv)
    return asyncio.run(run_demo(keep=args.keep, nodes=args.nodes))


def _node_count(text: str) -> int:
    try:
        count = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of nodes") from None
    if not 1 <= count <= MAX_NODES:
        raise argparse.ArgumentTypeError(f"{count} nodes: give 1 to {MAX_NODES}")
    return count


if __name__ == "__main__":
    sys.exit(main())
