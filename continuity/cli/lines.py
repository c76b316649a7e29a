"""`continuity line …`: lines, users' forwarding numbers and failover test mode."""

from __future__ import annotations

import argparse
import datetime as dt

from continuity.admin import KEEP
from continuity.cli.caller_id import add_caller_id_options, caller_id_change
from continuity.cli.context import SubParsers
from continuity.cli.hours import add_hours_parser
from continuity.cli.output import emit
from continuity.cli.primary_numbers import warn_shared_path
from continuity.cli.settings import add_settings_options, settings_change
from continuity.cli.testmode import add_test_parser
from continuity.cli.verify import add_verify_options, verify_forwarding
from continuity.compose_cli import open_admin
from continuity.config import Config
from continuity.core.model import ContinuitySettings, Line, LineKind, TrackingNumber
from continuity.core.numbers import parse_e164
from continuity.core.routing import continuity_destination
from continuity.core.testmode import describe_end, test_applies

KINDS = {
    "main": LineKind.MAIN,
    "department": LineKind.DEPARTMENT,
    "contact-center": LineKind.CONTACT_CENTER,
    "user": LineKind.USER,
}


def add_parsers(sub: SubParsers) -> None:
    line = sub.add_parser(
        "line",
        help="lines: main line, departments, contact centers, users",
        description="Lines are what tracking numbers reach. Each has its "
        "own continuity settings and a failover voicemail box named after "
        "its id.",
    )
    lsub = line.add_subparsers(dest="action", required=True, metavar="ACTION")

    add = lsub.add_parser("add", help="add a line")
    add.add_argument("id", help="short id, e.g. sales or jdoe (also the mailbox name)")
    add.add_argument("--kind", choices=list(KINDS), required=True)
    add.add_argument("--name", default="", help="display name")
    add_settings_options(add)
    add_caller_id_options(add)
    add.set_defaults(run=cmd_add)

    st = lsub.add_parser("set", help="change a line's settings")
    st.add_argument("id")
    st.add_argument("--name")
    add_settings_options(st)
    add_caller_id_options(st)
    st.set_defaults(run=cmd_set)

    rm = lsub.add_parser("remove", help="remove a line that no tracking number uses")
    rm.add_argument("id")
    rm.set_defaults(run=cmd_remove)

    ls = lsub.add_parser("list", help="list lines and their failover destinations")
    ls.add_argument("--json", action="store_true", help="machine-readable output")
    ls.set_defaults(run=cmd_list)

    fwd = lsub.add_parser(
        "forward",
        help="a user line's forwarding numbers (up to 5)",
        description="A user's failover is the most recently verified "
        "forwarding number; unverified numbers are never dialed.",
    )
    fsub = fwd.add_subparsers(dest="forward_action", required=True, metavar="ACTION")
    for name, text in (
        ("add", "add an (unverified) forwarding number"),
        ("verify", "verify a forwarding number by calling it: its owner keys the code shown"),
        ("remove", "remove a forwarding number"),
    ):
        p = fsub.add_parser(name, help=text, description=text)
        p.add_argument("id", help="the user line")
        p.add_argument("number", help="E.164 number")
        p.set_defaults(run=cmd_forward, forward=name)
        if name == "verify":
            add_verify_options(p)

    add_test_parser(lsub, "line")
    add_hours_parser(lsub)


async def cmd_add(args: argparse.Namespace, config: Config) -> int:
    async with open_admin(config) as admin:
        snapshot = await admin.snapshot()
        change = settings_change(args, snapshot, config.default_region)
        caller = {k: v for k, v in caller_id_change(args).items() if v is not KEEP}
        await admin.add_line(
            Line(
                id=args.id,
                kind=KINDS[args.kind],
                name=args.name,
                continuity=change.apply(ContinuitySettings()),
                **caller,
            )
        )
    print(f"added {args.kind} line {args.id}")
    warn_shared_path(config, f"line {args.id}", change.destination)
    return 0


async def cmd_set(args: argparse.Namespace, config: Config) -> int:
    async with open_admin(config) as admin:
        snapshot = await admin.snapshot()
        change = settings_change(args, snapshot, config.default_region)
        await admin.change_line(
            args.id,
            change,
            name=KEEP if args.name is None else args.name,
            **caller_id_change(args),
        )
    print(f"updated line {args.id}")
    warn_shared_path(config, f"line {args.id}", change.destination)
    return 0


async def cmd_remove(args: argparse.Namespace, config: Config) -> int:
    async with open_admin(config) as admin:
        await admin.remove_line(args.id)
    print(f"removed line {args.id}")
    return 0


async def cmd_list(args: argparse.Namespace, config: Config) -> int:
    async with open_admin(config) as admin:
        snapshot = await admin.snapshot()
    now = dt.datetime.now(dt.UTC)
    rows, data = [], []
    for ln in sorted(snapshot.lines.values(), key=lambda ln: ln.id):
        testing = test_applies(ln.test_mode, ln.test_until, now)
        dest = continuity_destination(snapshot, TrackingNumber(""), ln)
        fwd = ", ".join(
            f.number + ("" if f.verified_at else " (unverified)") for f in ln.forwarding
        )
        rows.append(
            [
                ln.id,
                ln.kind.value,
                ln.name,
                str(dest or "-"),
                f"box {ln.mailbox}",
                f"TESTING {describe_end(ln.test_until, now)}" if testing else "",
                fwd,
            ]
        )
        data.append(
            {
                "id": ln.id,
                "kind": ln.kind.value,
                "name": ln.name,
                "destination": str(dest) if dest else None,
                "mailbox": ln.mailbox,
                "test_mode": testing,
                "test_until": ln.test_until.isoformat() if testing and ln.test_until else None,
                "caller_id": ln.caller_id.value if ln.caller_id else None,
                "caller_name_prefix": ln.caller_name_prefix,
                "forwarding": [
                    {"number": f.number, "verified": f.verified_at is not None}
                    for f in ln.forwarding
                ],
            }
        )
    emit(
        data,
        ["LINE", "KIND", "NAME", "DESTINATION", "VOICEMAIL", "TEST", "FORWARDING"],
        rows,
        args.json,
    )
    return 0


async def cmd_forward(args: argparse.Namespace, config: Config) -> int:
    number = parse_e164(args.number, config.default_region)
    if args.forward == "verify":
        return await verify_forwarding(args, config, number)
    async with open_admin(config) as admin:
        if args.forward == "add":
            await admin.add_forwarding(args.id, number)
        else:
            await admin.remove_forwarding(args.id, number)
    print(f"{args.forward}: {number} on line {args.id}")
    return 0
