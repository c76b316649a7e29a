"""A fallback dialplan that could not be applied is applied again, with backoff, said once."""

from __future__ import annotations

import asyncio
import logging

import pytest

from continuity.core.model import Snapshot
from continuity.dialplan_retry import DialplanRetry
from continuity.errors import DialplanRejected


class Asterisk:
    """Refuses the first ``refusals`` applies, then holds what it is given."""

    def __init__(self, refusals: int) -> None:
        self.refusals = refusals
        self.holds: Snapshot | None = None

    async def apply(self, snapshot: Snapshot) -> bool:
        if self.refusals:
            self.refusals -= 1
            raise DialplanRejected("extensions_continuity.conf", "reload failed: AMI is away")
        self.holds = snapshot
        return True


async def test_a_failed_apply_is_retried_until_asterisk_holds_the_current_state(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="continuity.dialplan_retry")
    asterisk = Asterisk(refusals=3)
    current = Snapshot(version=9)
    retry = DialplanRetry(asterisk, lambda: current, (DialplanRejected,), base=0.01)

    await retry.apply(Snapshot(version=8))  # fails: a subscriber never sees it raise
    async with asyncio.timeout(5), asyncio.TaskGroup() as tasks:
        running = tasks.create_task(retry.run())
        while asterisk.holds is None:
            await asyncio.sleep(0.01)
        running.cancel()

    assert asterisk.holds == current
    errors = [r for r in caplog.records if r.levelname == "ERROR"]
    assert len(errors) == 1 and not errors[0].exc_info  # one line, no traceback
    assert "fallback dialplan applied again, for v9" in caplog.text


async def test_an_unexpected_failure_is_logged_with_its_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class Broken:
        async def apply(self, snapshot: Snapshot) -> bool:
            raise KeyError("template variable")

    retry = DialplanRetry(Broken(), Snapshot, (DialplanRejected,))
    await retry.apply(Snapshot())  # does not raise

    [error] = [r for r in caplog.records if r.levelname == "ERROR"]
    assert error.exc_info and "KeyError" in error.getMessage()
