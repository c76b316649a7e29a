"""`continuity primary-numbers …`: numbers the primary system hosts, refused as failovers."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from continuity.cli.context import SubParsers
from continuity.cli.output import emit
from continuity.compose_cli import actor, open_pool
from continuity.config import Config
from continuity.core.model import Destination
from continuity.core.primary_numbers import parse_pattern
from continuity.core.shared_path import destination_warning
from continuity.db.primary_numbers import PrimaryNumberStore
from continuity.db.store import Store
from continuity.errors import InvalidSetting
from continuity.primary_numbers import PrimaryNumbers, read_patterns

EXAMPLE = "+12125550101, or a range such as +1212555* (every number starting so)"


def add_parsers(sub: SubParsers) -> None:
    pn = sub.add_parser(
        "primary-numbers",
        help="numbers the primary system hosts (direct lines, DIDs): never failovers",
        description="Numbers and ranges the primary phone system hosts. A failover to one "
        "of them would ring into the outage, so they are refused as continuity "
        "destinations at every level (default, line, number, forwarding number).",
    )
    psub = pn.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = psub.add_parser(
        "add",
        help="list a number or range as hosted by the primary",
        description="Refused, naming them, when existing failover destinations fall into it.",
    )
    add.add_argument("pattern", help=EXAMPLE)
    add.set_defaults(run=cmd_add)
    rm = psub.add_parser("remove", help="remove an entry (exactly as listed)")
    rm.add_argument("pattern", help=EXAMPLE)
    rm.set_defaults(run=cmd_remove)
    ls = psub.add_parser("list", help="the entries, who added them and when")
    ls.add_argument("--json", action="store_true", help="machine-readable output")
    ls.set_defaults(run=cmd_list)
    imp = psub.add_parser(
        "import",
        help="add the entries of a file, one per line",
        description="One number or range per line; '#' starts a comment. The file is taken "
        "whole or not at all; entries already listed are skipped.",
    )
    imp.add_argument("file", type=Path, help="a text file, e.g. the primary's DID export")
    imp.set_defaults(run=cmd_import)


async def cmd_add(args: argparse.Namespace, config: Config) -> int:
    pattern = parse_pattern(args.pattern, config.default_region)
    async with open_pool(config) as pool:
        await PrimaryNumbers(Store(pool), actor()).add(pattern)
    print(f"added {pattern}: refused as a failover destination from now on")
    return 0


async def cmd_remove(args: argparse.Namespace, config: Config) -> int:
    pattern = parse_pattern(args.pattern, config.default_region)
    async with open_pool(config) as pool:
        await PrimaryNumbers(Store(pool), actor()).remove(pattern)
    print(f"removed {pattern}")
    return 0


async def cmd_list(args: argparse.Namespace, config: Config) -> int:
    async with open_pool(config) as pool:
        entries = await PrimaryNumberStore(pool).entries()
    emit(
        [
            {"pattern": e.pattern, "added_by": e.added_by, "added_at": e.added_at.isoformat()}
            for e in entries
        ],
        ["PATTERN", "ADDED BY", "ADDED AT"],
        [[e.pattern, e.added_by, e.added_at.strftime("%Y-%m-%d %H:%M:%S")] for e in entries],
        args.json,
    )
    return 0


async def cmd_import(args: argparse.Namespace, config: Config) -> int:
    try:
        text = args.file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidSetting(f"cannot read {args.file}: {exc}") from exc
    patterns = read_patterns(text.splitlines(), config.default_region)
    async with open_pool(config) as pool:
        result = await PrimaryNumbers(Store(pool), actor()).import_patterns(patterns)
    print(
        f"imported {len(result.added)} entr{'y' if len(result.added) == 1 else 'ies'}"
        + (f", {len(result.already_listed)} already listed" if result.already_listed else "")
    )
    return 0


def warn_shared_path(config: Config, owner: str, dest: object) -> None:
    """After setting ``dest`` on ``owner``: warn (stderr) if it leaves through the primary."""
    if isinstance(dest, Destination):
        warning = destination_warning(owner, dest, config.primary_trunk)
        if warning is not None:
            print(f"continuity: warning: {warning}", file=sys.stderr)
