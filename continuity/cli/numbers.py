"""`continuity number …` and `continuity default`: tracking numbers and the account level."""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt

from continuity.admin import KEEP, Admin
from continuity.cli import number_import
from continuity.cli.caller_id import add_caller_id_options, caller_id_change
from continuity.cli.context import SubParsers
from continuity.cli.output import emit
from continuity.cli.primary_numbers import warn_shared_path
from continuity.cli.settings import add_settings_options, settings_change
from continuity.cli.testmode import add_test_parser
from continuity.compose_cli import open_admin
from continuity.config import Config
from continuity.core.model import DEFAULT_FAILOVER_SIP_CODES, TrackingNumber
from continuity.core.numbers import parse_e164
from continuity.core.routing import plan_route
from continuity.core.testmode import describe_end, test_applies
from continuity.errors import InvalidSetting


def add_parsers(sub: SubParsers) -> None:
    num = sub.add_parser(
        "number",
        help="tracking numbers: add, set, remove, list, import, export",
        description="Tracking numbers this Asterisk terminates.",
    )
    nsub = num.add_subparsers(dest="action", required=True, metavar="ACTION")
    for name, run, text in (
        ("add", cmd_add, "add a tracking number"),
        ("set", cmd_set, "change a tracking number's settings"),
    ):
        p = nsub.add_parser(name, help=text, description=text)
        p.add_argument("number", help="the tracking number, E.164 (e.g. +12125550101)")
        p.add_argument("--label", help="a name for people, e.g. 'Spring campaign'")
        p.add_argument("--line", help="the line its calls reach (default: the main line)")
        p.add_argument(
            "--primary-target",
            metavar="E164",
            help="number to ask the primary trunk for (default: the tracking number)",
        )
        add_settings_options(p)
        p.set_defaults(run=run)
    rm = nsub.add_parser("remove", help="remove a tracking number")
    rm.add_argument("number")
    rm.set_defaults(run=cmd_remove)
    ls = nsub.add_parser("list", help="list tracking numbers and where their calls go")
    ls.add_argument("--json", action="store_true", help="machine-readable output")
    ls.set_defaults(run=cmd_list)
    add_test_parser(nsub, "number")
    number_import.add_parsers(nsub)

    d = sub.add_parser(
        "default",
        help="account-wide continuity settings and policies",
        description="Account-wide continuity settings: every line and number "
        "without its own setting follows these.",
    )
    add_settings_options(d, inherit=False)
    agent = d.add_mutually_exclusive_group()
    agent.add_argument(
        "--voice-agent-endpoint",
        metavar="ENDPOINT",
        help="configure the voice agent (a PJSIP endpoint or endpoint/sip:uri)",
    )
    agent.add_argument(
        "--no-voice-agent", action="store_true", help="remove the voice agent configuration"
    )
    d.add_argument(
        "--failover-codes",
        metavar="CODES",
        help="SIP responses from the primary that fail over, comma separated "
        f"(default {','.join(map(str, sorted(DEFAULT_FAILOVER_SIP_CODES)))})",
    )
    d.add_argument(
        "--primary-timeout",
        type=int,
        metavar="SECONDS",
        help="ring the primary this long before failing over",
    )
    add_caller_id_options(d, inherit=False)
    d.add_argument(
        "--history-info",
        choices=["on", "off"],
        help="the trunks send History-Info (RFC 7044) besides Diversion (RFC 5806) on "
        "forwarded calls",
    )
    d.set_defaults(run=cmd_default)


async def cmd_add(args: argparse.Namespace, config: Config) -> int:
    async with open_admin(config) as admin:
        snapshot = await admin.snapshot()
        change = settings_change(args, snapshot, config.default_region)
        number = TrackingNumber(
            number=parse_e164(args.number, config.default_region),
            label=args.label or "",
            line=args.line,
            primary_target=(
                parse_e164(args.primary_target, config.default_region)
                if args.primary_target is not None
                else None
            ),
        )
        number = dataclasses.replace(number, continuity=change.apply(number.continuity))
        await admin.add_number(number)
    print(f"added {number.number}")
    warn_shared_path(config, f"number {number.number}", change.destination)
    return 0


async def cmd_set(args: argparse.Namespace, config: Config) -> int:
    number = parse_e164(args.number, config.default_region)
    async with open_admin(config) as admin:
        snapshot = await admin.snapshot()
        change = settings_change(args, snapshot, config.default_region)
        await admin.change_number(
            number,
            change,
            label=KEEP if args.label is None else args.label,
            line=KEEP if args.line is None else args.line,
            primary_target=(
                KEEP
                if args.primary_target is None
                else parse_e164(args.primary_target, config.default_region)
            ),
        )
    print(f"updated {number}")
    warn_shared_path(config, f"number {number}", change.destination)
    return 0


async def cmd_remove(args: argparse.Namespace, config: Config) -> int:
    number = parse_e164(args.number, config.default_region)
    async with open_admin(config) as admin:
        await admin.remove_number(number)
    print(f"removed {number}")
    return 0


async def cmd_list(args: argparse.Namespace, config: Config) -> int:
    async with open_admin(config) as admin:
        snapshot = await admin.snapshot()
    now = dt.datetime.now(dt.UTC)
    rows, data = [], []
    for n in sorted(snapshot.numbers.values(), key=lambda n: n.number):
        plan = plan_route(snapshot, n.number, now=now)
        chain = " > ".join(str(d) for d in plan.destinations)
        testing = test_applies(n.test_mode, n.test_until, now)
        test = f"TESTING {describe_end(n.test_until, now)}" if testing else ""
        rows.append([n.number, n.label, plan.line or "-", plan.reason.value, chain, test])
        data.append(
            {
                "number": n.number,
                "label": n.label,
                "line": plan.line,
                "reason": plan.reason.value,
                "chain": [str(d) for d in plan.destinations],
                "test_mode": testing,
                "test_until": n.test_until.isoformat() if testing and n.test_until else None,
            }
        )
    emit(data, ["NUMBER", "LABEL", "LINE", "ROUTING", "CHAIN", "TEST"], rows, args.json)
    return 0


def _codes(text: str) -> frozenset[int]:
    """``408,503`` as numbers; which codes are allowed is the admin service's to say."""
    if not text.strip():
        raise InvalidSetting(
            "--failover-codes: it is empty. Give SIP codes like 408,503", "failover_sip_codes"
        )
    try:
        return frozenset(int(c) for c in text.split(",") if c.strip())
    except ValueError as exc:
        raise InvalidSetting(
            f"--failover-codes {text!r}: give SIP codes like 408,503", "failover_sip_codes"
        ) from exc


async def cmd_default(args: argparse.Namespace, config: Config) -> int:
    async with open_admin(config) as admin:
        snapshot = await admin.snapshot()
        change = settings_change(args, snapshot, config.default_region)
        await admin.change_account(
            change,
            voice_agent=(
                None
                if args.no_voice_agent
                else args.voice_agent_endpoint
                if args.voice_agent_endpoint is not None
                else KEEP
            ),
            failover_sip_codes=(
                _codes(args.failover_codes) if args.failover_codes is not None else KEEP
            ),
            primary_timeout=args.primary_timeout if args.primary_timeout is not None else KEEP,
            send_history_info=KEEP if args.history_info is None else args.history_info == "on",
            **caller_id_change(args),
        )
        acc = (await admin.snapshot()).account
    dest = acc.continuity.destination
    print(
        f"continuity {'on' if acc.continuity.on else 'off'}, failover "
        f"{'enabled' if acc.continuity.enabled else 'disabled'}, default destination "
        f"{dest or 'none'}, voice agent {acc.voice_agent or 'none'}, failover codes "
        f"{','.join(map(str, sorted(acc.failover_sip_codes)))}, primary timeout "
        f"{acc.primary_timeout}s, caller ID {acc.caller_id.value}, caller-name prefix "
        f"{acc.caller_name_prefix!r}, History-Info {'on' if acc.send_history_info else 'off'}"
    )
    warn_shared_path(config, "the account default", change.destination)
    return 0


__all__ = ["Admin", "add_parsers"]
