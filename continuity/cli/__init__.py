"""The `continuity` command. Every subcommand has --help; errors exit non-zero."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

import uvloop

from continuity.cli import (
    access,
    admin,
    configuration,
    doctor,
    hours,
    install,
    lines,
    numbers,
    outage,
    primary_numbers,
    proxy,
    status,
    testcall,
    voicemail,
)
from continuity.cli.layout import TopParser, add_examples
from continuity.config import SETTINGS, Config, load_config
from continuity.errors import ContinuityError
from continuity.exposure import exposure_warnings
from continuity.logsetup import configure_logging

Command = Callable[[argparse.Namespace, Config], Awaitable[int]]


def build_parser() -> argparse.ArgumentParser:
    parser = TopParser(
        prog="continuity",
        allow_abbrev=False,  # a subcommand's --node is not the top-level --node-name
        usage="continuity [--config FILE] [--SETTING VALUE ...] COMMAND ...",
        description="Call continuity for Asterisk: route tracking numbers to the primary "
        "trunk, or to a continuity destination when the primary is down.",
    )
    parser.add_argument(
        "--config", type=Path, metavar="FILE", help="TOML config file (also CONTINUITY_CONFIG)"
    )
    for name in SETTINGS:
        if name.endswith(("password", "secret")):
            continue  # secrets come from the environment or the file, never argv
        # Listed by `continuity settings`, not in the top-level help.
        parser.add_argument(
            f"--{name.replace('_', '-')}", dest=name, metavar="VALUE", help=argparse.SUPPRESS
        )
    sub = parser.add_subparsers(
        dest="command",
        required=True,
        metavar="COMMAND",
        prog="continuity",
        parser_class=argparse.ArgumentParser,
    )
    parser.commands = sub
    admin.add_parsers(sub)
    numbers.add_parsers(sub)
    lines.add_parsers(sub)
    status.add_parsers(sub)
    outage.add_parsers(sub)
    testcall.add_parsers(sub)
    voicemail.add_parsers(sub)
    primary_numbers.add_parsers(sub)
    hours.add_parsers(sub)
    proxy.add_parsers(sub)
    doctor.add_parsers(sub)
    configuration.add_parsers(sub)
    install.add_parsers(sub)
    access.add_parsers(sub)
    add_examples(sub)
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
    flags = {n: getattr(args, n, None) for n in SETTINGS}
    try:
        config = load_config(flags, config_file=args.config)
    except ContinuityError as exc:
        print(f"continuity: {exc}", file=sys.stderr)
        return 2
    for warning in exposure_warnings(flags, args.config):
        print(f"continuity: warning: {warning}", file=sys.stderr)
    configure_logging(config.log_level, config.log_format)
    try:
        # `serve` runs on uvloop: less CPU per ARI message (issue 13); the rest as is.
        factory = uvloop.new_event_loop if getattr(args, "fast_loop", False) else None
        with asyncio.Runner(loop_factory=factory) as runner:
            return runner.run(_run(args.run, args, config))
    except ContinuityError as exc:
        print(f"continuity: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
