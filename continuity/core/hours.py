"""Business hours: weekly schedules in a named time zone, with holidays. Pure.

A line follows its own schedule, else the account's default one. Out of its
hours, a line with an after-hours destination sends its continuity calls
there instead of to its in-hours destination. Whether a schedule is open is
judged at the ``now`` the caller gives, in the schedule's time zone (so
daylight saving time moves the hours with the wall clock, as people expect).
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from dataclasses import dataclass

from continuity.errors import InvalidSetting

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MINUTES_PER_DAY = 24 * 60
_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,39}\Z")
_TIME = re.compile(r"([01][0-9]|2[0-4]):([0-5][0-9])\Z")
#: Time zone names as the tz database writes them; nothing dialplan could read as syntax.
_ZONE = re.compile(r"[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+){0,2}\Z")


@dataclass(frozen=True, slots=True)
class OpenRange:
    """Open on ``days`` (0 = Monday) from ``start`` up to, not including, ``end``
    (minutes after local midnight; ``end`` may be 1440, midnight)."""

    days: tuple[int, ...]
    start: int
    end: int

    def __str__(self) -> str:
        return f"{_days_text(self.days)} {_hhmm(self.start)}-{_hhmm(self.end)}"

    def covers(self, weekday: int, minute: int) -> bool:
        return weekday in self.days and self.start <= minute < self.end


@dataclass(frozen=True, slots=True)
class Schedule:
    name: str
    timezone: str
    ranges: tuple[OpenRange, ...] = ()
    #: Local dates closed all day, whatever the weekly hours say.
    holidays: tuple[dt.date, ...] = ()

    def local(self, now: dt.datetime) -> dt.datetime:
        return now.astimezone(zoneinfo.ZoneInfo(self.timezone))

    def is_open(self, now: dt.datetime) -> bool:
        local = self.local(now)
        if local.date() in self.holidays:
            return False
        minute = local.hour * 60 + local.minute
        return any(r.covers(local.weekday(), minute) for r in self.ranges)


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _days_text(days: tuple[int, ...]) -> str:
    return ",".join(DAYS[d] for d in days)


def check_schedule_name(name: str) -> str:
    if not _NAME.match(name):
        raise InvalidSetting(
            f"schedule name {name!r} must be 1-40 lower-case letters, digits or dashes, "
            "e.g. office or weekend-desk"
        )
    return name


def check_timezone(name: str) -> str:
    """A tz database zone such as America/New_York; refused with how to find one."""
    if _ZONE.match(name):
        try:
            zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            pass
        else:
            return name
    raise InvalidSetting(
        f"time zone {name!r} is not a tz database zone; give one such as America/New_York "
        "or Europe/Paris (`timedatectl list-timezones` lists them)"
    )


def _minute(text: str, what: str, spec: str) -> int:
    match = _TIME.match(text)
    if match is None or (match[1] == "24" and match[2] != "00"):
        raise InvalidSetting(f"hours {spec!r}: {what} {text!r} must be HH:MM, 00:00 to 24:00")
    return int(match[1]) * 60 + int(match[2])


def _day_set(text: str, spec: str) -> tuple[int, ...]:
    days: set[int] = set()
    for part in text.lower().split(","):
        first, _, last = part.partition("-")
        if first not in DAYS or (last and last not in DAYS):
            raise InvalidSetting(
                f"hours {spec!r}: days {text!r} must be day names ({', '.join(DAYS)}), "
                "ranges such as mon-fri, or lists such as mon,wed,fri"
            )
        start, end = DAYS.index(first), DAYS.index(last or first)
        if end < start:
            raise InvalidSetting(f"hours {spec!r}: {part} runs backwards; write e.g. mon-fri")
        days.update(range(start, end + 1))
    return tuple(sorted(days))


def parse_range(spec: str) -> OpenRange:
    """``mon-fri 09:00-17:00``, ``sat 10:00-14:00``, ``mon,wed 08:30-12:00``."""
    parts = spec.split()
    if len(parts) != 2 or "-" not in parts[1]:
        raise InvalidSetting(f"hours {spec!r} must be DAYS START-END, e.g. 'mon-fri 09:00-17:00'")
    start_text, _, end_text = parts[1].partition("-")
    start = _minute(start_text, "start", spec)
    end = _minute(end_text, "end", spec)
    if end <= start:
        raise InvalidSetting(
            f"hours {spec!r}: the end must come after the start (for a night shift give "
            "two ranges, e.g. 'mon 22:00-24:00' and 'tue 00:00-06:00')"
        )
    return OpenRange(_day_set(parts[0], spec), start, end)


def parse_holiday(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise InvalidSetting(f"holiday {text!r} must be a date such as 2026-12-25") from exc
