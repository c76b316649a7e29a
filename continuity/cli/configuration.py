"""`continuity settings`: every setting, its flag and variable, its value and its source."""

from __future__ import annotations

import argparse
import os
import tomllib
from pathlib import Path
from typing import Any

from continuity.cli.context import SubParsers
from continuity.cli.output import emit
from continuity.config import CONFIG_FILE_ENV, SETTINGS, Config

SECRET_SUFFIXES = ("password", "secret", "webhook_url")


def add_parsers(sub: SubParsers) -> None:
    p = sub.add_parser(
        "settings",
        help="every setting: its flag, environment variable, value and where it came from",
        description="Each setting is taken from a flag given before the command, then the "
        "environment, then the TOML config file (--config FILE or CONTINUITY_CONFIG), then "
        "its default. Secrets are shown as ***. README.md's Configuration section says "
        "what each one does.",
    )
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(run=cmd_settings)


def flag(name: str) -> str:
    if name.endswith(("password", "secret")):
        return "-"  # never on the command line
    return f"--{name.replace('_', '-')}"


def _file_keys(args: argparse.Namespace) -> set[str]:
    path = args.config or (
        Path(os.environ[CONFIG_FILE_ENV]) if CONFIG_FILE_ENV in os.environ else None
    )
    if path is None:
        return set()
    try:
        return set(tomllib.loads(Path(path).read_text("utf-8")))
    except (OSError, tomllib.TOMLDecodeError):
        return set()  # load_config already refused a broken file


def source(name: str, args: argparse.Namespace, file_keys: set[str]) -> str:
    env = SETTINGS[name][0]
    if getattr(args, name, None) is not None:
        return "flag"
    if env in os.environ:
        return "environment"
    if name in file_keys:
        return "file"
    return "default"


def shown(name: str, value: Any) -> str:
    if name.endswith(SECRET_SUFFIXES) and value:
        return "***"
    return str(value)


async def cmd_settings(args: argparse.Namespace, config: Config) -> int:
    keys = _file_keys(args)
    data = [
        {
            "setting": name,
            "flag": flag(name),
            "environment": env,
            "value": shown(name, getattr(config, name)),
            "from": source(name, args, keys),
        }
        for name, (env, _) in SETTINGS.items()
    ]
    rows = [[d["setting"], d["flag"], d["environment"], d["value"], d["from"]] for d in data]
    emit(data, ["SETTING", "FLAG", "ENVIRONMENT", "VALUE", "FROM"], rows, args.json)
    return 0
