"""The routing state of ``continuity serve`` alone, in a process of its own, for bench.scale.

Started with a database URL and a state directory, it loads the routing state the way
the app does (``SnapshotService`` with the change listener and the disk mirror), says
on stdout how long that took and its RSS, then follows changes: for each line
``NUMBER LABEL`` on stdin it prints, once the number carries that label in memory,
the wall-clock time it saw it. ``admin NUMBER LABEL`` makes that change itself first,
as the web console and HTTP API of ``serve`` do (checked against the state in use
when it is current), and prints when it was asked and committed too.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

from continuity.admin import Admin, SettingsChange
from continuity.core.routing import plan_route
from continuity.db.listener import ChangeListener
from continuity.db.pool import Pool
from continuity.db.store import Store
from continuity.snapshot import SnapshotService
from continuity.state_cache import StateCache


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def main(url: str, state_dir: Path) -> None:
    started = time.perf_counter()
    async with Pool(url, open=False, min_size=1, max_size=2) as pool:
        await pool.open(wait=True)
        store = Store(pool)
        service = SnapshotService(
            store, ChangeListener(url), StateCache(state_dir / "routing-state.json"), numbers=store
        )
        await service.start()
        first = min(service.current.numbers)
        plan_route(service.current, first)  # ready to route
        ready = time.perf_counter() - started
        print(json.dumps({"ready_s": ready, "rss_mb": rss_mb()}), flush=True)
        async with asyncio.TaskGroup() as tasks:
            follow = tasks.create_task(service.run())
            reader = asyncio.StreamReader()
            loop = asyncio.get_running_loop()
            await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
            console = Admin(Store(pool, held=service.state_at), "bench")
            while line := (await reader.readline()).decode().split():
                *command, number, label = line
                times = {}
                if command == ["admin"]:
                    times["called_at"] = time.time()
                    await console.change_number(number, SettingsChange(), label=label)
                    times["committed_at"] = time.time()
                while service.current.numbers[number].label != label:
                    await asyncio.sleep(0.0005)
                times["seen_at"] = time.time()
                print(json.dumps({**times, "rss_mb": rss_mb()}), flush=True)
            follow.cancel()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], Path(sys.argv[2])))
