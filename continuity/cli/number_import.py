"""`continuity number import FILE.csv` and `continuity number export`: many numbers at once."""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import sys
from pathlib import Path

from continuity.cli.context import SubParsers
from continuity.cli.number_csv import COLUMNS, format_rows, read_rows
from continuity.cli.progress import ProgressBar
from continuity.compose_cli import open_admin
from continuity.config import Config
from continuity.errors import ContinuityError, ImportRefused, InvalidSetting

_FORMAT = (
    "The CSV has a header row naming its columns (any order; only number is required): "
    f"{', '.join(COLUMNS)}. continuity is on/off/inherit, failover "
    "enabled/disabled/inherit, destination_kind external/voice_agent/sip/voicemail (or "
    "empty: none) with destination_target, test_mode on/off, test_until an ISO 8601 time "
    "with its offset. An empty cell is the default (no label, the main line, inherit, no "
    "destination, no test)."
)


def add_parsers(nsub: SubParsers) -> None:
    imp = nsub.add_parser(
        "import",
        help="add or replace many tracking numbers from a CSV file, all or nothing",
        description="Add the numbers of a CSV file and replace the settings of those that "
        "exist (numbers not in the file are left alone). Every row is checked first, as "
        "`number add` and `number set` check one; any problem, each named by its row, "
        "and nothing is written. Otherwise all rows are written in one transaction with "
        f"one audit entry (number.import) that counts them. {_FORMAT} "
        "`continuity number export` writes this format.",
        epilog="examples:\n  continuity number export > numbers.csv\n"
        "  continuity number import numbers.csv",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    imp.add_argument("file", type=Path, help="the CSV file (UTF-8)")
    imp.set_defaults(run=cmd_import)
    exp = nsub.add_parser(
        "export",
        help="write every tracking number as CSV (the format `number import` reads)",
        description=f"Every tracking number, sorted, one per row. {_FORMAT}",
        epilog="examples:\n  continuity number export > numbers.csv\n"
        "  continuity number export --output numbers.csv",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    exp.add_argument(
        "--output", type=Path, metavar="FILE", help="write to FILE instead of standard output"
    )
    exp.set_defaults(run=cmd_export)


async def cmd_import(args: argparse.Namespace, config: Config) -> int:
    try:
        data = args.file.read_bytes()
        text = data.decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidSetting(f"cannot read {args.file}: {exc}") from exc
    progress = ProgressBar(f"import {args.file.name}")
    async with open_admin(config) as admin:
        snapshot = await admin.snapshot()
        progress("reading", 0, 1)
        rows, problems = read_rows(io.StringIO(text, newline=""), snapshot, config.default_region)
        progress("reading", 1, 1)
        if problems:  # with what the admin service would refuse of the other rows
            found: list[tuple[int, ContinuityError]] = [(p.row - 1, p) for p in problems]
            found += [
                (rows[i].line - 1, e)
                for i, e in await admin.check_numbers([r.number for r in rows])
            ]
            raise ImportRefused(sorted(found, key=lambda p: p[0]), "row")
        try:
            result = await admin.import_numbers(
                [r.number for r in rows],
                detail={"file": args.file.name, "sha256": hashlib.sha256(data).hexdigest()},
                progress=progress,
            )
        except ImportRefused as exc:
            # Positions in the list the admin checked, named as the file's rows.
            raise ImportRefused(
                [(rows[index].line - 1, error) for index, error in exc.problems], "row"
            ) from None
    print(
        f"imported {args.file.name}: {result.added} added, {result.changed} changed, "
        f"{result.unchanged} unchanged"
    )
    return 0


async def cmd_export(args: argparse.Namespace, config: Config) -> int:
    async with open_admin(config) as admin:
        snapshot = await admin.snapshot()
    numbers = [snapshot.numbers[n] for n in sorted(snapshot.numbers)]
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\n").writerows(format_rows(numbers))
    if args.output is None:
        sys.stdout.write(out.getvalue())
    else:
        try:
            args.output.write_text(out.getvalue(), encoding="utf-8")
        except OSError as exc:
            raise InvalidSetting(f"cannot write {args.output}: {exc}") from exc
        print(f"exported {len(numbers)} tracking numbers to {args.output}", file=sys.stderr)
    return 0
