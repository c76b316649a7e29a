"""`continuity serve`, `db upgrade`; `dialplan` and `agi` live in ``dialplan``."""

from __future__ import annotations

import argparse
import sys

from continuity.cli import dialplan
from continuity.cli.context import SubParsers
from continuity.compose import App
from continuity.config import Config
from continuity.db import migrate, roles
from continuity.install import missing_includes


def add_parsers(sub: SubParsers) -> None:
    serve = sub.add_parser(
        "serve", help="run the ARI app and the FastAGI route, and keep the generated files current"
    )
    serve.set_defaults(run=cmd_serve, fast_loop=True)

    db = sub.add_parser("db", help="database schema")
    dsub = db.add_subparsers(dest="action", required=True)
    up = dsub.add_parser(
        "upgrade",
        help="apply pending migrations (safe to run again)",
        description="Run as the role that owns the product's tables (the owner role; "
        "database_url names it). With --grant-runtime ROLE, ROLE then gets what "
        "`continuity serve` and the admin commands need and nothing more: SELECT, "
        "INSERT, UPDATE and DELETE on the product's tables (LISTEN needs no grant), "
        "also on tables later upgrades add. ROLE must exist and be neither a superuser "
        "nor the owner.",
    )
    up.add_argument(
        "--grant-runtime",
        metavar="ROLE",
        help="grant this PostgreSQL role the runtime privileges (DML only) after upgrading",
    )
    up.set_defaults(run=cmd_db_upgrade)

    dialplan.add_parsers(sub)


async def cmd_serve(args: argparse.Namespace, config: Config) -> int:
    if not config.ari_password:
        print(
            "continuity: set CONTINUITY_ARI_PASSWORD (the ARI user's password from ari.conf)",
            file=sys.stderr,
        )
        return 2
    for include in missing_includes(config.asterisk_config_dir):
        print(
            f"continuity: warning: {config.asterisk_config_dir / include.file} does not "
            f"include {include.line}: Asterisk will not use that generated file "
            "(see `continuity install`)",
            file=sys.stderr,
        )
    await App(config).run()
    return 0


async def cmd_db_upgrade(args: argparse.Namespace, config: Config) -> int:
    applied = await migrate.upgrade(config.database_url)
    print("applied: " + ", ".join(applied) if applied else "schema is up to date")
    if args.grant_runtime:
        await roles.grant_runtime(config.database_url, args.grant_runtime)
        print(f"runtime role {args.grant_runtime}: SELECT, INSERT, UPDATE, DELETE granted")
    return 0
