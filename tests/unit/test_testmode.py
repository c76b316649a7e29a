"""Failover test mode per number and per line, with an end time judged by the clock."""

from __future__ import annotations

import datetime as dt

import pytest

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
from continuity.core.routing import PlanReason, plan_route
from continuity.core.testmode import (
    SubjectKind,
    TimedTest,
    expired_tests,
    next_test_end,
    parse_duration,
)
from continuity.core.validation import check_test_duration
from continuity.errors import InvalidSetting

BILLBOARD = "+12125550102"
WEBSITE = "+12125550101"
ANSWERING_SERVICE = Destination(DestinationKind.EXTERNAL, "+13125550150")
T0 = dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)
HALF_HOUR = dt.timedelta(minutes=30)


def snapshot(*numbers: TrackingNumber, lines: tuple[Line, ...] = ()) -> Snapshot:
    account = AccountSettings(ContinuitySettings(False, True, ANSWERING_SERVICE))
    return Snapshot(account, {n.number: n for n in numbers}, {ln.id: ln for ln in lines})


def test_a_number_in_test_mode_skips_the_primary_while_its_neighbour_on_the_line_does_not() -> None:
    sales = Line("sales", LineKind.DEPARTMENT)
    state = snapshot(
        TrackingNumber(BILLBOARD, line="sales", test_mode=True),
        TrackingNumber(WEBSITE, line="sales"),
        lines=(sales,),
    )
    billboard = plan_route(state, BILLBOARD, now=T0)
    assert billboard.reason is PlanReason.TEST_MODE
    assert billboard.destinations[0] == ANSWERING_SERVICE
    assert plan_route(state, WEBSITE, now=T0).reason is PlanReason.NORMAL


def test_a_timed_number_test_applies_until_its_end_time_and_then_the_primary_is_back() -> None:
    state = snapshot(TrackingNumber(BILLBOARD, test_mode=True, test_until=T0 + HALF_HOUR))
    assert plan_route(state, BILLBOARD, now=T0).reason is PlanReason.TEST_MODE
    assert plan_route(state, BILLBOARD, now=T0 + HALF_HOUR).reason is PlanReason.NORMAL
    assert plan_route(state, BILLBOARD, now=T0 + HALF_HOUR).destinations[0].kind is (
        DestinationKind.PRIMARY
    )


def test_a_timed_line_test_ends_for_every_number_of_the_line() -> None:
    sales = Line("sales", LineKind.DEPARTMENT, test_mode=True, test_until=T0 + HALF_HOUR)
    state = snapshot(TrackingNumber(BILLBOARD, line="sales"), lines=(sales,))
    assert plan_route(state, BILLBOARD, now=T0 + dt.timedelta(minutes=29)).reason is (
        PlanReason.TEST_MODE
    )
    assert plan_route(state, BILLBOARD, now=T0 + HALF_HOUR).reason is PlanReason.NORMAL


def test_expired_tests_are_those_whose_end_has_come_and_the_next_end_is_the_soonest() -> None:
    sales = Line("sales", LineKind.DEPARTMENT, test_mode=True, test_until=T0 + HALF_HOUR)
    support = Line("support", LineKind.DEPARTMENT, test_mode=True)  # until stopped
    state = snapshot(
        TrackingNumber(BILLBOARD, test_mode=True, test_until=T0 + dt.timedelta(minutes=5)),
        lines=(sales, support),
    )
    assert expired_tests(state, T0) == []
    assert next_test_end(state, T0) == T0 + dt.timedelta(minutes=5)
    assert expired_tests(state, T0 + dt.timedelta(minutes=10)) == [
        TimedTest(SubjectKind.NUMBER, BILLBOARD, T0 + dt.timedelta(minutes=5))
    ]
    assert next_test_end(state, T0 + dt.timedelta(minutes=10)) == T0 + HALF_HOUR
    assert next_test_end(state, T0 + HALF_HOUR) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30m", HALF_HOUR),
        ("90s", dt.timedelta(seconds=90)),
        ("1h30m", dt.timedelta(hours=1, minutes=30)),
        ("2H", dt.timedelta(hours=2)),
        ("1d", dt.timedelta(days=1)),
    ],
)
def test_durations_read_as_an_admin_types_them(text: str, expected: dt.timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "not understood"),
        ("30", "not understood"),
        ("m", "not understood"),
        ("0m", "longer than zero"),
        ("8d", "longer than 7 days"),
        ("-5m", "not understood"),
    ],
)
def test_bad_durations_are_refused_with_how_to_write_them(text: str, says: str) -> None:
    with pytest.raises(InvalidSetting, match=says):
        parse_duration(text)


def test_a_duration_goes_with_a_start_only() -> None:
    assert check_test_duration(True, HALF_HOUR, T0) == T0 + HALF_HOUR
    assert check_test_duration(True, None, T0) is None
    with pytest.raises(InvalidSetting, match="not with `test stop`"):
        check_test_duration(False, HALF_HOUR, T0)
