"""How fast an outage of the primary trunk is declared, and how fast calls fail back.

Real Asterisk (the local stack, qualify every second, 0.5 s timeout), the
real AMI adapter and the pure detector with the test session's settings:
the primary is frozen (SIGSTOP) and thawed ROUNDS times.

    .venv/bin/python -m bench.outage_detection [ROUNDS]
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time

from continuity import names
from continuity.agi.ami import AmiCredentials
from continuity.agi.ami_monitor import ContactWatch
from continuity.core.outage import DetectorState, OutageMode, OutagePolicy, observe
from localstack import LocalStack, ensure_rootfs
from tests.outage.settings import (
    FAIL_AFTER,
    HOLD_DOWN,
    QUALIFY_FREQUENCY,
    QUALIFY_TIMEOUT,
    RECOVER_AFTER,
)

POLICY = OutagePolicy(OutageMode.AUTO, FAIL_AFTER, RECOVER_AFTER, HOLD_DOWN)


async def main(rounds: int) -> None:
    async with LocalStack(
        ensure_rootfs(), qualify_frequency=QUALIFY_FREQUENCY, qualify_timeout=QUALIFY_TIMEOUT
    ) as stack:
        ami = stack.pbx_ami
        watch = ContactWatch(
            AmiCredentials(ami.host, ami.port, ami.username, ami.secret),
            names.ENDPOINT_PRIMARY,
            float(QUALIFY_FREQUENCY),
        )
        state = DetectorState()

        async def feed() -> None:
            nonlocal state
            async for sample in watch.samples():
                state = observe(state, sample, POLICY).state

        async def until(down: bool, timeout: float = 30) -> float:
            async with asyncio.timeout(timeout):
                while state.detected_down is not down:
                    await asyncio.sleep(0.005)
            return time.monotonic()

        task = asyncio.create_task(feed())
        declare, recover = [], []
        try:
            await asyncio.sleep(3)
            for n in range(rounds):
                await asyncio.sleep(0.37 * n % 1)  # spread the freeze over the qualify period
                frozen = time.monotonic()
                stack.freeze_primary()
                declare.append(await until(True) - frozen)
                thawed = time.monotonic()
                stack.thaw_primary()
                recover.append(await until(False) - thawed)
                print(f"round {n + 1}: declared {declare[-1]:.2f} s, back {recover[-1]:.2f} s")
        finally:
            stack.thaw_primary()
            task.cancel()
    print(
        f"declared after freeze: min {min(declare):.2f} s, median "
        f"{statistics.median(declare):.2f} s, max {max(declare):.2f} s ({rounds} rounds; "
        f"qualify {QUALIFY_FREQUENCY} s, timeout {QUALIFY_TIMEOUT} s, N={FAIL_AFTER})"
    )
    print(
        f"fail-back after thaw: min {min(recover):.2f} s, median "
        f"{statistics.median(recover):.2f} s, max {max(recover):.2f} s (M={RECOVER_AFTER}, "
        f"hold-down {HOLD_DOWN:g} s)"
    )


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 10))
