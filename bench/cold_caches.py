"""``python -m bench.cold_caches``: what the same work costs when calls are far apart.

At 20 calls/s the app's code runs once every 50 ms, and finds the CPU's caches and
branch predictors cold: whatever else ran on the machine (or on the host under this
virtual machine) meanwhile evicted them. This measures that penalty on fixed work, with
nothing of the network or the loop in it: the thread's own CPU time for one piece of work
run back to back (hot), then the same work after each pause of a given length, asleep
(the core idles, as the app's loop does between calls) or spinning (the core stays busy
with a tight loop of its own).

Two pieces of work:
* **python**: what the app must parse of every call at the least with
  ``dialing = dialplan``: its ``StasisStart`` and ``StasisEnd`` frames and its line of
  Asterisk's call trace, with the product's own parsers (about 23 us hot). Python
  bytecode, like most of the app's work per call;
* **c**: two CRC-32s of 16 KiB (about 9 us hot), machine code that touches little.

The ratio of a paced run to the hot one is the factor by which CPU per call grows
between a closed loop (calls back to back) and calls as far apart as the pause. Medians
of each piece's CPU times; a run takes about a minute.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path

from bench.app_logic import dialplan_frames, trace_line
from bench.options import RESULTS, write_results
from continuity.ari_app.client.events import decode_frame, parse_event
from continuity.core.call_trace import parse_trace

_CALLER = "1796130954.3"
_FRAMES = dialplan_frames(_CALLER)
_TRACE = trace_line(_CALLER)
_BUFFER = bytes(range(256)) * 64


def _python() -> None:
    for frame in _FRAMES:
        parse_event(decode_frame(frame))
    parse_trace(_TRACE)


def _c() -> None:
    zlib.crc32(_BUFFER)
    zlib.crc32(_BUFFER)


WORK: dict[str, Callable[[], None]] = {"python": _python, "c": _c}


def _pause(seconds: float, spin: bool) -> None:
    if not spin:
        time.sleep(seconds)
        return
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


def cpu_us(work: Callable[[], None], runs: int, pause: float = 0.0, spin: bool = False) -> float:
    """Median CPU time of one ``work()``, microseconds, with ``pause`` seconds before each."""
    times = []
    for _ in range(runs):
        if pause:
            _pause(pause, spin)
        start = time.thread_time_ns()
        work()
        times.append(time.thread_time_ns() - start)
    return statistics.median(times) / 1000


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.cold_caches", description=__doc__)
    parser.add_argument(
        "--pauses", default="0.001,0.005,0.02,0.05", help="pauses to try, seconds (0.001,...)"
    )
    parser.add_argument("--runs", type=int, default=200, help="paced runs per pause (200)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="results folder")
    args = parser.parse_args(argv)
    try:
        pauses = [float(p) for p in args.pauses.split(",") if p]
    except ValueError:
        parser.error("--pauses takes seconds, like 0.001,0.05")
    if not pauses or min(pauses) <= 0 or args.runs < 1:
        parser.error("--pauses above 0 seconds, --runs at least 1")
    results: dict[str, object] = {"runs": args.runs, "pauses": pauses}
    for name, work in WORK.items():
        hot = cpu_us(work, args.runs * 10)
        figures: dict[str, object] = {"hot_us": hot}
        for pause in pauses:
            for spin in (False, True):
                cost = cpu_us(work, args.runs, pause, spin)
                how = "spinning" if spin else "asleep"
                figures[f"{how}_{pause:g}s_us"] = cost
                print(
                    f"{name}: after {pause * 1000:g} ms {how}: {cost:.1f} us"
                    f" ({cost / hot:.1f}x the {hot:.1f} us hot)",
                    file=sys.stderr,
                )
        results[name] = figures
    write_results(args.out, "cold-caches", results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
