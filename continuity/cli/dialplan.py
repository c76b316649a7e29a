"""`continuity dialplan render|diff|apply` and `continuity agi serve`."""

from __future__ import annotations

import argparse
import difflib
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from continuity.agi.ami import AmiActions, AmiError
from continuity.cli.context import SubParsers
from continuity.compose import App, make_dialplan_sync
from continuity.compose_cli import ami_session, open_pool
from continuity.config import Config
from continuity.core.model import Snapshot
from continuity.db.store import Store
from continuity.dialplan_sync import Change, DialplanSync


def add_parsers(sub: SubParsers) -> None:
    dp = sub.add_parser(
        "dialplan",
        help="the generated Asterisk files (fallback dialplan, trunks)",
        description="The files the product writes under the Asterisk config dir, each "
        "#included from the admin's own file and never edited by hand.",
    )
    psub = dp.add_subparsers(dest="action", required=True)
    render = psub.add_parser(
        "render",
        help="print the generated files for the current state (or write them to --out-dir)",
    )
    render.add_argument(
        "--out-dir", type=Path, metavar="DIR", help="write the files under DIR instead; no reload"
    )
    render.set_defaults(run=cmd_render)
    diff = psub.add_parser(
        "diff",
        help="show what apply would change in the generated files, as a unified diff "
        "(the routes in AstDB: `continuity doctor` compares them)",
    )
    diff.add_argument(
        "--exit-code", action="store_true", help="exit 1 when there are changes (like git diff)"
    )
    diff.set_defaults(run=cmd_diff)
    apply = psub.add_parser(
        "apply",
        help="write the numbers' routes to AstDB and the files atomically, reload them via "
        "AMI and verify what Asterisk holds",
        description="With fallback_store = astdb (the default) every route that differs "
        "from what AstDB holds is written again (AstDB is read afresh). A file Asterisk "
        "does not load as written is put back as it was and reloaded again; the command "
        "then exits 1 with the reason.",
    )
    apply.set_defaults(run=cmd_apply)

    agi = sub.add_parser("agi", help="the FastAGI route for installs that keep their own dialplan")
    asub = agi.add_subparsers(dest="action", required=True)
    serve = asub.add_parser(
        "serve",
        help="serve AGI(agi://HOST:PORT/continuity_route) only (no ARI app, no file writes)",
        description="Listens on --agi-host/--agi-port (CONTINUITY_AGI_HOST/PORT, default "
        "127.0.0.1:4573). `continuity serve` runs the same route next to the ARI app.",
    )
    serve.set_defaults(run=cmd_agi_serve)


class _NoAmi:
    """For commands that render and compare only: asking Asterisk is a bug."""

    async def action(self, action: dict[str, str], timeout: float | None = None) -> Any:
        raise AmiError(f"{action['Action']}: this command does not talk to Asterisk")

    async def actions(
        self, actions: Sequence[dict[str, str]], timeout: float | None = None
    ) -> None:
        raise AmiError(f"{len(actions)} actions: this command does not talk to Asterisk")

    async def command(self, command: str) -> str:
        raise AmiError(f"{command}: this command does not talk to Asterisk")


_NO_AMI = _NoAmi()


def _say(message: str) -> None:
    print(f"continuity: {message}", file=sys.stderr, flush=True)


async def _state(config: Config) -> Snapshot:
    _say("loading routing state from PostgreSQL")
    async with open_pool(config) as pool:
        snapshot = await Store(pool).load_snapshot()
    _say(f"routing state v{snapshot.version}: {len(snapshot.numbers)} tracking numbers")
    return snapshot


def _sync(config: Config, ami: AmiActions) -> DialplanSync:
    sync = make_dialplan_sync(config, ami)
    if len(sync.files) == 1:
        _say("primary_trunk/pstn_trunk are not set: pjsip_continuity.conf is left alone")
    return sync


async def cmd_render(args: argparse.Namespace, config: Config) -> int:
    sync = _sync(config, _NO_AMI)
    snapshot = await _state(config)
    for file, text in sync.render(snapshot):
        if args.out_dir is None:
            sys.stdout.write(f"; ==> {file.path} <==\n{text}")
            continue
        target = args.out_dir / file.path.relative_to(config.asterisk_config_dir)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        _say(f"wrote {target}")
    return 0


def unified(change: Change) -> str:
    path = str(change.file.path)
    return "".join(
        difflib.unified_diff(
            (change.old or "").splitlines(keepends=True),
            change.new.splitlines(keepends=True),
            fromfile=path if change.old is not None else "/dev/null",
            tofile=path,
        )
    )


async def cmd_diff(args: argparse.Namespace, config: Config) -> int:
    sync = _sync(config, _NO_AMI)
    changes = sync.pending(await _state(config))
    for change in changes:
        sys.stdout.write(unified(change))
    if not changes:
        _say("no changes: Asterisk's generated files match the current state")
    return 1 if changes and args.exit_code else 0


async def cmd_apply(args: argparse.Namespace, config: Config) -> int:
    ami = ami_session(config)
    try:
        sync = _sync(config, ami)
        snapshot = await _state(config)
        changed = await sync.apply(snapshot, progress=_say)
    finally:
        ami.close()
    print(f"dialplan v{snapshot.version} {'applied' if changed else 'unchanged'}")
    return 0


async def cmd_agi_serve(args: argparse.Namespace, config: Config) -> int:
    if config.agi_port == 0:
        _say("agi_port is 0 (off): set --agi-port or CONTINUITY_AGI_PORT to serve FastAGI")
        return 2
    await App(config).run_agi()
    return 0
