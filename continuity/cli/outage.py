"""`continuity outage …`: the primary trunk's outages, and the operator's override."""

from __future__ import annotations

import argparse

from continuity import names
from continuity.cli.context import SubParsers
from continuity.cli.output import emit
from continuity.compose_cli import actor, open_pool
from continuity.config import Config
from continuity.core.outage import OverrideState
from continuity.db.outage_summary import OutageSummaryStore
from continuity.db.outages import OutageStore
from continuity.outage.banner import trunk_report

OVERRIDES = {"declare": OverrideState.DOWN, "clear": OverrideState.UP, "auto": None}


def add_parsers(sub: SubParsers) -> None:
    outage = sub.add_parser(
        "outage",
        help="primary trunk outages: state, history, manual override",
        description="The app declares an outage of the primary trunk when its health "
        "checks fail (outage_mode=auto) or only reports it (manual). An override set "
        "here wins over detection in both directions until `continuity outage auto`.",
    )
    osub = outage.add_subparsers(dest="action", required=True, metavar="ACTION")

    st = osub.add_parser("status", help="the current outage, the override and recent outages")
    st.add_argument("--limit", type=int, default=10, help="how many past outages to list")
    st.add_argument("--json", action="store_true", help="machine-readable output")
    st.set_defaults(run=cmd_status)

    for name, text in (
        ("declare", "declare an outage now: calls skip the primary until `outage auto`"),
        ("clear", "force the primary up: calls go to it whatever the health checks say"),
        ("auto", "remove the override: detection decides again"),
    ):
        p = osub.add_parser(name, help=text, description=text)
        if name != "auto":
            p.add_argument("--reason", default="", help="why, for the audit log and notices")
        p.set_defaults(run=cmd_override, override=name)


async def cmd_override(args: argparse.Namespace, config: Config) -> int:
    state = OVERRIDES[args.override]
    reason = getattr(args, "reason", "")
    async with open_pool(config) as pool:
        store = OutageStore(pool)
        await store.set_override(actor(), state, reason)
    if state is OverrideState.DOWN:
        print("outage declared: calls skip the primary trunk until `continuity outage auto`")
    elif state is OverrideState.UP:
        print("primary forced up: calls go to it until `continuity outage auto`")
    else:
        print("override removed: outage detection decides again")
    return 0


async def cmd_status(args: argparse.Namespace, config: Config) -> int:
    async with open_pool(config) as pool:
        store = OutageStore(pool)
        summaries = OutageSummaryStore(pool)
        report = await trunk_report(store, names.ENDPOINT_PRIMARY, summaries)
        past = await store.recent_outages(args.limit)
        figures = [await summaries.summary(o) for o in past]
    if not args.json:
        if report.outage is None:
            print("primary trunk: no outage")
        print("\n".join(report.lines()))
        print()
    rows = [
        [
            o.started_at.strftime("%Y-%m-%d %H:%M:%S"),
            o.resolved_at.strftime("%H:%M:%S") if o.resolved_at else "OPEN",
            f"{o.duration(report.now):.0f}s",
            "yes" if o.failover else "no",
            f.failed_over,
            f.voicemail,
            ", ".join(f"{lnd.destination} {lnd.calls}" for lnd in f.landed),
            o.start_cause,
            o.resolve_cause or "",
        ]
        for o, f in zip(past, figures, strict=True)
    ]
    emit(
        {
            **report.to_json(),
            "recent": [
                {
                    "id": o.id,
                    "started_at": o.started_at.isoformat(),
                    "resolved_at": o.resolved_at.isoformat() if o.resolved_at else None,
                    "start_cause": o.start_cause,
                    "resolve_cause": o.resolve_cause,
                    "failover": o.failover,
                    "summary": f.to_json(),
                }
                for o, f in zip(past, figures, strict=True)
            ],
        },
        [
            "STARTED",
            "RESOLVED",
            "LASTED",
            "FAILOVER",
            "FAILED OVER",
            "VOICEMAIL",
            "LANDED",
            "CAUSE",
            "RESOLVED BECAUSE",
        ],
        rows,
        args.json,
    )
    return 0
