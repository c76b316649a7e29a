"""`continuity token …`, `continuity user …` and `continuity web`: who may use the API/console."""

from __future__ import annotations

import argparse
import getpass
import sys

from continuity.access.credentials import Role
from continuity.access.service import Access
from continuity.cli.context import SubParsers
from continuity.cli.output import emit
from continuity.compose import run_web
from continuity.compose_cli import actor, open_pool
from continuity.config import Config
from continuity.db.access import AccessStore
from continuity.errors import ContinuityError


def add_parsers(sub: SubParsers) -> None:
    token = sub.add_parser(
        "token",
        help="HTTP API tokens: create, list, revoke",
        description="Named API tokens. An admin token changes settings, a viewer token "
        "only reads. The token is printed once; only its hash is kept.",
    )
    tsub = token.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = tsub.add_parser("create", help="create a token and print it (once)")
    create.add_argument("--name", required=True, help="who uses it, e.g. monitoring (audit log)")
    create.add_argument("--role", required=True, choices=[r.value for r in Role])
    create.set_defaults(run=cmd_token_create)
    ls = tsub.add_parser("list", help="tokens, their role and last use (never the token)")
    ls.add_argument("--json", action="store_true", help="machine-readable output")
    ls.set_defaults(run=cmd_token_list)
    revoke = tsub.add_parser("revoke", help="revoke a token: it stops working at once")
    revoke.add_argument("name")
    revoke.set_defaults(run=cmd_token_revoke)

    user = sub.add_parser(
        "user",
        help="web console users: add, passwd, remove, list",
        description="Console users log in with a name and password (kept as an scrypt hash).",
    )
    usub = user.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = usub.add_parser("add", help="add a user; the password is asked for")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=[r.value for r in Role])
    add.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    add.set_defaults(run=cmd_user_add)
    pw = usub.add_parser("passwd", help="set a user's password (ends their sessions)")
    pw.add_argument("name")
    pw.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    pw.set_defaults(run=cmd_user_passwd)
    rm = usub.add_parser("remove", help="remove a user (ends their sessions)")
    rm.add_argument("name")
    rm.set_defaults(run=cmd_user_remove)
    uls = usub.add_parser("list", help="users and their roles")
    uls.add_argument("--json", action="store_true", help="machine-readable output")
    uls.set_defaults(run=cmd_user_list)

    web = sub.add_parser(
        "web",
        help="serve only the HTTP API and web console (web_listen)",
        description="The API and console without the ARI app, e.g. on another host. "
        "`continuity serve` serves them too, unless web_listen is empty.",
    )
    web.set_defaults(run=cmd_web)


async def cmd_token_create(args: argparse.Namespace, config: Config) -> int:
    async with open_pool(config) as pool:
        token = await Access(AccessStore(pool)).create_token(actor(), args.name, Role(args.role))
    print(token)
    print(
        f"token {args.name!r} ({args.role}) created; it is shown only now. "
        "Send it as: Authorization: Bearer <token>",
        file=sys.stderr,
    )
    return 0


async def cmd_token_list(args: argparse.Namespace, config: Config) -> int:
    async with open_pool(config) as pool:
        tokens = await AccessStore(pool).tokens()
    rows = [
        [
            t.name,
            t.role.value,
            f"{t.created_at:%Y-%m-%d %H:%M}",
            f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "never",
            f"REVOKED {t.revoked_at:%Y-%m-%d %H:%M}" if t.revoked_at else "active",
        ]
        for t in tokens
    ]
    data = [
        {
            "name": t.name,
            "role": t.role.value,
            "created_at": t.created_at.isoformat(),
            "last_used_at": t.last_used_at.isoformat() if t.last_used_at else None,
            "revoked_at": t.revoked_at.isoformat() if t.revoked_at else None,
        }
        for t in tokens
    ]
    emit(data, ["NAME", "ROLE", "CREATED", "LAST USED", "STATE"], rows, args.json)
    return 0


async def cmd_token_revoke(args: argparse.Namespace, config: Config) -> int:
    async with open_pool(config) as pool:
        await Access(AccessStore(pool)).revoke_token(actor(), args.name)
    print(f"token {args.name!r} revoked")
    return 0


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        raise ContinuityError("The two passwords differ; nothing was changed.")
    return first


async def cmd_user_add(args: argparse.Namespace, config: Config) -> int:
    password = _read_password(args.password_stdin)
    async with open_pool(config) as pool:
        await Access(AccessStore(pool)).add_user(actor(), args.name, Role(args.role), password)
    print(f"user {args.name!r} ({args.role}) added; they log in at the console")
    return 0


async def cmd_user_passwd(args: argparse.Namespace, config: Config) -> int:
    password = _read_password(args.password_stdin)
    async with open_pool(config) as pool:
        await Access(AccessStore(pool)).set_password(actor(), args.name, password)
    print(f"password of {args.name!r} changed; their sessions ended")
    return 0


async def cmd_user_remove(args: argparse.Namespace, config: Config) -> int:
    async with open_pool(config) as pool:
        await Access(AccessStore(pool)).remove_user(actor(), args.name)
    print(f"user {args.name!r} removed")
    return 0


async def cmd_user_list(args: argparse.Namespace, config: Config) -> int:
    async with open_pool(config) as pool:
        users = await AccessStore(pool).users()
    rows = [[u.name, u.role.value, f"{u.created_at:%Y-%m-%d %H:%M}"] for u in users]
    data = [
        {"name": u.name, "role": u.role.value, "created_at": u.created_at.isoformat()}
        for u in users
    ]
    emit(data, ["NAME", "ROLE", "CREATED"], rows, args.json)
    return 0


async def cmd_web(args: argparse.Namespace, config: Config) -> int:
    await run_web(config)
    return 0
