"""The `continuity` command. Every subcommand has --help; errors exit non-zero."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

import psycopg

from continuity.cli import (
    admin,
    hours,
    lines,
    numbers,
    outage,
    primary_numbers,
    status,
    testcall,
    voicemail,
)
from continuity.config import SETTINGS, Config, load_config
from continuity.errors import ContinuityError

Command = Callable[[argparse.Namespace, Config], Awaitable[int]]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="continuity",
        description="Call continuity for Asterisk: route tracking numbers to the primary "
        "trunk, or to a continuity destination when the primary is down.",
    )
    parser.add_argument(
        "--config", type=Path, metavar="FILE", help="TOML config file (also CONTINUITY_CONFIG)"
    )
    for name, (env, _) in SETTINGS.items():
        if name.endswith(("password", "secret")):
            continue  # secrets come from the environment or the file, never argv
        parser.add_argument(
            f"--{name.replace('_', '-')}", dest=name, metavar="VALUE", help=f"(env {env})"
        )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    admin.add_parsers(sub)
    numbers.add_parsers(sub)
    lines.add_parsers(sub)
    status.add_parsers(sub)
    outage.add_parsers(sub)
    testcall.add_parsers(sub)
    voicemail.add_parsers(sub)
    primary_numbers.add_parsers(sub)
    hours.add_parsers(sub)
    return parser


async def _run(command: Command, args: argparse.Namespace, config: Config) -> int:
    task = asyncio.current_task()
    loop = asyncio.get_running_loop()
    if task is not None:
        loop.add_signal_handler(signal.SIGTERM, task.cancel)
    try:
        return await command(args, config)
    except asyncio.CancelledError:
        return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        config = load_config({n: getattr(args, n, None) for n in SETTINGS}, config_file=args.config)
    except ContinuityError as exc:
        print(f"continuity: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=config.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per ARI request is noise
    try:
        return asyncio.run(_run(args.run, args, config))
    except ContinuityError as exc:
        print(f"continuity: {exc}", file=sys.stderr)
        return 1
    except psycopg.Error as exc:
        print(f"continuity: database error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
