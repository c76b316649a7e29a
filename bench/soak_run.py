"""One soak: the local stack, ``continuity serve`` under its supervisor, SIPp, the faults.

:func:`soak` is what both ``python -m bench.soak`` (30 minutes at the issue's
figures) and ``tests/soak`` (3 minutes, a modest rate) run: it returns a
:class:`SoakResult` with every call joined to its landing and its record.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.capture import InviteCapture
from bench.rig import widen_rtp
from bench.soak_app import Supervisor, Usage, supervised, usage
from bench.soak_faults import FaultLog, Schedule, run_schedule
from bench.soak_report import (
    CallFigures,
    RecordFigures,
    check_records,
    classify_calls,
    pdd_windows,
    post_dial_delays,
    restart_window,
    usage_figures,
)
from continuity.admin import Admin
from continuity.core.model import (
    ContinuitySettings,
    Destination,
    DestinationKind,
    Line,
    LineKind,
    TrackingNumber,
)
from continuity.core.records import CallRecord
from continuity.db import migrate
from continuity.db.pool import Pool
from continuity.db.records import CallRecordStore
from continuity.db.store import Store
from localstack import LocalStack, resolve_database_url, temporary_database
from localstack.ports import LOOPBACK
from localstack.product import product_config
from localstack.sipp import SippCall, SippResult, place_calls
from localstack.sipp_ledger import Landing, answered_by_caller
from localstack.tcpproxy import TcpProxy

log = logging.getLogger(__name__)

Progress = Callable[[str], None]

NUMBER = "+12125550901"
SERVICE = "+13125550190"
LINE = "soak"
CALLER_PREFIX = "+1555"
#: Where a call may land, as the carrier's (role, number) and as its record says it.
REACHED = {("primary", NUMBER): ("primary", NUMBER), ("pstn", SERVICE): ("external", SERVICE)}
ALLOWED = set(REACHED.values())
SAMPLE_EVERY = 10.0
#: SIPp gives up on a response after this (a frozen primary costs primary_timeout, 20 s).
RECV_TIMEOUT = 30.0


@dataclass(frozen=True, slots=True)
class SoakSettings:
    seconds: float
    rate: float
    hold: float
    db_cut_seconds: float = 30.0
    capture: bool = True

    @property
    def calls(self) -> int:
        return max(1, round(self.seconds * self.rate))


@dataclass
class SoakResult:
    settings: SoakSettings
    schedule: Schedule
    t0: float
    sipp: SippResult
    calls: CallFigures
    records: RecordFigures
    faults: FaultLog
    usage: list[Usage]
    leftover_channels: dict[str, int]
    pdd: list[dict[str, Any]] = field(default_factory=list)
    app_log_errors: list[str] = field(default_factory=list)

    def usage_summary(self) -> dict[str, Any]:
        return usage_figures(self.usage)


def caller(i: int) -> str:
    return f"{CALLER_PREFIX}{i:07d}"


async def _provision(url: str) -> None:
    async with Pool(url, open=False, min_size=1, max_size=1) as pool:
        admin = Admin(Store(pool), "soak")
        await admin.add_line(Line(LINE, LineKind.DEPARTMENT))
        service = ContinuitySettings(destination=Destination(DestinationKind.EXTERNAL, SERVICE))
        await admin.add_number(TrackingNumber(NUMBER, line=LINE, continuity=service))


async def _records(url: str, callers: set[str]) -> list[CallRecord]:
    async with Pool(url, open=False, min_size=1, max_size=1) as pool:
        found = await CallRecordStore(pool).recent(10 * len(callers) + 100, NUMBER)
    return [r for r in found if r.caller_number in callers]


async def _sample(
    supervisor: Supervisor, samples: list[Usage], progress: Progress, workdir: Path, t0: float
) -> None:
    while True:
        pid = supervisor.pid
        found = usage(pid) if pid is not None else None
        if found is not None:
            samples.append(found)
        steps = _steps(workdir / "sipp" / "calls.log")
        up = steps["answered"] - steps["completed"]
        progress(
            f"t+{time.time() - t0:5.0f}s  placed {steps['placed']:6d}"
            f"  answered {steps['answered']:6d}  completed {steps['completed']:6d}  up {up:4d}"
            + (
                f"  app rss {found.rss_kib / 1024:.0f} MiB fds {found.fds}"
                if found
                else "  app down"
            )
        )
        await asyncio.sleep(SAMPLE_EVERY)


def _steps(path: Path) -> Counter_:
    counts: Counter_ = {"placed": 0, "answered": 0, "completed": 0}
    with contextlib.suppress(FileNotFoundError):
        for line in path.read_text(errors="replace").splitlines():
            step = line.split("|", 1)[0]
            if step in counts:
                counts[step] += 1
    return counts


Counter_ = dict[str, int]


async def _channels(stack: LocalStack) -> dict[str, int]:
    found = {}
    for name in ("pbx", "carrier", "primary"):
        text = await getattr(stack, name).cli("core show channels count")
        found[name] = int(text.split()[0]) if text.split() and text.split()[0].isdigit() else -1
    return found


async def _until_quiet(stack: LocalStack, timeout: float) -> dict[str, int]:
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(timeout):
            while any((await _channels(stack)).values()):
                await asyncio.sleep(0.5)
    return await _channels(stack)


@contextlib.asynccontextmanager
async def _database(progress: Progress) -> AsyncIterator[str]:
    base = await resolve_database_url()
    async with temporary_database(base, prefix="continuity_soak") as url:
        await migrate.upgrade(url)
        progress("temporary database ready")
        yield url


async def soak(
    settings: SoakSettings, workdir: Path, progress: Progress, rootfs: Path | None = None
) -> SoakResult:
    """Run one soak in ``workdir`` and return what it found."""
    await asyncio.to_thread(workdir.mkdir, parents=True, exist_ok=True)
    schedule = Schedule.for_duration(settings.seconds, settings.db_cut_seconds)
    progress(
        f"soak: {settings.calls} calls at {settings.rate:g}/s, {settings.hold:g} s holds,"
        f" faults at {schedule}"
    )
    async with contextlib.AsyncExitStack() as stack_:
        progress("starting pbx, carrier and primary (real Asterisk) ...")
        stack = await stack_.enter_async_context(
            LocalStack(rootfs, qualify_frequency=1, qualify_timeout=0.5, pbx_rtp_ports=4000)
        )
        await widen_rtp(stack, 4000)
        url = await stack_.enter_async_context(_database(progress))
        await _provision(url)
        proxy = TcpProxy.for_url(url)
        await proxy.start()
        stack_.push_async_callback(proxy.close)
        config = product_config(
            stack, proxy.url(url), workdir / "state",
            outage_check_interval=1.0, outage_hold_down=3.0,
        )  # fmt: skip
        progress("starting `continuity serve` under its supervisor ...")
        supervisor = await stack_.enter_async_context(
            supervised(config, stack.pbx, workdir / "continuity.log")
        )
        ports = [stack.pbx.sip_port, stack.carrier_primary_port, stack.carrier_pstn_port]
        capture = stack_.enter_context(InviteCapture(ports)) if settings.capture else None
        calls = [SippCall(caller(i), NUMBER) for i in range(settings.calls)]
        callers = {c.caller for c in calls}
        faults = FaultLog()
        samples: list[Usage] = []
        t0 = time.time()
        sipp = asyncio.create_task(
            place_calls(
                calls, f"{LOOPBACK}:{stack.pbx.sip_port}", workdir / "sipp", rate=settings.rate,
                hold_ms=int(settings.hold * 1000), timeout=settings.seconds + settings.hold + 300,
            )
        )  # fmt: skip
        sampler = asyncio.create_task(_sample(supervisor, samples, progress, workdir, t0))
        schedule_task = asyncio.create_task(
            run_schedule(
                schedule, t0, stack=stack, supervisor=supervisor, proxy=proxy,
                number=NUMBER, faults=faults, progress=progress,
            )
        )  # fmt: skip
        try:
            await schedule_task
            result = await sipp
        finally:
            for task in (sipp, schedule_task):
                task.cancel()
            if sys.exc_info()[0] is not None:
                sampler.cancel()
        progress(
            f"SIPp done: {result.placed} placed, {result.succeeded} succeeded,"
            f" {result.failed} failed"
        )
        leftover = await _until_quiet(stack, 30)
        await supervisor.until_ready(timeout=60)
        sampler.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sampler
        landings = answered_by_caller(stack.carrier_observations(), callers, REACHED)
        reached = {
            o.caller_id_number
            for o in stack.carrier_observations()
            if o.caller_id_number in callers
        }
        window = restart_window(faults.events)
        figures = classify_calls(
            result.calls, landings, ALLOWED, window, settings.hold, RECV_TIMEOUT
        )
        progress("waiting for the call records to settle ...")
        records = await _settled_records(url, callers, reached, landings, figures.at_restart)
        pdd: list[dict[str, Any]] = []
        if capture is not None:
            delays = post_dial_delays(capture.invites(), stack.pbx.sip_port, set(ports[1:]))
            pdd = pdd_windows(delays, t0, max(30.0, settings.seconds / 6))
        errors = [
            line
            for line in supervisor.log_text().splitlines()
            if " ERROR " in line or "Traceback" in line
        ]
        return SoakResult(
            settings,
            schedule,
            t0,
            result,
            figures,
            records,
            faults,
            samples,
            leftover,
            pdd,
            errors[:50],
        )
    raise AssertionError("unreachable")  # pragma: no cover


async def _settled_records(
    url: str,
    callers: set[str],
    reached: set[str],
    landings: dict[str, list[Landing]],
    at_restart: set[str],
) -> RecordFigures:
    """Records written late (spooled while PostgreSQL was cut, traced by the fallback)
    arrive within a few of the app's rounds: wait until nothing changes for 10 s."""
    deadline = time.monotonic() + 90
    last: tuple[int, int] | None = None
    stable_since = time.monotonic()
    while True:
        figures = check_records(await _records(url, callers), reached, landings, at_restart)
        key = (figures.found, len(figures.lost))
        if key != last:
            last, stable_since = key, time.monotonic()
        if not figures.lost and not figures.doubled and not figures.wrong:
            return figures
        if time.monotonic() - stable_since > 10 or time.monotonic() > deadline:
            return figures
        await asyncio.sleep(1)


def load_average() -> str:
    return (
        " ".join(Path("/proc/loadavg").read_text().split()[:3])
        if os.path.exists("/proc/loadavg")
        else ""
    )
