"""`continuity schedule …` and `continuity line hours …`: business hours."""

from __future__ import annotations

import argparse
import datetime as dt
from typing import Any

from continuity.admin import KEEP, Keep
from continuity.business_hours import BusinessHours
from continuity.cli.context import SubParsers
from continuity.cli.output import emit
from continuity.compose_cli import actor, open_pool
from continuity.config import Config
from continuity.core.hours import Schedule, parse_holiday, parse_range
from continuity.core.model import Destination, DestinationKind, Snapshot
from continuity.core.numbers import parse_e164
from continuity.db.store import Store
from continuity.errors import InvalidSetting

HOURS_HELP = "open hours, e.g. 'mon-fri 09:00-17:00' (repeatable; local time, end excluded)"


def add_parsers(sub: SubParsers) -> None:
    sch = sub.add_parser(
        "schedule",
        help="business-hours schedules: weekly hours in a time zone, with holidays",
        description="A schedule says when a line is open. Out of hours, a line with an "
        "after-hours destination (`continuity line hours`) sends its continuity calls "
        "there. Lines follow their own schedule, else the account default.",
    )
    ssub = sch.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = ssub.add_parser("add", help="add a schedule")
    add.add_argument("name", help="short name, e.g. office")
    add.add_argument("--tz", required=True, help="time zone, e.g. America/New_York")
    add.add_argument("--hours", action="append", default=[], required=True, help=HOURS_HELP)
    add.add_argument("--holiday", action="append", default=[], help="a closed date, YYYY-MM-DD")
    add.add_argument("--default", action="store_true", help="the account's default schedule")
    add.set_defaults(run=cmd_add)

    st = ssub.add_parser("set", help="change a schedule")
    st.add_argument("name")
    st.add_argument("--tz", help="time zone, e.g. America/New_York")
    st.add_argument("--hours", action="append", help=HOURS_HELP + "; replaces the old hours")
    st.add_argument("--holiday", action="append", default=[], help="add a closed date")
    st.add_argument("--remove-holiday", action="append", default=[], help="remove a date")
    default = st.add_mutually_exclusive_group()
    default.add_argument("--default", action="store_true", help="make it the account default")
    default.add_argument("--no-default", action="store_true", help="stop it being the default")
    st.set_defaults(run=cmd_set)

    rm = ssub.add_parser("remove", help="remove a schedule no line uses")
    rm.add_argument("name")
    rm.set_defaults(run=cmd_remove)

    ls = ssub.add_parser("list", help="schedules, whether each is open now, holidays")
    ls.add_argument("--json", action="store_true", help="machine-readable output")
    ls.set_defaults(run=cmd_list)


def add_hours_parser(lsub: SubParsers) -> None:
    """``continuity line hours LINE``: its schedule and after-hours destination."""
    hours = lsub.add_parser(
        "hours",
        help="a line's business hours: its schedule and after-hours destination",
        description="In hours, continuity calls go to the line's destination (`line set`); "
        "out of its schedule's hours, to the after-hours destination given here.",
    )
    hours.add_argument("id", help="the line")
    which = hours.add_mutually_exclusive_group()
    which.add_argument("--schedule", help="the line's own schedule")
    which.add_argument(
        "--inherit-schedule", action="store_true", help="follow the account default schedule"
    )
    dest = hours.add_mutually_exclusive_group()
    dest.add_argument("--after-hours-external", metavar="E164", help="out of hours: a number")
    dest.add_argument("--after-hours-voicemail", metavar="BOX", help="out of hours: a mailbox")
    dest.add_argument("--after-hours-sip", metavar="ENDPOINT[/sip:URI]", help="out of hours: SIP")
    dest.add_argument(
        "--after-hours-voice-agent", action="store_true", help="out of hours: the voice agent"
    )
    dest.add_argument("--clear-after-hours", action="store_true", help="no after-hours destination")
    hours.set_defaults(run=cmd_line_hours)


def _service(pool: Any) -> BusinessHours:
    return BusinessHours(Store(pool), actor())


async def cmd_add(args: argparse.Namespace, config: Config) -> int:
    ranges = [parse_range(h) for h in args.hours]
    holidays = [parse_holiday(h) for h in args.holiday]
    async with open_pool(config) as pool:
        schedule = await _service(pool).add_schedule(
            args.name, args.tz, ranges, holidays, default=args.default
        )
    print(f"added schedule {schedule.name}: {_describe(schedule)}")
    return 0


async def cmd_set(args: argparse.Namespace, config: Config) -> int:
    ranges = [parse_range(h) for h in args.hours] if args.hours else KEEP
    async with open_pool(config) as pool:
        schedule = await _service(pool).change_schedule(
            args.name,
            timezone=args.tz if args.tz else KEEP,
            ranges=ranges,
            add_holidays=[parse_holiday(h) for h in args.holiday],
            remove_holidays=[parse_holiday(h) for h in args.remove_holiday],
            default=True if args.default else False if args.no_default else None,
        )
    print(f"updated schedule {schedule.name}: {_describe(schedule)}")
    return 0


async def cmd_remove(args: argparse.Namespace, config: Config) -> int:
    async with open_pool(config) as pool:
        await _service(pool).remove_schedule(args.name)
    print(f"removed schedule {args.name}")
    return 0


async def cmd_list(args: argparse.Namespace, config: Config) -> int:
    async with open_pool(config) as pool:
        snapshot = await Store(pool).load_snapshot()
    now = dt.datetime.now(dt.UTC)
    rows, data = [], []
    for schedule in snapshot.schedules.values():
        is_open = schedule.is_open(now)
        default = schedule.name == snapshot.default_schedule
        rows.append(
            [
                schedule.name + (" (default)" if default else ""),
                schedule.timezone,
                "; ".join(map(str, schedule.ranges)),
                ", ".join(map(str, schedule.holidays)),
                "OPEN" if is_open else "closed",
            ]
        )
        data.append(
            {
                "name": schedule.name,
                "default": default,
                "timezone": schedule.timezone,
                "hours": [str(r) for r in schedule.ranges],
                "holidays": [d.isoformat() for d in schedule.holidays],
                "open_now": is_open,
            }
        )
    emit(data, ["SCHEDULE", "TIME ZONE", "HOURS", "HOLIDAYS", "NOW"], rows, args.json)
    return 0


def _after_hours(
    args: argparse.Namespace, snapshot: Snapshot, region: str
) -> Destination | Keep | None:
    if args.clear_after_hours:
        return None
    if args.after_hours_external:
        return Destination(DestinationKind.EXTERNAL, parse_e164(args.after_hours_external, region))
    if args.after_hours_voicemail:
        return Destination(DestinationKind.VOICEMAIL, args.after_hours_voicemail)
    if args.after_hours_sip:
        return Destination(DestinationKind.SIP, args.after_hours_sip)
    if args.after_hours_voice_agent:
        agent = snapshot.account.voice_agent
        if agent is None:
            raise InvalidSetting(
                "no voice agent is configured, so it cannot be a destination. Configure one "
                "first: `continuity default --voice-agent-endpoint ENDPOINT`"
            )
        return Destination(DestinationKind.VOICE_AGENT, agent)
    return KEEP


async def cmd_line_hours(args: argparse.Namespace, config: Config) -> int:
    async with open_pool(config) as pool:
        snapshot = await Store(pool).load_snapshot()
        after = _after_hours(args, snapshot, config.default_region)
        schedule: str | Keep | None = (
            args.schedule if args.schedule else None if args.inherit_schedule else KEEP
        )
        line = await _service(pool).set_line_hours(args.id, schedule=schedule, after_hours=after)
    follows = line.schedule or (
        f"{snapshot.default_schedule} (the default)" if snapshot.default_schedule else "none"
    )
    print(
        f"line {line.id}: schedule {follows}, after hours "
        f"{line.after_hours or 'as in hours (no after-hours destination)'}"
    )
    return 0


def _describe(schedule: Schedule) -> str:
    holidays = f", closed {', '.join(map(str, schedule.holidays))}" if schedule.holidays else ""
    return f"{'; '.join(map(str, schedule.ranges))} {schedule.timezone}{holidays}"
