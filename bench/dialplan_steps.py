"""``python -m bench.dialplan_steps``: what one dialplan priority costs Asterisk.

A Local channel on a bare instance of the stack's Asterisk loops ``--loops`` times over
two dialplans: three priorities per turn, then the same three and three ``NoOp()``s. The
difference in Asterisk's CPU time (user + system, from ``/proc``), divided by the extra
priorities, is the CPU of one priority: the application itself and the channel snapshot
every step publishes. Back to back, so with warm caches; runs alternate, twice each.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

from bench.app_process import cpu_seconds
from bench.options import RESULTS, write_results
from localstack.instance import AsteriskInstance
from localstack.rootfs import ensure_rootfs

_EXTENSIONS = """\
[turn3]
exten => s,1,Set(i=0)
 same => n(top),Set(i=$[${{i}}+1])
 same => n,GotoIf($[${{i}}<{loops}]?top)
 same => n,Hangup()
[turn6]
exten => s,1,Set(i=0)
 same => n(top),Set(i=$[${{i}}+1])
 same => n,NoOp(a ${{EXTEN}})
 same => n,NoOp(b ${{EXTEN}})
 same => n,NoOp(c ${{EXTEN}})
 same => n,GotoIf($[${{i}}<{loops}]?top)
 same => n,Hangup()
[idle]
exten => s,1,Wait(3600)
"""


async def _turns(pbx: AsteriskInstance, context: str) -> float:
    """Asterisk's CPU seconds for one run of ``context``'s loop."""
    assert pbx.pid is not None
    before = cpu_seconds(pbx.pid)
    await pbx.cli(f"channel originate Local/s@{context} extension s@idle")
    while context in await pbx.cli("core show channels concise"):
        await asyncio.sleep(0.02)
    spent = cpu_seconds(pbx.pid) - before
    await pbx.cli("channel request hangup all")
    await asyncio.sleep(0.3)
    return spent


async def measure(loops: int) -> dict[str, object]:
    pbx = AsteriskInstance(
        ensure_rootfs(), "steps", configs={"extensions.conf": _EXTENSIONS.format(loops=loops)}
    )
    await pbx.start()
    try:
        runs = [(context, await _turns(pbx, context)) for context in ("turn3", "turn6") * 2]
    finally:
        await pbx.stop()
    three = [cpu for context, cpu in runs if context == "turn3"]
    six = [cpu for context, cpu in runs if context == "turn6"]
    per_step = (sum(six) - sum(three)) / len(six) / (3 * loops)
    return {
        "loops": loops,
        "cpu_turn3_s": three,
        "cpu_turn6_s": six,
        "us_per_priority": per_step * 1e6,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.dialplan_steps", description=__doc__)
    parser.add_argument("--loops", type=int, default=20000, help="turns of each loop (20000)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="results folder")
    args = parser.parse_args(argv)
    if args.loops < 100:
        parser.error("--loops: at least 100")
    results = asyncio.run(measure(args.loops))
    print(
        f"one dialplan priority: {results['us_per_priority']:.1f} us of Asterisk's CPU",
        file=sys.stderr,
    )
    write_results(args.out, "dialplan-steps", results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
