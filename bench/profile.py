"""Where the app spends its CPU on routed calls: py-spy on ``continuity serve``.

py-spy (PyPI, a dev tool: ``pip install py-spy``) samples the app's stacks
without stopping it (``--nonblocking``) while a block of ARI calls runs. The
report lists the functions with the most samples, by self time and by
inclusive time, as a share of all samples taken while the app was busy.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import signal
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from bench.calls_figures import block, cpu_ms_per_call
from bench.capture import InviteCapture
from bench.rig import Rig

Progress = Callable[[str], None]
_FRAME_LINE = re.compile(r":\d+\)$")


def py_spy() -> str:
    beside = Path(sys.executable).parent / "py-spy"
    found = str(beside) if beside.exists() else shutil.which("py-spy")
    if found is None:
        raise RuntimeError("py-spy is not installed: `.venv/bin/pip install py-spy`")
    return found


#: Parts of the app a sample is charged to: the innermost frame that matches one.
_PARTS = (
    ("idle (selector wait, idle worker threads)", re.compile(r"Selector\.select|_worker \(conc")),
    ("websockets", re.compile(r"websockets/")),
    # picows is compiled: its own time shows under wire.py's callback or uvloop's loop.
    ("picows (ari_app/client/wire.py)", re.compile(r"picows/|ari_app/client/wire")),
    ("psycopg (call records)", re.compile(r"psycopg")),
    ("logging", re.compile(r"logging/|logsetup")),
    ("prometheus_client (metrics)", re.compile(r"prometheus_client")),
    ("ARI client: parse, models, codec", re.compile(r"ari_app/client/(events|models|codec)")),
    ("ARI client: wsrest, stream, dispatch, rest", re.compile(r"ari_app/client/")),
    ("call service, translator, routing, records", re.compile(r"ari_app/|continuity/")),
    ("asyncio machinery", re.compile(r"asyncio/")),
)
UVLOOP = "uvloop's C loop (its epoll wait, callbacks and socket I/O; py-spy cannot see in)"


def by_part(collapsed: str) -> str:
    """Shares of the samples per part of the app (see ``_PARTS``)."""
    counts: Counter[str] = Counter()
    for line in collapsed.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        frames = stack.split(";")[1:]
        part = "other"
        if frames and frames[-1].startswith("Runner.run"):
            part = UVLOOP
        else:
            for frame in reversed(frames):
                found = next((name for name, rx in _PARTS if rx.search(frame)), None)
                if found:
                    part = found
                    break
        counts[part] += int(count_text)
    total = sum(counts.values())
    if not total:
        return "no samples"
    lines = ["share %  part (innermost matching frame)"]
    lines += [f"{n * 100 / total:6.1f}  {part}" for part, n in counts.most_common()]
    return "\n".join(lines)


def summarise(collapsed: str, top: int = 20) -> str:
    """Top functions by self and inclusive samples from py-spy's collapsed stacks."""
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in collapsed.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_FRAME_LINE.sub(")", f) for f in stack.split(";")[1:]]  # drop the thread
        if not frames:
            continue
        total += count
        own[frames[-1]] += count
        for frame in set(frames):
            inclusive[frame] += count
    if not total:
        return "no samples"
    lines = [f"{total} samples while busy", "", "self %  function"]
    lines += [f"{n * 100 / total:6.1f}  {f}" for f, n in own.most_common(top)]
    lines += ["", "incl %  function"]
    lines += [f"{n * 100 / total:6.1f}  {f}" for f, n in inclusive.most_common(top)]
    return "\n".join(lines)


async def profile_ari(
    rig: Rig,
    capture: InviteCapture,
    *,
    calls: int,
    rate: float,
    hold: float,
    progress: Progress,
    save_to: Path,
) -> str:
    """Profile ``calls`` ARI calls; keep py-spy's collapsed stacks in ``save_to``."""
    out = save_to
    out.parent.mkdir(parents=True, exist_ok=True)
    progress(f"profiling the app with py-spy during {calls} ARI calls at {rate:g}/s ...")
    spy = await asyncio.create_subprocess_exec(
        py_spy(),
        "record",
        "--pid",
        str(rig.app.pid),
        "--rate",
        "500",
        "--nonblocking",
        "--format",
        "raw",
        "--output",
        str(out),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await asyncio.sleep(1.0)  # py-spy attaches
        done = await block(
            rig, capture, ("ari",), calls, concurrency=200, hold=hold, rate=rate, progress=progress
        )
    finally:
        if spy.returncode is None:
            spy.send_signal(signal.SIGINT)
        _, err = await asyncio.wait_for(spy.communicate(), 30)
    if not out.exists():
        raise RuntimeError(f"py-spy wrote no profile: {err.decode(errors='replace')}")
    app_ms = cpu_ms_per_call({"app": done.cpu.get("app", 0.0)}, len(done.judged))["app"]
    head = f"app CPU per call during the profiled block: {app_ms:.2f} ms (py-spy attached)\n"
    text = out.read_text()
    return head + by_part(text) + "\n\n" + summarise(text)
