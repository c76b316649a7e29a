"""Business hours: the ARI app and the generated fallback dialplan agree, in hours, out of
hours, on a holiday, and in a zone on daylight saving time.

Asterisk reads the real clock, so each schedule is built around the current
time: open from half an hour before now to half an hour after, in that
zone's wall-clock time. Sydney is on daylight saving time in December and
New York is not: a side that ignored DST would be an hour off and find the
line closed. For each state a caller dials the tracking number twice, once
through the app and once straight into the fallback (``fallback_entrance``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import zoneinfo
from dataclasses import dataclass

import pytest

from continuity.business_hours import BusinessHours
from continuity.core.hours import OpenRange
from continuity.core.model import Destination, DestinationKind
from tests.dialplan.calls import Landing, landing, quiet
from tests.dialplan.fallback_entrance import FallbackEntrance
from tests.scenario import Scenario, external

SALES = "+12125550121"
CELL = "+13125550161"  # in hours
ANSWERING_SERVICE = "+13125550150"  # out of hours
IN_HOURS = Landing([("pstn", CELL, "answer")], "answered")
OUT_OF_HOURS = Landing([("pstn", ANSWERING_SERVICE, "answer")], "answered")


@dataclass(frozen=True)
class State:
    story: str
    zone: str
    #: Days from today (local) the open range is on: 0 today, 1 tomorrow.
    day_offset: int
    holiday_today: bool
    expected: Landing
    #: The range ends at the current minute (ends are excluded; Asterisk's include them).
    ends_now: bool = False


STATES = [
    State("New York, standard time, in hours", "America/New_York", 0, False, IN_HOURS),
    State("Sydney, daylight saving time, in hours", "Australia/Sydney", 0, False, IN_HOURS),
    State("Sydney, open only tomorrow: out of hours", "Australia/Sydney", 1, False, OUT_OF_HOURS),
    State("New York, in hours but a holiday", "America/New_York", 0, True, OUT_OF_HOURS),
    State(
        "New York, the hours ended at this minute", "America/New_York", 0, False, OUT_OF_HOURS, True
    ),
]


def around_now(zone: str, day_offset: int, ends_now: bool) -> tuple[OpenRange, dt.date]:
    """An hour-long range centred on now (or ending at this minute), in the local time of
    ``zone``, and today's local date."""
    local = dt.datetime.now(dt.UTC).astimezone(zoneinfo.ZoneInfo(zone))
    minute = local.hour * 60 + local.minute
    day = (local.weekday() + day_offset) % 7
    if ends_now:
        return OpenRange((day,), max(minute - 60, 0), max(minute, 1)), local.date()
    return OpenRange((day,), max(minute - 30, 0), min(minute + 31, 24 * 60)), local.date()


async def early_in_a_minute() -> None:
    """So that both calls of a test placed at a minute's edge happen within that minute."""
    while dt.datetime.now(dt.UTC).second >= 30:
        await asyncio.sleep(0.5)


async def fallback_holds(s: Scenario, version: int) -> None:
    """Until Asterisk holds the fallback of ``version`` (or newer), in either store."""
    applied = await s.app.dialplan_status.wait_for(version, timeout=10)
    assert applied is not None and applied.error is None, applied


@pytest.mark.parametrize("state", STATES, ids=[s.story for s in STATES])
async def test_the_fallback_dialplan_and_the_ari_app_agree_on_business_hours(
    scenario: Scenario, state: State
) -> None:
    s = scenario
    entrance = await FallbackEntrance.open(s.stack)
    hours = BusinessHours(s.store, "test")
    if state.ends_now:
        await early_in_a_minute()
    opened, today = around_now(state.zone, state.day_offset, state.ends_now)
    await hours.add_schedule("desk", state.zone, [opened], [today] if state.holiday_today else [])
    await s.line("sales", destination=external(CELL))
    await hours.set_line_hours(
        "sales",
        schedule="desk",
        after_hours=Destination(DestinationKind.EXTERNAL, ANSWERING_SERVICE),
    )
    await s.tracking_number(SALES, line="sales", on=True)
    await fallback_holds(s, (await s.store.load_snapshot()).version)

    through_ari = await landing(s.stack, await s.call(SALES))
    await quiet(s.stack)
    through_fallback = await landing(s.stack, await entrance.call(SALES))

    assert through_ari == state.expected
    assert through_fallback == through_ari
    record = await s.call_record(SALES)
    assert record.answered_target == state.expected.seen[0][1]
