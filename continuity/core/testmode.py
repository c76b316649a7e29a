"""Failover test mode, per line and per tracking number, with an optional end time.

Pure: the clock comes in as ``now``. A test whose end time has passed simply
stops applying; the app then writes the automatic stop (audited) once.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from dataclasses import dataclass

from continuity.core.model import Snapshot
from continuity.errors import InvalidSetting

#: The longest a timed test may run: a test is a drill, not a way to keep a line failed over.
MAX_TEST_DURATION = dt.timedelta(days=7)
_DURATION = re.compile(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?\Z")


class SubjectKind(enum.StrEnum):
    LINE = "line"
    NUMBER = "number"


@dataclass(frozen=True, slots=True)
class TimedTest:
    """A test with an end time: a line's or a tracking number's."""

    kind: SubjectKind
    subject: str
    until: dt.datetime


def test_applies(on: bool, until: dt.datetime | None, now: dt.datetime | None) -> bool:
    """Whether a test flag counts at ``now``. Without a clock an end time cannot be judged,
    so the flag counts until the automatic stop clears it."""
    if not on:
        return False
    return until is None or now is None or now < until


def parse_duration(text: str) -> dt.timedelta:
    """``30m``, ``2h``, ``1h30m``, ``90s``, ``1d``: a positive duration up to 7 days."""
    match = _DURATION.match(text.strip().lower())
    if not text.strip() or match is None or not any(match.groups()):
        raise InvalidSetting(
            f"test duration {text!r} is not understood: give a number with a unit, "
            "e.g. 90s, 30m, 2h, 1h30m or 1d"
        )
    days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
    duration = dt.timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
    if duration <= dt.timedelta(0):
        raise InvalidSetting(f"test duration {text!r} must be longer than zero")
    if duration > MAX_TEST_DURATION:
        raise InvalidSetting(
            f"test duration {text!r} is longer than {MAX_TEST_DURATION.days} days; a test "
            "is a drill: use `--continuity on` to keep calls on continuity"
        )
    return duration


def timed_tests(snapshot: Snapshot) -> list[TimedTest]:
    """Every test in the snapshot that has an end time, soonest first."""
    found = [
        TimedTest(SubjectKind.LINE, ln.id, ln.test_until)
        for ln in snapshot.lines.values()
        if ln.test_mode and ln.test_until is not None
    ] + [
        TimedTest(SubjectKind.NUMBER, n.number, n.test_until)
        for n in snapshot.numbers.values()
        if n.test_mode and n.test_until is not None
    ]
    return sorted(found, key=lambda t: (t.until, t.kind.value, t.subject))


def expired_tests(snapshot: Snapshot, now: dt.datetime) -> list[TimedTest]:
    """Tests whose end time has come: routing ignores them already; they await their stop."""
    return [t for t in timed_tests(snapshot) if t.until <= now]


def next_test_end(snapshot: Snapshot, now: dt.datetime) -> dt.datetime | None:
    return next((t.until for t in timed_tests(snapshot) if t.until > now), None)


def describe_end(until: dt.datetime | None, now: dt.datetime) -> str:
    """``until 10:30:00 UTC (in 25m)`` or ``until stopped``, for status lines."""
    if until is None:
        return "until stopped"
    left = max(int((until - now).total_seconds()), 0)
    hours, rest = divmod(left, 3600)
    minutes, seconds = divmod(rest, 60)
    span = f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{seconds:02d}s"
    return f"until {until.astimezone(dt.UTC):%Y-%m-%d %H:%M:%S} UTC (in {span})"
