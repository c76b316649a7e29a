"""The overload decision: when new callers go to the fallback dialplan (pure)."""

from __future__ import annotations

from continuity.core.overload import Lag, Route, route_new_caller


def test_a_leg_that_took_seconds_to_start_marks_asterisk_as_behind() -> None:
    lag = Lag(stale_after=2.0)
    assert lag.current(now=0.0) == 0.0

    lag = lag.observe(0.004, now=1.0)
    assert lag.current(now=1.0) == 0.004

    for t in (1.1, 1.2, 1.3, 1.4, 1.5):
        lag = lag.observe(1.5, now=t)
    assert lag.current(now=1.5) > 1.0


def test_once_nobody_measured_for_a_while_the_next_call_measures_afresh() -> None:
    lag = Lag(stale_after=2.0).observe(3.0, now=10.0)
    assert lag.current(now=11.9) == 3.0
    assert lag.current(now=12.1) == 0.0  # stale: the next call routes and measures

    lag = lag.observe(0.003, now=12.2)
    assert lag.current(now=12.2) == 0.003


def test_a_caller_that_waited_past_the_threshold_is_handed_off() -> None:
    assert route_new_caller(waited=0.6, lag=0.0, threshold=0.5) is Route.HAND_OFF
    assert route_new_caller(waited=0.1, lag=0.5, threshold=0.5) is Route.HAND_OFF
    assert route_new_caller(waited=0.1, lag=0.2, threshold=0.5) is Route.HERE
