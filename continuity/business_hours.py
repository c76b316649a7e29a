"""Admin of business hours: schedules, the account default, each line's hours.

Each change is one admin change of the store (``Store.change``): validated
against the state read under its lock, then written with its audit entry
(``continuity.db.hours``), or not at all.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from typing import Protocol

from continuity.admin import KEEP, Keep, pick
from continuity.core.hours import (
    OpenRange,
    Schedule,
    check_schedule_name,
    check_timezone,
)
from continuity.core.model import Destination, Line, Snapshot
from continuity.core.validation import check_destination, check_not_primary_hosted
from continuity.errors import InvalidSetting, UnknownLine


class HoursWrites(Protocol):
    """The writes of one admin change; ``snapshot`` is the state read under its lock."""

    snapshot: Snapshot

    async def save_schedule(
        self, old: Schedule | None, new: Schedule, default: bool | None
    ) -> None: ...
    async def remove_schedule(self, schedule: Schedule) -> None: ...
    async def save_line_hours(self, old: Line, new: Line) -> None: ...


class HoursChanges(Protocol):
    def change(self, actor: str) -> AbstractAsyncContextManager[HoursWrites]: ...


def _schedule(snapshot: Snapshot, name: str) -> Schedule:
    found = snapshot.schedules.get(name)
    if found is None:
        known = ", ".join(sorted(snapshot.schedules)) or "none yet"
        raise InvalidSetting(
            f"no schedule {name!r} (schedules: {known}); add one with "
            "`continuity schedule add NAME --tz ZONE --hours 'mon-fri 09:00-17:00'`"
        )
    return found


def _line(snapshot: Snapshot, line_id: str) -> Line:
    found = snapshot.lines.get(line_id)
    if found is None:
        raise UnknownLine(
            line_id, difflib.get_close_matches(line_id, list(snapshot.lines), n=3, cutoff=0.5)
        )
    return found


class BusinessHours:
    def __init__(self, store: HoursChanges, actor: str) -> None:
        self._store = store
        self._actor = actor

    async def add_schedule(
        self,
        name: str,
        timezone: str,
        ranges: Sequence[OpenRange],
        holidays: Sequence[dt.date] = (),
        *,
        default: bool = False,
    ) -> Schedule:
        check_schedule_name(name)
        check_timezone(timezone)
        if not ranges:
            raise InvalidSetting(
                "a schedule needs its open hours: --hours 'mon-fri 09:00-17:00' (repeatable)"
            )
        async with self._store.change(self._actor) as tx:
            snapshot = tx.snapshot
            if name in snapshot.schedules:
                raise InvalidSetting(
                    f"schedule {name!r} already exists; change it with `continuity schedule set`"
                )
            schedule = Schedule(name, timezone, tuple(ranges), _dates(holidays))
            await tx.save_schedule(None, schedule, True if default else None)
            return schedule

    async def change_schedule(
        self,
        name: str,
        *,
        timezone: str | Keep = KEEP,
        ranges: Sequence[OpenRange] | Keep = KEEP,
        add_holidays: Sequence[dt.date] = (),
        remove_holidays: Sequence[dt.date] = (),
        default: bool | None = None,
    ) -> Schedule:
        async with self._store.change(self._actor) as tx:
            snapshot = tx.snapshot
            old = _schedule(snapshot, name)
            if isinstance(timezone, str):
                check_timezone(timezone)
            if ranges is not KEEP and not ranges:
                raise InvalidSetting("a schedule needs at least one --hours range")
            missing = [d for d in _dates(remove_holidays) if d not in old.holidays]
            if missing:
                raise InvalidSetting(
                    f"{', '.join(map(str, missing))} is not a holiday of schedule {name!r} "
                    f"(holidays: {', '.join(map(str, old.holidays)) or 'none'})"
                )
            if default is False and snapshot.default_schedule != name:
                raise InvalidSetting(
                    f"schedule {name!r} is not the default, so it cannot stop being it"
                )
            removed = set(_dates(remove_holidays))
            holidays = tuple(d for d in old.holidays if d not in removed) + _dates(add_holidays)
            new = dataclasses.replace(
                old,
                timezone=pick(timezone, old.timezone),
                ranges=tuple(pick(ranges, old.ranges)),
                holidays=tuple(sorted(set(holidays))),
            )
            await tx.save_schedule(old, new, default)
            return new

    async def remove_schedule(self, name: str) -> None:
        async with self._store.change(self._actor) as tx:
            snapshot = tx.snapshot
            schedule = _schedule(snapshot, name)
            users = sorted(ln.id for ln in snapshot.lines.values() if ln.schedule == name)
            if users:
                raise InvalidSetting(
                    f"schedule {name!r} is still the schedule of line(s) {', '.join(users)}; "
                    "give them another first (`continuity line hours LINE --schedule OTHER`)"
                )
            if snapshot.default_schedule == name:
                raise InvalidSetting(
                    f"schedule {name!r} is the account default; `continuity schedule set {name} "
                    "--no-default` first"
                )
            await tx.remove_schedule(schedule)

    async def set_line_hours(
        self,
        line_id: str,
        *,
        schedule: str | Keep | None = KEEP,
        after_hours: Destination | Keep | None = KEEP,
    ) -> Line:
        async with self._store.change(self._actor) as tx:
            snapshot = tx.snapshot
            old = _line(snapshot, line_id)
            if isinstance(schedule, str):
                _schedule(snapshot, schedule)
            if isinstance(after_hours, Destination):
                owner = f"line {line_id} (after hours)"
                check_destination(snapshot, owner, after_hours)
                check_not_primary_hosted(snapshot, owner, after_hours)
            new = dataclasses.replace(
                old,
                schedule=pick(schedule, old.schedule),
                after_hours=pick(after_hours, old.after_hours),
            )
            await tx.save_line_hours(old, new)
            return new


def _dates(values: Sequence[dt.date]) -> tuple[dt.date, ...]:
    return tuple(values)
