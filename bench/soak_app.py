"""``continuity serve`` under a supervisor, as the shipped systemd unit runs it.

The unit says ``Restart=always`` and ``RestartSec=1``: whenever the process
exits, however it exits, it is started again a second later. The soak
SIGKILLs it and counts on exactly that. Every run appends to one log; the
sampler reads the current run's RSS and open file descriptors from /proc.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from bench.app_process import config_environment
from continuity import names
from continuity.config import Config
from localstack.instance import AsteriskInstance
from localstack.process import terminate

log = logging.getLogger(__name__)

#: ``RestartSec=`` of deploy/systemd's unit.
RESTART_SEC = 1.0
#: What ``continuity serve`` logs once a run has taken over what it found on the pbx.
READY_LINE = "in step with Asterisk"


@dataclass(frozen=True, slots=True)
class Usage:
    """One sample of the app's process: wall time, pid, resident memory and open fds."""

    time: float
    pid: int
    rss_kib: int
    fds: int


def usage(pid: int) -> Usage | None:
    """The process's VmRSS and open file descriptors, or ``None`` if it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        fds = len(os.listdir(f"/proc/{pid}/fd"))
    except (FileNotFoundError, ProcessLookupError):
        return None
    rss = next(
        (int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0
    )
    return Usage(time.time(), pid, rss, fds)


class Supervisor:
    """Keeps one ``continuity serve`` running: started again ``RESTART_SEC`` after any exit."""

    def __init__(self, config: Config, pbx: AsteriskInstance, log_path: Path) -> None:
        self._env = config_environment(config)
        self._pbx = pbx
        self.log_path = log_path
        self.process: asyncio.subprocess.Process | None = None
        #: (wall time, pid) of each start; (wall time, pid, status) of each exit.
        self.starts: list[tuple[float, int]] = []
        self.exits: list[tuple[float, int, int]] = []
        self._task: asyncio.Task[None] | None = None
        self._killed: set[int] = set()
        #: How many READY_LINEs the log held when the current run started.
        self._ready_before = 0

    @property
    def pid(self) -> int | None:
        proc = self.process
        return proc.pid if proc is not None and proc.returncode is None else None

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    async def _spawn(self) -> asyncio.subprocess.Process:
        self._ready_before = self.log_text().count(READY_LINE)
        with self.log_path.open("ab") as out:
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "continuity", "serve",
                env=self._env, stdin=asyncio.subprocess.DEVNULL,
                stdout=out, stderr=asyncio.subprocess.STDOUT,
            )  # fmt: skip
        self.starts.append((time.time(), proc.pid))
        log.info("continuity serve started (pid %s)", proc.pid)
        return proc

    async def _keep_running(self) -> None:
        while True:
            self.process = await self._spawn()
            status = await self.process.wait()
            self.exits.append((time.time(), self.process.pid, status))
            log.info("continuity serve exited with %s; restarting in %g s", status, RESTART_SEC)
            await asyncio.sleep(RESTART_SEC)

    async def ready(self) -> bool:
        """The current run has taken over and its ARI app is registered."""
        pid = self.pid
        if pid is None or pid in self._killed:
            return False
        if self.log_text().count(READY_LINE) <= self._ready_before:
            return False
        return names.ARI_APP in await self._pbx.cli("ari show apps")

    async def until_ready(self, timeout: float = 60.0) -> float:
        """Wait until :meth:`ready`; return the wall time it was."""
        async with asyncio.timeout(timeout):
            while not await self.ready():
                await asyncio.sleep(0.1)
        return time.time()

    def kill(self) -> int:
        """SIGKILL the current run (no clean-up runs); returns its pid."""
        pid = self.pid
        if pid is None:
            raise RuntimeError("continuity serve is not running")
        os.kill(pid, signal.SIGKILL)
        self._killed.add(pid)
        return pid

    async def start(self) -> None:
        self._task = asyncio.create_task(self._keep_running(), name="supervisor")
        await self.until_ready()

    async def stop(self) -> None:
        """Stop supervising, then SIGTERM the run (as ``systemctl stop``)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self.process is not None:
            await terminate(self.process, 20)


@contextlib.asynccontextmanager
async def supervised(
    config: Config, pbx: AsteriskInstance, log_path: Path
) -> AsyncIterator[Supervisor]:
    supervisor = Supervisor(config, pbx, log_path)
    try:
        await supervisor.start()
        yield supervisor
    finally:
        await supervisor.stop()
