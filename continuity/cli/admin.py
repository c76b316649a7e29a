"""`continuity serve`, `db upgrade`, `dialplan render|apply`, `demo`."""

from __future__ import annotations

import argparse
import sys

from continuity.cli.context import SubParsers, open_pool
from continuity.compose import App, make_dialplan_sync
from continuity.config import Config
from db import migrate
from db.store import Store
from dialplan_templates.render import render_extensions


def add_parsers(sub: SubParsers) -> None:
    serve = sub.add_parser("serve", help="run the ARI app (and keep the fallback dialplan current)")
    serve.set_defaults(run=cmd_serve)

    db = sub.add_parser("db", help="database schema")
    dsub = db.add_subparsers(dest="action", required=True)
    up = dsub.add_parser("upgrade", help="apply pending migrations (safe to run again)")
    up.set_defaults(run=cmd_db_upgrade)

    dp = sub.add_parser("dialplan", help="the generated Asterisk dialplan")
    psub = dp.add_subparsers(dest="action", required=True)
    render = psub.add_parser("render", help="print the dialplan for the current state")
    render.set_defaults(run=cmd_dialplan_render)
    apply = psub.add_parser("apply", help="write the dialplan atomically and reload it via AMI")
    apply.set_defaults(run=cmd_dialplan_apply)

    demo = sub.add_parser("demo", help="start a local stack and place real calls through it")
    demo.set_defaults(run=cmd_demo)


async def cmd_serve(args: argparse.Namespace, config: Config) -> int:
    if not config.ari_password:
        print(
            "continuity: set CONTINUITY_ARI_PASSWORD (the ARI user's password from ari.conf)",
            file=sys.stderr,
        )
        return 2
    await App(config).run()
    return 0


async def cmd_db_upgrade(args: argparse.Namespace, config: Config) -> int:
    applied = await migrate.upgrade(config.database_url)
    print("applied: " + ", ".join(applied) if applied else "schema is up to date")
    return 0


async def cmd_dialplan_render(args: argparse.Namespace, config: Config) -> int:
    async with open_pool(config) as pool:
        snapshot = await Store(pool).load_snapshot()
    sys.stdout.write(render_extensions(snapshot, config.unknown_number, config.dial_timeout))
    return 0


async def cmd_dialplan_apply(args: argparse.Namespace, config: Config) -> int:
    async with open_pool(config) as pool:
        snapshot = await Store(pool).load_snapshot()
    changed = await make_dialplan_sync(config).apply(snapshot)
    print(f"dialplan v{snapshot.version} {'applied' if changed else 'unchanged'}")
    return 0


async def cmd_demo(args: argparse.Namespace, config: Config) -> int:
    from localstack.demo import run_demo  # the local stack is only needed here

    return await run_demo()
