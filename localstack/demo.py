"""`./dev demo`: a local stack, real calls, and where each one went.

The demo belongs to the checkout, not to the product: the installed ``continuity``
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

from continuity.access.credentials import Role
from continuity.access.service import Access
from continuity.admin import Admin
from continuity.cli.output import table
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
from continuity.db.pool import Pool
from continuity.db.records import CallRecordStore
from continuity.db.store import Store
from continuity.logsetup import configure_logging
from localstack.postgres import resolve_database_url, temporary_database
from localstack.product import product_config, running_app, wait_for_state
from localstack.stack import LocalStack

ANSWERING_SERVICE = "+13125550150"
CALLER = "+13125550111"


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


async def run_demo(keep: bool = False) -> int:
    with logs_to_file() as log_path:
        code = await _demo(keep)
    warnings = sum(" WARNING " in line or " ERROR " in line for line in log_path.open())
    print(f"app log: {log_path} ({warnings} warning or error lines)")
    return code


async def _demo(keep: bool) -> int:
    started = time.monotonic()
    say("PostgreSQL")
    server = await resolve_database_url()
    say("Asterisk instances: pbx (ours) and carrier (the phone network)")
    async with (
        LocalStack() as stack,
        temporary_database(server) as url,
        Pool(url, open=False, min_size=1, max_size=2) as pool,
    ):
        await migrate.upgrade(url)
        store = Store(pool)
        admin = Admin(store, "demo")
        say("configuring lines and tracking numbers")
        await _configure(admin)
        with tempfile.TemporaryDirectory(prefix="continuity-demo-") as state:
            config = product_config(stack, url, Path(state), web_listen=_web_listen())
            say("starting the continuity ARI app")
            async with running_app(config) as app:
                await wait_for_state(app, (await store.load_snapshot()).version)
                rows = []
                for demo in CALLS:
                    if demo.carrier_behavior:
                        await stack.set_behavior(demo.dialed, demo.carrier_behavior)
                    say(f"calling {demo.dialed} ({demo.story})")
                    rows.append(await _place(stack, CallRecordStore(pool), demo))
                user, password = await _console_login(pool)
                print()
                print(
                    table(
                        ["DIALED", "SCENARIO", "ROUTE TAKEN", "ANSWERED BY", "ANSWERED AFTER"],
                        rows,
                    )
                )
                web_url = app.web.url if app.web is not None else None
                print(f"\nweb console: {web_url}  (log in as {user} / {password})")
                print(f"HTTP API:    {web_url}/api/docs")
                print(f"demo ran in {time.monotonic() - started:.1f}s")
                if keep:
                    print("the stack and the console keep running; Ctrl-C stops them", flush=True)
                    await asyncio.Event().wait()
                else:
                    print("(`./dev demo --keep` leaves the console running until Ctrl-C)")
    return 0


async def _place(stack: LocalStack, records: CallRecordStore, demo: DemoCall) -> list[str]:
    before = len(stack.carrier_observations())
    call = await stack.place_call(demo.dialed, CALLER, hold_seconds=1.5)
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
    return [demo.dialed, demo.story, route or (record.outcome if record else "-"), who, setup]


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
    args = parser.parse_args(argv)
    return asyncio.run(run_demo(keep=args.keep))


if __name__ == "__main__":
    sys.exit(main())
