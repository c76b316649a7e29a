"""The soak's faults, on a fixed schedule that scales with the run's length.

Each fault is placed at a fraction of the calling time, so the 30-minute
benchmark and the 3-minute test go through the same faults in the same
order:

* SIGKILL of the app, started again by the supervisor a second later;
* the app's PostgreSQL connection cut (a TCP proxy between them is closed,
  every session dropped), with a second SIGKILL half-way through it, so a
  run starts while the database is away;
* the primary flapping: it answers 503, answers, stops answering anything
  (SIGSTOP), answers again, for a few cycles;
* one restart of the pbx's Asterisk (``core restart now``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bench.soak_app import Supervisor
from localstack import LocalStack
from localstack.tcpproxy import TcpProxy

log = logging.getLogger(__name__)

Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class Schedule:
    """When each fault starts, in seconds after the first call, and how long it lasts."""

    app_kill: float
    db_cut: float
    db_cut_seconds: float
    flap: float
    flap_step: float
    flap_cycles: int
    asterisk_restart: float

    @classmethod
    def for_duration(cls, seconds: float, db_cut_seconds: float = 30.0) -> Schedule:
        step = max(3.0, min(10.0, seconds / 60))
        return cls(
            app_kill=0.12 * seconds,
            db_cut=0.30 * seconds,
            db_cut_seconds=db_cut_seconds,
            flap=0.50 * seconds,
            flap_step=step,
            flap_cycles=2,
            asterisk_restart=0.80 * seconds,
        )


@dataclass(slots=True)
class FaultEvent:
    """One fault as it happened: wall-clock start and end (the end: all back to normal)."""

    name: str
    start: float
    end: float = 0.0
    detail: str = ""


@dataclass
class FaultLog:
    events: list[FaultEvent] = field(default_factory=list)

    def begin(self, name: str, detail: str = "") -> FaultEvent:
        event = FaultEvent(name, time.time(), detail=detail)
        self.events.append(event)
        log.info("fault %s begins %s", name, detail)
        return event

    def of(self, name: str) -> list[FaultEvent]:
        return [e for e in self.events if e.name == name]


async def _at(t0: float, offset: float) -> None:
    await asyncio.sleep(max(0.0, t0 + offset - time.time()))


async def kill_app(supervisor: Supervisor, faults: FaultLog, why: str = "") -> None:
    pid = supervisor.kill()
    event = faults.begin("app_kill", f"SIGKILL pid {pid}{why}")
    event.end = await supervisor.until_ready(timeout=120)


async def cut_database(
    proxy: TcpProxy, supervisor: Supervisor, faults: FaultLog, seconds: float
) -> None:
    event = faults.begin("db_cut", f"{seconds:g} s")
    await proxy.cut()
    await asyncio.sleep(seconds / 2)
    await kill_app(supervisor, faults, " while PostgreSQL is cut")
    await asyncio.sleep(max(0.0, event.start + seconds - time.time()))
    await proxy.restore()
    event.end = time.time()


async def flap_primary(
    stack: LocalStack, number: str, step: float, cycles: int, faults: FaultLog
) -> None:
    """503s, answers, silence (SIGSTOP), answers: ``cycles`` times, ``step`` s each."""
    event = faults.begin(
        "primary_flap", f"{cycles} x (503, answer, stopped, answer), {step:g} s each"
    )
    try:
        for _ in range(cycles):
            await stack.set_behavior(number, "reject:503")
            await asyncio.sleep(step)
            await stack.set_behavior(number, "answer")
            await asyncio.sleep(step)
            stack.freeze_primary()
            await asyncio.sleep(step)
            stack.thaw_primary()
            await asyncio.sleep(step)
    finally:
        stack.thaw_primary()
        await stack.set_behavior(number, "answer")
        event.end = time.time()


async def restart_asterisk(stack: LocalStack, supervisor: Supervisor, faults: FaultLog) -> None:
    event = faults.begin("asterisk_restart", "core restart now")
    await stack.pbx.restart()
    event.detail += f"; fully booted after {time.time() - event.start:.1f} s"
    # Back to normal once the app is connected again (the fallback routes until then).
    async with asyncio.timeout(60):
        while not await supervisor.ready():
            await asyncio.sleep(0.1)
    event.end = time.time()


async def run_schedule(
    schedule: Schedule,
    t0: float,
    *,
    stack: LocalStack,
    supervisor: Supervisor,
    proxy: TcpProxy,
    number: str,
    faults: FaultLog,
    progress: Progress,
) -> None:
    """Every fault, in order, each at its time after ``t0`` (wall clock)."""
    await _at(t0, schedule.app_kill)
    progress("fault: SIGKILL of the app")
    await kill_app(supervisor, faults)
    await _at(t0, schedule.db_cut)
    progress(f"fault: PostgreSQL cut for {schedule.db_cut_seconds:g} s (SIGKILL of the app in it)")
    await cut_database(proxy, supervisor, faults, schedule.db_cut_seconds)
    await _at(t0, schedule.flap)
    progress("fault: the primary flaps")
    await flap_primary(stack, number, schedule.flap_step, schedule.flap_cycles, faults)
    await _at(t0, schedule.asterisk_restart)
    progress("fault: Asterisk restart")
    await restart_asterisk(stack, supervisor, faults)
    progress("faults: all done")
