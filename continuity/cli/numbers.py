"""`continuity number …` and `continuity default …`: tracking numbers and the account default."""

from __future__ import annotations

import argparse

from continuity.cli.context import open_store
from continuity.cli.output import emit
from continuity.config import Config
from continuity.core.model import Destination, DestinationKind, TrackingNumber
from continuity.core.numbers import parse_e164
from continuity.core.routing import continuity_active, continuity_destination
from continuity.core.validation import check_destination
from continuity.errors import UnknownTrackingNumber
from db.store import NumberChange

SWITCH = {"on": True, "off": False, "inherit": None}


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    num = sub.add_parser("number", help="tracking numbers: add, set, remove, list")
    nsub = num.add_subparsers(dest="action", required=True)

    add = nsub.add_parser(
        "add",
        help="add a tracking number",
        description="Add a tracking number that this Asterisk terminates.",
    )
    add.add_argument("number", help="the tracking number, E.164 (e.g. +15551230001)")
    _number_options(add)
    add.set_defaults(run=cmd_add)

    setp = nsub.add_parser("set", help="change a tracking number's settings")
    setp.add_argument("number")
    _number_options(setp)
    setp.add_argument(
        "--clear-destination",
        action="store_true",
        help="drop the per-number destination (the account default applies)",
    )
    setp.set_defaults(run=cmd_set)

    rm = nsub.add_parser("remove", help="remove a tracking number")
    rm.add_argument("number")
    rm.set_defaults(run=cmd_remove)

    ls = nsub.add_parser("list", help="list tracking numbers and where their calls go")
    ls.add_argument("--json", action="store_true", help="machine-readable output")
    ls.set_defaults(run=cmd_list)

    dflt = sub.add_parser("default", help="the account-wide continuity switch and destination")
    dflt.add_argument(
        "--continuity",
        choices=["on", "off"],
        help="turn continuity on or off for every number that does not override",
    )
    dflt.add_argument(
        "--external", metavar="E164", help="default continuity destination: a PSTN number"
    )
    dflt.add_argument("--clear-destination", action="store_true")
    dflt.set_defaults(run=cmd_default)


def _number_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--label", help="a name for people, e.g. 'Spring campaign'")
    p.add_argument(
        "--primary-target",
        metavar="E164",
        help="number to ask the primary trunk for (default: the tracking number)",
    )
    p.add_argument(
        "--continuity",
        choices=list(SWITCH),
        help="continuity mode for this number; 'inherit' follows the default",
    )
    p.add_argument(
        "--external", metavar="E164", help="continuity destination for this number: a PSTN number"
    )


def _destination(args: argparse.Namespace, config: Config) -> Destination | None:
    if args.external is None:
        return None
    return Destination(DestinationKind.EXTERNAL, parse_e164(args.external, config.default_region))


async def cmd_add(args: argparse.Namespace, config: Config) -> int:
    number = parse_e164(args.number, config.default_region)
    dest = _destination(args, config)
    async with open_store(config) as store:
        if dest is not None:
            check_destination(await store.load_snapshot(), number, dest)
        primary = (
            parse_e164(args.primary_target, config.default_region) if args.primary_target else None
        )
        await store.add_number(
            TrackingNumber(
                number=number,
                label=args.label or "",
                primary_target=primary,
                continuity_enabled=SWITCH[args.continuity] if args.continuity else None,
                continuity_destination=dest,
            )
        )
    print(f"added {number}")
    return 0


async def cmd_set(args: argparse.Namespace, config: Config) -> int:
    number = parse_e164(args.number, config.default_region)
    dest = _destination(args, config)
    async with open_store(config) as store:
        if dest is not None:
            check_destination(await store.load_snapshot(), number, dest)
        await store.change_number(
            number,
            NumberChange(
                label=args.label,
                primary_target=(
                    parse_e164(args.primary_target, config.default_region)
                    if args.primary_target
                    else None
                ),
                continuity_enabled=SWITCH.get(args.continuity) if args.continuity else None,
                inherit_enabled=args.continuity == "inherit",
                destination=dest,
                clear_destination=args.clear_destination,
            ),
        )
    print(f"updated {number}")
    return 0


async def cmd_remove(args: argparse.Namespace, config: Config) -> int:
    number = parse_e164(args.number, config.default_region)
    async with open_store(config) as store:
        await store.remove_number(number)
    print(f"removed {number}")
    return 0


async def cmd_list(args: argparse.Namespace, config: Config) -> int:
    async with open_store(config) as store:
        snapshot = await store.load_snapshot()
    rows, data = [], []
    for n in sorted(snapshot.numbers.values(), key=lambda n: n.number):
        active = continuity_active(snapshot, n)
        dest = continuity_destination(snapshot, n)
        where = f"{dest.kind.value}:{dest.target}" if dest else "-"
        rows.append(
            [
                n.number,
                n.label,
                "on" if active else "off",
                "number" if n.continuity_enabled is not None else "default",
                where,
            ]
        )
        data.append(
            {
                "number": n.number,
                "label": n.label,
                "continuity": active,
                "continuity_destination": where if dest else None,
            }
        )
    emit(data, ["NUMBER", "LABEL", "CONTINUITY", "SET AT", "DESTINATION"], rows, args.json)
    return 0


async def cmd_default(args: argparse.Namespace, config: Config) -> int:
    dest = _destination(args, config)
    async with open_store(config) as store:
        if dest is not None:
            snapshot = await store.load_snapshot()
            check_destination(snapshot, "every number", dest)
        await store.set_account(
            enabled=SWITCH[args.continuity] if args.continuity else None,
            destination=dest,
            clear_destination=args.clear_destination,
        )
        snapshot = await store.load_snapshot()
    acc = snapshot.account
    where = acc.default_destination
    print(
        f"continuity {'on' if acc.continuity_enabled else 'off'} by default; "
        f"default destination {f'{where.kind.value}:{where.target}' if where else 'none'}"
    )
    return 0


__all__ = ["UnknownTrackingNumber", "add_parsers"]
