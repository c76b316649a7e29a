"""`continuity test-call NUMBER | --all`: real calls through our Asterisk, and where they landed."""

from __future__ import annotations

import argparse
import asyncio
import difflib
import sys

from continuity.cli.context import SubParsers
from continuity.cli.output import emit
from continuity.compose_cli import cli_test_caller, open_pool
from continuity.config import Config
from continuity.core.numbers import parse_e164
from continuity.db.store import Store
from continuity.errors import UnknownTrackingNumber
from continuity.outage.testcall import TestCaller, TestCallResult


def add_parsers(sub: SubParsers) -> None:
    p = sub.add_parser(
        "test-call",
        help="place a real test call to a tracking number and report what answered",
        description="Calls the number through this Asterisk's tracking context, as the "
        'carrier\'s callers do, with caller ID "Continuity test" <NUMBER>. Reports which '
        "destination answered and how long it took, or why the call failed. Exits 1 when "
        "a call was not answered. Needs `continuity serve` running.",
    )
    target = p.add_mutually_exclusive_group(required=True)
    target.add_argument("number", nargs="?", help="the tracking number (E.164)")
    target.add_argument("--all", action="store_true", help="every tracking number, at once")
    p.add_argument(
        "--hold", type=float, default=1.0, help="seconds to stay on once answered (default 1)"
    )
    p.add_argument(
        "--timeout", type=float, default=90.0, help="seconds to wait for an answer (default 90)"
    )
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(run=cmd_test_call)


async def cmd_test_call(args: argparse.Namespace, config: Config) -> int:
    async with open_pool(config) as pool:
        snapshot = await Store(pool).load_snapshot()
        if args.all:
            numbers = sorted(snapshot.numbers)
            if not numbers:
                print("no tracking numbers configured", file=sys.stderr)
                return 1
        else:
            number = parse_e164(args.number, config.default_region)
            if number not in snapshot.numbers:
                close = difflib.get_close_matches(number, list(snapshot.numbers), n=3)
                raise UnknownTrackingNumber(number, close)
            numbers = [number]
        caller = cli_test_caller(config, pool, hold=args.hold, timeout=args.timeout)
        print(f"calling {len(numbers)} number(s)...", file=sys.stderr)
        results = await _with_progress(caller, numbers)
    _report(results, args.json)
    return 0 if all(r.answered for r in results) else 1


async def _with_progress(caller: TestCaller, numbers: list[str]) -> list[TestCallResult]:
    """All the calls at once; a line on stderr as each one ends (results in ``numbers``
    order)."""
    done = 0

    async def one(number: str) -> TestCallResult:
        nonlocal done
        result = await caller.call(number)
        done += 1
        what = (
            f"answered by {result.destination} after {result.seconds:.2f}s"
            if result.answered and result.seconds is not None
            else f"{'answered' if result.answered else 'NOT ANSWERED'} ({result.outcome})"
        )
        print(f"[{done}/{len(numbers)}] {number}: {what}", file=sys.stderr, flush=True)
        return result

    return list(await asyncio.gather(*(one(n) for n in numbers)))


def _report(results: list[TestCallResult], as_json: bool) -> None:
    rows = [
        [
            r.number,
            r.route or "-",
            r.destination or "NOT ANSWERED",
            f"{r.seconds:.2f}s" if r.seconds is not None else "-",
            r.outcome,
            r.detail,
        ]
        for r in results
    ]
    emit(
        [_as_dict(r) for r in results],
        ["NUMBER", "ROUTE", "ANSWERED BY", "TIME", "OUTCOME", "TRIED"],
        rows,
        as_json,
    )
    if not as_json:
        answered = sum(r.answered for r in results)
        print(f"\n{answered} of {len(results)} answered")


def _as_dict(result: TestCallResult) -> dict[str, object]:
    return {name: getattr(result, name) for name in result.__slots__}
