"""`continuity line test …` and `continuity number test …`: failover test mode, optionally timed."""

from __future__ import annotations

import argparse
import datetime as dt

from continuity.cli.context import SubParsers
from continuity.compose_cli import open_admin
from continuity.config import Config
from continuity.core.numbers import parse_e164
from continuity.core.testmode import describe_end, parse_duration


def add_test_parser(sub: SubParsers, level: str) -> None:
    """The ``test`` action under ``line`` (``level="line"``) or ``number``."""
    what = "one line" if level == "line" else "one tracking number"
    test = sub.add_parser(
        "test",
        help=f"failover test mode for {what}",
        description=f"While on, {what}'s calls go to its continuity chain (the primary is "
        "skipped); everything else routes normally. With --for the test ends by itself "
        "at its end time (audited as continuity:automatic); without it, it runs until "
        "`test stop`.",
    )
    test.add_argument("mode", choices=["start", "stop"])
    if level == "line":
        test.add_argument("id", help="the line")
    else:
        test.add_argument("number", help="the tracking number, E.164")
    test.add_argument(
        "--for",
        dest="duration",
        metavar="DURATION",
        help="with start: end the test by itself after this long, e.g. 90s, 30m, 2h, 1h30m "
        "(at most 7 days)",
    )
    test.set_defaults(run=cmd_test, level=level)


async def cmd_test(args: argparse.Namespace, config: Config) -> int:
    start = args.mode == "start"
    duration = parse_duration(args.duration) if args.duration is not None else None
    async with open_admin(config) as admin:
        if args.level == "line":
            subject = f"line {args.id}"
            await admin.set_test_mode(args.id, start, duration=duration)
        else:
            number = parse_e164(args.number, config.default_region)
            subject = number
            await admin.set_number_test_mode(number, start, duration=duration)
    if not start:
        print(f"failover test mode off for {subject}")
        return 0
    now = dt.datetime.now(dt.UTC)
    end = describe_end(now + duration if duration else None, now)
    print(f"failover test mode on for {subject}, {end}")
    return 0
