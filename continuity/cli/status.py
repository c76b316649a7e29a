"""`continuity status`, `continuity audit` and `continuity calls`: what is happening."""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt

from continuity import names
from continuity.cli.context import SubParsers
from continuity.cli.output import emit
from continuity.compose_cli import open_pool
from continuity.config import Config
from continuity.core.model import Snapshot
from continuity.core.routing import plan_route
from continuity.core.shared_path import shared_path_warnings
from continuity.core.testmode import describe_end, test_applies
from continuity.db.leader import NodeRegistry
from continuity.db.outage_summary import OutageSummaryStore
from continuity.db.outages import OutageStore
from continuity.db.records import CallRecordStore
from continuity.db.store import Store
from continuity.outage.banner import trunk_report


def add_parsers(sub: SubParsers) -> None:
    st = sub.add_parser("status", help="where each tracking number's calls go right now")
    st.add_argument("--json", action="store_true", help="machine-readable output")
    st.set_defaults(run=cmd_status)
    au = sub.add_parser("audit", help="who changed what, and when")
    au.add_argument("--limit", type=int, default=50)
    au.add_argument("--json", action="store_true", help="machine-readable output")
    au.set_defaults(run=cmd_audit)
    calls = sub.add_parser("calls", help="recent call records: where each call went")
    calls.add_argument("--limit", type=int, default=20)
    calls.add_argument("--number", help="only calls to this tracking number")
    calls.add_argument("--json", action="store_true", help="machine-readable output")
    calls.set_defaults(run=cmd_calls)


async def cmd_status(args: argparse.Namespace, config: Config) -> int:
    async with open_pool(config) as pool:
        snapshot = await Store(pool).load_snapshot()
        trunk = await trunk_report(
            OutageStore(pool), names.ENDPOINT_PRIMARY, OutageSummaryStore(pool)
        )
        nodes = await NodeRegistry(pool).nodes()
    acc = snapshot.account
    warnings = shared_path_warnings(snapshot, config.primary_trunk, config.pstn_trunk)
    now = dt.datetime.now(dt.UTC)
    hours = _hours(snapshot, now)
    testing = sorted(
        ln.id for ln in snapshot.lines.values() if test_applies(ln.test_mode, ln.test_until, now)
    )
    testing_numbers = sorted(
        n.number for n in snapshot.numbers.values() if test_applies(n.test_mode, n.test_until, now)
    )
    banner: dict[str, object] = {
        "continuity": "ON" if acc.continuity.on else "off",
        "failover": "enabled" if acc.continuity.enabled else "DISABLED",
        "default_destination": str(acc.continuity.destination or "none"),
        "testing_lines": testing,
        "testing_numbers": testing_numbers,
        "tests": [
            {
                "kind": kind,
                "subject": subject,
                "until": until.isoformat() if until else None,
            }
            for kind, subject, until in _tests(snapshot, testing, testing_numbers)
        ],
        "state_version": snapshot.version,
        "primary_trunk": trunk.to_json(),
        "warnings": warnings,
        "hours": hours,
        "nodes": [
            {
                "name": n.name,
                "sip_uri": n.sip_uri,
                "healthy": n.healthy(config.node_heartbeat_interval),
                "leads": n.leads,
                "last_seen": n.last_seen.isoformat(),
            }
            for n in nodes
        ],
    }
    rows, numbers = [], []
    for number in sorted(snapshot.numbers):
        plan = plan_route(snapshot, number, trunk.health, now)
        chain = [str(d) for d in plan.destinations]
        in_test = plan.reason.value == "test_mode"
        rows.append(
            [
                number,
                snapshot.numbers[number].label,
                plan.line or "-",
                plan.reason.value.upper() if in_test else plan.reason.value,
                " > ".join(chain),
            ]
        )
        numbers.append(
            {"number": number, "line": plan.line, "reason": plan.reason.value, "chain": chain}
        )
    if not args.json:
        print(
            f"continuity {banner['continuity']} | failover {banner['failover']} | default "
            f"{banner['default_destination']} | state v{snapshot.version}"
        )
        for kind, subject, until in _tests(snapshot, testing, testing_numbers):
            print(f"FAILOVER TEST MODE on {kind} {subject}, {describe_end(until, now)}")
        for line in trunk.lines():
            print(line)
        for h in hours:
            state = "OPEN" if h["open"] else "CLOSED"
            where = f"; continuity calls go to {h['after_hours']}" if not h["open"] else ""
            print(f"hours: line {h['line']} follows {h['schedule']}, {state} now{where}")
        for warning in warnings:
            print(f"WARNING: {warning}")
        for node in nodes:
            health = "up" if node.healthy(config.node_heartbeat_interval) else "SILENT"
            print(
                f"node {node.name}{' (leader)' if node.leads else ''}: {health}, last heard"
                f" {node.silent_for:.1f} s ago{', ' + node.sip_uri if node.sip_uri else ''}"
            )
        print()
    emit(
        {**banner, "numbers": numbers},
        ["NUMBER", "LABEL", "LINE", "ROUTING", "CHAIN"],
        rows,
        args.json,
    )
    return 0


def _hours(snapshot: Snapshot, now: dt.datetime) -> list[dict[str, object]]:
    """Which schedule applies to each line right now, for lines that have one."""
    found: list[dict[str, object]] = []
    for line in sorted(snapshot.lines.values(), key=lambda ln: ln.id):
        schedule = snapshot.schedule_of(line)
        if schedule is None:
            continue
        own = line.schedule is not None
        found.append(
            {
                "line": line.id,
                "schedule": f"{schedule.name} ({schedule.timezone}"
                + (")" if own else ", the default)"),
                "open": schedule.is_open(now),
                "after_hours": str(line.after_hours) if line.after_hours else "(as in hours)",
            }
        )
    return found


def _tests(
    snapshot: Snapshot, lines: list[str], numbers: list[str]
) -> list[tuple[str, str, dt.datetime | None]]:
    """(level, subject, end time) of every test that applies now."""
    return [("line", ln, snapshot.lines[ln].test_until) for ln in lines] + [
        ("number", n, snapshot.numbers[n].test_until) for n in numbers
    ]


async def cmd_audit(args: argparse.Namespace, config: Config) -> int:
    async with open_pool(config) as pool:
        entries = await Store(pool).audit_entries(args.limit)
    rows = [
        [
            e.at.strftime("%Y-%m-%d %H:%M:%S"),
            e.actor,
            e.action,
            e.subject,
            _short(e.old_value),
            _short(e.new_value),
        ]
        for e in entries
    ]
    emit(
        [dataclasses.asdict(e) for e in entries] if args.json else [],
        ["WHEN", "WHO", "WHAT", "SUBJECT", "OLD", "NEW"],
        rows,
        args.json,
    )
    return 0


def _short(value: object) -> str:
    if not isinstance(value, dict):
        return "" if value is None else str(value)
    return ", ".join(f"{k}={'-' if v is None else v}" for k, v in value.items())


async def cmd_calls(args: argparse.Namespace, config: Config) -> int:
    async with open_pool(config) as pool:
        records = await CallRecordStore(pool).recent(args.limit, args.number)
    rows = [
        [
            r.started_at.strftime("%H:%M:%S"),
            r.tracking_number,
            r.caller_number,
            r.reason,
            " > ".join(f"{a.kind}:{a.target}={a.result}" for a in r.attempts),
            r.outcome,
            f"{r.answered_kind}:{r.answered_target}" if r.answered_kind else "-",
            r.path.value,
        ]
        for r in records
    ]
    emit(
        [r.to_json() for r in records],
        ["TIME", "DIALED", "CALLER", "ROUTE", "ATTEMPTS", "OUTCOME", "LANDED", "ROUTED BY"],
        rows,
        args.json,
    )
    return 0
