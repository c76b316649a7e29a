"""``continuity serve`` as a process of its own, and CPU time read from /proc.

The app runs apart from the harness so that the harness's own work (placing
calls over AMI, reading captures) neither slows the app's event loop nor
counts as the app's CPU time.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import re
import shutil
import signal
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from continuity import names
from continuity.config import SETTINGS, Config
from localstack.instance import AsteriskInstance
from localstack.process import terminate

SOURCE_ROOT = Path(__file__).resolve().parent.parent
#: The checkout ``continuity serve`` runs from (``--app-tree``): this one by default.
APP_TREE = [SOURCE_ROOT]
_TICK = os.sysconf("SC_CLK_TCK")
_PR_SET_PDEATHSIG = 1
_MESSAGES = re.compile(r"^continuity_ari_websocket_messages_total\{[^}]*\} (\S+)$", re.M)
_LOADED = re.compile(r"^(\S+ \S+) INFO continuity\.snapshot: routing state v(\d+) loaded", re.M)


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process, all its threads, from ``/proc/<pid>/stat``."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / _TICK


def cpu_seconds_precise(pid: int) -> float:
    """On-CPU time of every live thread of a process, in ns, from ``schedstat``.

    Ticks (10 ms) are too coarse for the app's idle rate and a sub-millisecond cost
    per call; threads that already exited are not counted (the app keeps its few)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            total += int((task / "schedstat").read_text().split()[0])
    return total / 1e9


def wakeups(pid: int) -> int:
    """Times the process's main thread (the app's event loop) went to sleep and was
    woken: its voluntary context switches, from ``/proc/<pid>/status``."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("voluntary_ctxt_switches:"):
            return int(line.split()[1])
    return 0


@dataclass(frozen=True, slots=True)
class CpuSample:
    """CPU seconds of the watched processes and the wall clock, at one moment; and
    how often the app's event loop had slept and woken by then."""

    wall: float
    cpu: dict[str, float]
    app_wakeups: int = 0

    def since(self, earlier: CpuSample) -> dict[str, float]:
        return {name: self.cpu[name] - earlier.cpu.get(name, 0.0) for name in self.cpu}


def machine_busy_seconds() -> float:
    """CPU time every CPU of the machine spent busy (not idle or iowait), from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / _TICK


class CpuMeter:
    """Samples the CPU time of named processes (the app, each Asterisk, the harness)
    and, as ``others``, what every other process on the machine used meanwhile."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = {**pids, "harness": os.getpid()}

    def sample(self) -> CpuSample:
        ours = {n: cpu_seconds(p) for n, p in self.pids.items()}
        ours["others"] = machine_busy_seconds() - sum(ours.values())
        wakes = 0
        if "app" in self.pids:
            ours["app"] = cpu_seconds_precise(self.pids["app"])
            wakes = wakeups(self.pids["app"])
        return CpuSample(time.monotonic(), ours, wakes)


def config_environment(config: Config) -> dict[str, str]:
    """The environment that makes ``continuity serve`` run with ``config``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONTINUITY_")}
    # The app runs from the harness's source tree (or ``--app-tree``), whatever is installed.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(APP_TREE[0]), env.get("PYTHONPATH")]))
    for name, (variable, _) in SETTINGS.items():
        env[variable] = str(getattr(config, name))
    return env


def _die_with_parent() -> None:
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def _continuity_command() -> list[str]:
    beside = Path(sys.executable).parent / "continuity"
    found = str(beside) if beside.exists() else shutil.which("continuity")
    if found is None:
        raise RuntimeError("the `continuity` command is not installed; run `pip install -e .`")
    return [found]


class AppProcess:
    """The running ``continuity serve``: its pid, its log, and when it loaded a state."""

    def __init__(
        self, proc: asyncio.subprocess.Process, log_path: Path, metrics_listen: str = ""
    ) -> None:
        self.proc = proc
        self.log_path = log_path
        self.metrics_listen = metrics_listen

    async def ari_messages(self) -> int | None:
        """WebSocket messages the app exchanged with ARI so far (None: no such metric)."""
        if not self.metrics_listen:
            return None
        host, port = self.metrics_listen.rsplit(":", 1)
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            writer.write(f"GET /metrics HTTP/1.0\r\nHost: {host}\r\n\r\n".encode())
            await writer.drain()
            text = (await reader.read()).decode(errors="replace")
        finally:
            writer.close()
        found = _MESSAGES.findall(text)
        return int(sum(float(n) for n in found)) if found else None

    @property
    def pid(self) -> int:
        return self.proc.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def loaded_at(self, version: int) -> float | None:
        """Wall-clock time the app logged loading routing state ``version`` (ms resolution)."""
        for stamp, loaded in _LOADED.findall(self.log()):
            if int(loaded) >= version:
                when = time.strptime(stamp.split(",")[0], "%Y-%m-%d %H:%M:%S")
                return time.mktime(when) + int(stamp.split(",")[1]) / 1000
        return None


async def _wait_ready(app: AppProcess, pbx: AsteriskInstance, timeout: float) -> None:
    async with asyncio.timeout(timeout):
        while True:
            if app.proc.returncode is not None:
                raise RuntimeError(
                    f"continuity serve exited with {app.proc.returncode}:\n{app.log()[-3000:]}"
                )
            if _LOADED.search(app.log()) and names.ARI_APP in await pbx.cli("ari show apps"):
                return
            await asyncio.sleep(0.1)


@contextlib.asynccontextmanager
async def app_process(
    config: Config, pbx: AsteriskInstance, log_path: Path, *, timeout: float = 20.0
) -> AsyncIterator[AppProcess]:
    """Start ``continuity serve``; wait until its ARI app is registered; SIGTERM after."""
    with log_path.open("ab") as log:
        proc = await asyncio.create_subprocess_exec(
            *_continuity_command(),
            "serve",
            env=config_environment(config),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=log,
            stderr=asyncio.subprocess.STDOUT,
            preexec_fn=_die_with_parent,
        )
    app = AppProcess(proc, log_path, getattr(config, "metrics_listen", ""))
    try:
        await _wait_ready(app, pbx, timeout)
        yield app
    finally:
        await terminate(proc, 10)
