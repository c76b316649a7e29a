"""Events for one channel are handled in order; channels never wait on each other."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import defaultdict
from collections.abc import Hashable

import pytest

from continuity.ari_app.client import AriError, AriEvent, KeyedDispatcher, UnknownEvent, parse_event

from .fakes import channel, event, varset


def seq_of(ev: AriEvent) -> int:
    assert isinstance(ev, UnknownEvent)
    return int(ev.raw["value"])


async def test_500_interleaved_events_over_20_channels_keep_per_channel_order() -> None:
    rng = random.Random(20261122)  # noqa: S311 - reproducible test data
    handled: dict[str | None, list[int]] = defaultdict(list)
    running = 0
    peak = 0

    async def handle(ev: AriEvent) -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(rng.uniform(0, 0.003))
        handled[ev.channel_id].append(seq_of(ev))
        running -= 1

    dispatcher = KeyedDispatcher(handle)
    sent: dict[str, list[int]] = defaultdict(list)
    for seq in range(500):
        channel_id = f"caller-{rng.randrange(20)}"
        sent[channel_id].append(seq)
        dispatcher.submit(parse_event(varset(channel_id, seq)))
        if rng.random() < 0.2:
            await asyncio.sleep(0)  # let workers interleave with arrivals
    async with asyncio.timeout(10):
        await dispatcher.drain()

    assert dict(handled) == dict(sent)
    assert all(seqs == sorted(seqs) for seqs in handled.values())
    assert peak > 1, "different channels should have been handled concurrently"
    assert dispatcher.active_keys == 0 and dispatcher.pending == 0


async def test_a_two_second_handler_on_one_channel_does_not_delay_another() -> None:
    other_handled = asyncio.Event()
    slow_started = asyncio.Event()
    slow_cancelled = False

    async def handle(ev: AriEvent) -> None:
        nonlocal slow_cancelled
        if ev.channel_id == "slow-caller":
            slow_started.set()
            try:
                await asyncio.sleep(2)
            except asyncio.CancelledError:
                slow_cancelled = True
                raise
        else:
            other_handled.set()

    dispatcher = KeyedDispatcher(handle)
    dispatcher.submit(parse_event(event("StasisStart", args=[], channel=channel("slow-caller"))))
    await slow_started.wait()
    started = time.monotonic()
    dispatcher.submit(parse_event(event("StasisStart", args=[], channel=channel("fast-caller"))))
    async with asyncio.timeout(2):
        await other_handled.wait()
    elapsed = time.monotonic() - started
    await dispatcher.close()

    assert elapsed < 0.5, f"other channel waited {elapsed:.3f} s behind a slow handler"
    assert slow_cancelled, "close() cancels handlers still running"
    assert dispatcher.active_keys == 0


async def test_a_slow_handler_holds_back_only_later_events_of_its_own_channel() -> None:
    order: list[str] = []

    async def handle(ev: AriEvent) -> None:
        order.append(f"start {ev.type} {ev.channel_id}")
        if ev.type == "StasisStart" and ev.channel_id == "c1":
            await asyncio.sleep(0.05)
        order.append(f"end {ev.type} {ev.channel_id}")

    dispatcher = KeyedDispatcher(handle)
    dispatcher.submit(parse_event(event("StasisStart", args=[], channel=channel("c1"))))
    dispatcher.submit(parse_event(event("StasisEnd", channel=channel("c1"))))
    dispatcher.submit(parse_event(event("StasisEnd", channel=channel("c2"))))
    await dispatcher.drain()

    assert order.index("end StasisStart c1") < order.index("start StasisEnd c1")
    assert order.index("end StasisEnd c2") < order.index("end StasisStart c1")


async def test_a_failing_handler_is_logged_and_the_channel_keeps_being_served(
    caplog: pytest.LogCaptureFixture,
) -> None:
    handled: list[int] = []

    async def handle(ev: AriEvent) -> None:
        if seq_of(ev) == 0:
            raise RuntimeError("routing table missing")
        handled.append(seq_of(ev))

    dispatcher = KeyedDispatcher(handle)
    with caplog.at_level(logging.ERROR, logger="continuity.ari_app.client.dispatch"):
        for seq in range(3):
            dispatcher.submit(parse_event(varset("c1", seq)))
        await dispatcher.drain()

    assert handled == [1, 2]
    [record] = caplog.records
    assert record.getMessage() == "Handler failed on ChannelVarset event for key c1; continuing"
    assert record.exc_info is not None


async def test_workers_exit_when_idle_so_memory_does_not_grow() -> None:
    async def handle(ev: AriEvent) -> None:
        await asyncio.sleep(0)

    dispatcher = KeyedDispatcher(handle)
    for n in range(2000):
        dispatcher.submit(parse_event(varset(f"caller-{n}", n)))
    assert dispatcher.active_keys == 2000
    await dispatcher.drain()
    assert dispatcher.active_keys == 0
    assert dispatcher.pending == 0
    # A channel seen before gets a fresh worker.
    dispatcher.submit(parse_event(varset("caller-7", 1)))
    await dispatcher.drain()
    assert dispatcher.active_keys == 0


async def test_events_without_a_channel_share_one_ordered_key() -> None:
    seen: list[str] = []

    async def handle(ev: AriEvent) -> None:
        await asyncio.sleep(0.01 if ev.type == "A" else 0)
        seen.append(ev.type)

    dispatcher = KeyedDispatcher(handle)
    for kind in ("A", "B", "C"):
        dispatcher.submit(parse_event(event(kind)))
    assert dispatcher.active_keys == 1
    await dispatcher.drain()
    assert seen == ["A", "B", "C"]


async def test_a_custom_key_orders_all_legs_of_a_call_together() -> None:
    """The app keys by call: a caller channel and its outbound legs share one queue."""

    def call_of(ev: AriEvent) -> Hashable:
        return (ev.channel_id or "").split("~", 1)[0]

    log: list[str] = []

    async def handle(ev: AriEvent) -> None:
        log.append(f"start {ev.channel_id}")
        await asyncio.sleep(0.02 if ev.channel_id == "caller-1" else 0)
        log.append(f"end {ev.channel_id}")

    dispatcher = KeyedDispatcher(handle, key=call_of)
    dispatcher.submit(parse_event(event("StasisStart", args=[], channel=channel("caller-1"))))
    dispatcher.submit(parse_event(event("Dial", peer=channel("caller-1~leg-1"), dialstatus="")))
    assert dispatcher.active_keys == 1
    await dispatcher.drain()
    assert log == ["start caller-1", "end caller-1", "start caller-1~leg-1", "end caller-1~leg-1"]


async def test_a_closed_dispatcher_refuses_new_events() -> None:
    async def handle(ev: AriEvent) -> None:
        return None

    dispatcher = KeyedDispatcher(handle)
    await dispatcher.close()
    with pytest.raises(AriError, match="dispatcher is closed; dropped StasisEnd event"):
        dispatcher.submit(parse_event(event("StasisEnd", channel=channel("c1"))))
