"""A closed AMI client stops trying to reach an Asterisk that is gone (a node SIGKILLed)."""

from __future__ import annotations

import asyncio
import logging

import pytest

from continuity.agi.ami import AmiCredentials
from continuity.agi.ami_monitor import ContactWatch
from localstack.ports import PortAllocator

RECONNECT = 0.05


def retries(caplog: pytest.LogCaptureFixture) -> int:
    return sum("Not able to" in r.getMessage() for r in caplog.records)


async def test_the_trunk_watch_of_a_dead_asterisk_stops_retrying_once_closed(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="panoramisk")
    nobody = AmiCredentials("127.0.0.1", PortAllocator().tcp(), "continuity", "secret")
    watch = ContactWatch(nobody, "continuity-primary", interval=0.05, reconnect=RECONNECT)

    async def watching() -> None:
        async for _ in watch.samples():
            pass

    sampling = asyncio.create_task(watching())
    async with asyncio.timeout(5):
        while retries(caplog) < 3:  # panoramisk retries while the watch is open
            await asyncio.sleep(RECONNECT)
    sampling.cancel()
    with pytest.raises(asyncio.CancelledError):
        await sampling  # the watch's generator closed its manager on the way out
    closed_at = retries(caplog)
    await asyncio.sleep(RECONNECT * 10)
    assert retries(caplog) <= closed_at + 1  # at most one attempt already under way
