"""``continuity serve`` as a real process a test can SIGKILL and start again."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import psycopg

from continuity import names
from continuity.config import Config
from localstack import LocalStack, process
from localstack.product import fallback_route
from tests.dialplan.processes import REPO, environment

#: What ``continuity serve`` logs after each (re)connection's takeover.
READY_LINE = "in step with Asterisk"


class Serving:
    """One ``continuity serve`` at a time, all writing to one log."""

    def __init__(self, stack: LocalStack, config: Config, log: Path, ready_number: str) -> None:
        self.stack = stack
        self.config = config
        self.log = log
        #: A number the fallback dialplan holds once this run has applied its files.
        #: (Asterisk lists the app for a while after its run died: no readiness signal.)
        self._ready_number = ready_number
        self.process: asyncio.subprocess.Process | None = None
        self._runs = 0

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-6000:]

    def _synced(self) -> int:
        """How many times a run logged that it is in step with Asterisk (after its
        takeover of the calls nobody owned)."""
        return self.log.read_text(errors="replace").count(READY_LINE) if self.log.exists() else 0

    async def start(self, wait: bool = True) -> None:
        self._runs = self._synced()
        with self.log.open("ab") as out:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "continuity", "serve",
                env=environment(self.config), cwd=REPO,
                stdout=out, stderr=asyncio.subprocess.STDOUT,
            )  # fmt: skip
        if wait:
            await self.until(self.ready, "starting", timeout=30)

    async def ready(self) -> bool:
        """The run started last is connected, has taken over what it found, and its
        fallback dialplan is loaded."""
        if self._synced() <= self._runs:
            return False
        return await fallback_route(self.stack.pbx, self.config, self._ready_number) is not None

    async def kill(self) -> None:
        """SIGKILL: no clean-up of any kind runs."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        assert await self.process.wait() == -signal.SIGKILL

    async def terminate(self) -> None:
        """SIGTERM, as ``systemctl stop``: the run stops cleanly."""
        assert self.process is not None
        await process.terminate(self.process, grace=10.0)
        assert self.process.returncode == 0, self.tail()

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.kill()
            await self.process.wait()

    async def until(
        self, check: Callable[[], Awaitable[bool]], what: str, timeout: float = 20.0
    ) -> None:
        async with asyncio.timeout(timeout):
            while not await check():
                if self.process is not None and self.process.returncode is not None:
                    raise AssertionError(f"continuity serve exited while {what}:\n{self.tail()}")
                await asyncio.sleep(0.05)


async def pbx_channels(stack: LocalStack) -> list[str]:
    """The pbx's channels, as ``core show channels concise`` lines."""
    return (await stack.pbx.cli("core show channels concise")).splitlines()


async def pbx_bridges(stack: LocalStack) -> list[str]:
    """The pbx's bridges, as ``bridge show all`` lines (none: the header only)."""
    return (await stack.pbx.cli("bridge show all")).splitlines()[1:]


async def until_no_channel_left(stack: LocalStack, timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while await pbx_channels(stack):
            await asyncio.sleep(0.05)


async def a_clean_slate(stack: LocalStack, url: str, numbers: list[str]) -> None:
    """A reset stack, and no trace line or record of earlier calls to ``numbers``."""
    await stack.reset()
    # Calls of other modules on this shared pbx left trace lines for their own databases.
    trace = stack.pbx.root / "spool" / names.CALL_TRACE_FILE
    for left in trace.parent.glob(f"{trace.name}*"):
        left.unlink()
    # ...and apps of earlier modules on this database may have ingested those already.
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        await conn.execute("DELETE FROM call_records WHERE tracking_number = ANY(%s)", (numbers,))
