"""``python -m bench.instructions``: the app's own instructions per call, counted.

CPU time on a shared 2-core machine moves by a third from run to run; the number of
instructions a process executes does not. This runs :mod:`bench.app_logic` (the
product's event path in-process: decode, parse, dispatch, the call service, REST over
the WebSocket answered at once, and with ``--dialing dialplan`` the call trace) under
valgrind's instruction counter, for two call counts, and reports the difference
divided by the difference in calls: start-up and imports cancel out. Repeats agree to
within 0.5 %. ``--tree`` counts the app of another checkout (a ``git worktree``) with
this tool, to compare two commits.

Needs valgrind (Debian's package ``valgrind``); a run takes about a minute.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from bench.options import RESULTS, write_results
from continuity.config import Dialing

_REFS = re.compile(r"I\s+refs:\s+([\d,]+)")
#: The run under valgrind: the app's logic for N calls, as bench.app_logic plays them.
_PROGRAM = """
import gc, importlib.util, sys, uvloop
spec = importlib.util.spec_from_file_location("app_logic", sys.argv[3])  # this checkout's
app_logic = importlib.util.module_from_spec(spec); spec.loader.exec_module(app_logic)
from continuity.config import Dialing
from continuity.logsetup import configure_logging
configure_logging("INFO", "text", stream=open("/dev/null", "w"))
gc.collect(); gc.freeze(); gc.set_threshold(20_000)  # as the app settles its heap
calls, dialing = int(sys.argv[1]), Dialing(sys.argv[2])
uvloop.run(app_logic.run(calls, with_dial=False, dialing=dialing, product_rest=True))
"""


def instructions(tree: Path, calls: int, dialing: Dialing, bench_root: Path) -> int:
    """Instructions valgrind counted for a run of ``calls`` calls."""
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        raise SystemExit("valgrind is not installed (Debian package valgrind)")
    env = {**os.environ, "PYTHONPATH": str(tree)}  # the app (and its bench helpers) of ``tree``
    done = subprocess.run(
        [valgrind, "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null",
         sys.executable, "-c", _PROGRAM, str(calls), dialing.value,
         str(bench_root / "bench" / "app_logic.py")],
        cwd=tree, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    found = _REFS.search(done.stderr)
    if found is None:
        raise SystemExit(f"valgrind printed no instruction count:\n{done.stderr[-2000:]}")
    return int(found.group(1).replace(",", ""))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.instructions", description=__doc__)
    parser.add_argument(
        "--dialing", type=Dialing, choices=list(Dialing), default=Dialing.DIALPLAN,
        help="the call flow (default: dialplan)",
    )  # fmt: skip
    parser.add_argument("--calls", default="200,1200", help="the two call counts (200,1200)")
    parser.add_argument("--tree", type=Path, default=Path.cwd(), help="the app's checkout")
    parser.add_argument("--out", type=Path, default=RESULTS, help="results folder")
    args = parser.parse_args(argv)
    try:
        low, high = (int(n) for n in args.calls.split(","))
    except ValueError:
        parser.error("--calls takes two numbers, like 200,1200")
    if not 0 < low < high:
        parser.error("--calls: the second count must be above the first, both above 0")
    root = Path(__file__).resolve().parent.parent
    counts = [instructions(args.tree.resolve(), n, args.dialing, root) for n in (low, high)]
    per_call = (counts[1] - counts[0]) / (high - low)
    print(f"{args.dialing.value}: {per_call:,.0f} instructions per call")
    write_results(
        args.out,
        f"instructions-{args.dialing.value}",
        {"dialing": args.dialing.value, "calls": [low, high], "instructions": counts,
         "per_call": per_call},
    )  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
