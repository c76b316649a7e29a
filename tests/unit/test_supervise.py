"""A background worker that raises is restarted alone; cancelling it still ends it."""

from __future__ import annotations

import asyncio

import pytest

from continuity.supervise import supervise


async def test_a_worker_that_keeps_failing_is_restarted_and_its_traceback_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    runs = 0

    async def flaky() -> None:
        nonlocal runs
        runs += 1
        if runs <= 3:
            raise ValueError("Header values may not contain linefeed")

    await asyncio.wait_for(supervise("voicemail-notices", flaky, base=0.01, cap=0.02), 5)

    assert runs == 4
    failures = [r for r in caplog.records if r.name == "continuity.supervise"]
    assert [r.exc_info is not None for r in failures] == [True, False, False]
    assert all("voicemail-notices failed" in r.getMessage() for r in failures)


async def test_cancelling_a_supervised_worker_ends_it_and_is_never_swallowed() -> None:
    started = asyncio.Event()

    async def forever() -> None:
        started.set()
        await asyncio.sleep(3600)

    task = asyncio.create_task(supervise("call-records", forever))
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_a_failing_worker_leaves_its_siblings_in_the_task_group_running() -> None:
    ticks = 0

    async def broken() -> None:
        raise RuntimeError("the recorder sink is broken")

    async def routing() -> None:
        nonlocal ticks
        while ticks < 20:
            ticks += 1
            await asyncio.sleep(0.005)

    async with asyncio.timeout(5), asyncio.TaskGroup() as tasks:
        failing = tasks.create_task(supervise("call-records", broken, base=0.01, cap=0.01))
        await tasks.create_task(supervise("routing", routing))
        failing.cancel()

    assert ticks == 20
