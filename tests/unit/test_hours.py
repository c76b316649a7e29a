"""Business hours without I/O: which destination a line's continuity calls reach, and when."""

from __future__ import annotations

import dataclasses
import datetime as dt
import zoneinfo
from pathlib import Path

import pytest

from continuity.config import UnknownNumberPolicy
from continuity.core.hours import OpenRange, Schedule, check_timezone, parse_range
from continuity.core.model import (
    AccountSettings,
    ContinuitySettings,
    Destination,
    DestinationKind,
    Line,
    LineKind,
    Snapshot,
    TrackingNumber,
)
from continuity.core.routing import plan_route
from continuity.dialplan_templates.render import render_extensions
from continuity.errors import InvalidSetting
from continuity.state_cache import StateCache

SALES = "+12125550121"
CELL = Destination(DestinationKind.EXTERNAL, "+13125550161")
SERVICE = Destination(DestinationKind.EXTERNAL, "+13125550150")
NEW_YORK = "America/New_York"
OFFICE = Schedule(
    "office", NEW_YORK, (parse_range("mon-fri 09:00-17:00"),), (dt.date(2026, 12, 25),)
)


def ny(year: int, month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    """A New York wall-clock time, as the UTC instant the app's clock would give."""
    local = dt.datetime(year, month, day, hour, minute, tzinfo=zoneinfo.ZoneInfo(NEW_YORK))
    return local.astimezone(dt.UTC)


def snapshot(schedule: str | None = "office", default: str | None = None) -> Snapshot:
    sales = Line(
        "sales",
        LineKind.DEPARTMENT,
        continuity=ContinuitySettings(destination=CELL),
        schedule=schedule,
        after_hours=SERVICE,
    )
    return Snapshot(
        AccountSettings(ContinuitySettings(True, True)),  # continuity on: no primary step
        {SALES: TrackingNumber(SALES, line="sales")},
        {"sales": sales},
        schedules={"office": OFFICE},
        default_schedule=default,
    )


def first(state: Snapshot, now: dt.datetime) -> Destination:
    return plan_route(state, SALES, now=now).destinations[0]


def test_in_hours_the_cell_phone_out_of_hours_the_answering_service() -> None:
    state = snapshot()
    assert first(state, ny(2026, 12, 1, 9, 0)) == CELL  # a Tuesday, opening minute
    assert first(state, ny(2026, 12, 1, 16, 59)) == CELL
    assert first(state, ny(2026, 12, 1, 17, 0)) == SERVICE  # the end is excluded
    assert first(state, ny(2026, 12, 1, 8, 59)) == SERVICE
    assert first(state, ny(2026, 12, 5, 12, 0)) == SERVICE  # a Saturday
    assert first(state, ny(2026, 12, 25, 12, 0)) == SERVICE  # a Friday, but a holiday


def test_hours_follow_the_wall_clock_across_daylight_saving_changes() -> None:
    state = snapshot()
    # 2026-03-08 New York springs forward: 09:00 local is 14:00 UTC the Friday
    # before and 13:00 UTC the Monday after.
    friday, monday = (
        dt.datetime(2026, 3, 6, 14, tzinfo=dt.UTC),
        dt.datetime(2026, 3, 9, 13, tzinfo=dt.UTC),
    )
    assert first(state, friday) == CELL
    assert first(state, monday) == CELL
    assert first(state, monday - dt.timedelta(minutes=1)) == SERVICE
    # 2026-11-01 falls back: 16:59 EST on Monday is 21:59 UTC, open; 22:00 UTC is not.
    assert first(state, dt.datetime(2026, 11, 2, 21, 59, tzinfo=dt.UTC)) == CELL
    assert first(state, dt.datetime(2026, 11, 2, 22, 0, tzinfo=dt.UTC)) == SERVICE


def test_a_line_without_its_own_schedule_follows_the_default_and_without_any_has_no_hours() -> None:
    assert first(snapshot(None, default="office"), ny(2026, 12, 5, 12)) == SERVICE
    assert first(snapshot(None, default=None), ny(2026, 12, 5, 12)) == CELL
    assert plan_route(snapshot(), SALES).destinations[0] == CELL  # no clock: in hours


@pytest.mark.parametrize(
    ("spec", "says"),
    [
        ("mon-fri", "must be DAYS START-END"),
        ("mon-fri 17:00-09:00", "the end must come after the start"),
        ("fri-mon 09:00-17:00", "runs backwards"),
        ("weekdays 09:00-17:00", "must be day names"),
        ("mon 9-17", "must be HH:MM"),
        ("mon 09:00-24:30", "must be HH:MM"),
    ],
)
def test_bad_hours_are_refused_with_how_to_write_them(spec: str, says: str) -> None:
    with pytest.raises(InvalidSetting, match=says):
        parse_range(spec)


def test_ranges_read_as_written() -> None:
    assert parse_range("mon,wed-fri 08:30-24:00") == OpenRange((0, 2, 3, 4), 510, 1440)
    assert str(parse_range("sat 10:00-14:00")) == "sat 10:00-14:00"
    with pytest.raises(InvalidSetting, match="not a tz database zone"):
        check_timezone("Mars/Olympus")


def test_the_fallback_dialplan_checks_the_same_hours_and_holidays_before_the_chain() -> None:
    text = render_extensions(snapshot(), UnknownNumberPolicy("reject", "unallocated"), 30)
    assert f"Set(CONTINUITY_LOCAL_DATE=${{STRFTIME(${{EPOCH}},{NEW_YORK},%Y-%m-%d)}})" in text
    assert 'GotoIf($["${CONTINUITY_LOCAL_DATE}" = "2026-12-25"]?closed)' in text
    # Asterisk's ranges include their last minute: 17:00 excluded is written 16:59.
    assert [ln for ln in text.splitlines() if "GotoIfTime" in ln] == [
        f" same => n,GotoIfTime(09:00-16:59,{day},*,*,{NEW_YORK}?open)"
        for day in ("mon", "tue", "wed", "thu", "fri")
    ]
    assert "[continuity-fallback-closed]" in text
    closed = text.split("[continuity-fallback-closed]", 1)[1].split("[continuity-unknown]")[0]
    assert f"Dial(PJSIP/{SERVICE.target}@continuity-pstn" in closed


def test_the_state_cache_keeps_hours_tests_and_primary_numbers_for_routing_without_postgresql(
    tmp_path: Path,
) -> None:
    state = dataclasses.replace(
        snapshot(),
        primary_numbers=("+1212555*",),
        numbers={
            SALES: TrackingNumber(
                SALES, line="sales", test_mode=True, test_until=ny(2026, 12, 1, 10)
            )
        },
    )
    cache = StateCache(tmp_path / "state.json")
    cache.save(state)
    assert cache.load() == state
