"""Warnings about secrets other users can read: on the command line, in a config file."""

from __future__ import annotations

import os
import stat
import tomllib
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

#: Settings whose whole value is a secret (a webhook URL often carries a token).
SECRET_SETTINGS = frozenset({"ari_password", "ami_secret", "smtp_password", "outage_webhook_url"})


def holds_secret(name: str, value: object) -> bool:
    if not value:
        return False
    if name in SECRET_SETTINGS:
        return True
    if name == "database_url":
        try:
            return bool(urlsplit(str(value)).password)
        except ValueError:
            return False
    return False


def exposure_warnings(
    flags: Mapping[str, str | None],
    config_file: Path | None,
    environ: Mapping[str, str] = os.environ,
) -> list[str]:
    """One sentence per secret that ``ps`` or any local user can read."""
    warnings = [
        f"--{name.replace('_', '-')} carries a secret on the command line, where `ps` shows "
        "it to every user: give it in the environment or in the config file instead"
        for name, value in flags.items()
        if holds_secret(name, value)
    ]
    path = config_file or (
        Path(environ["CONTINUITY_CONFIG"]) if "CONTINUITY_CONFIG" in environ else None
    )
    if path is None:
        return warnings
    try:
        mode = path.stat().st_mode
        values = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return warnings  # load_config reports it
    secrets = sorted(name for name, value in values.items() if holds_secret(name, value))
    if secrets and mode & stat.S_IROTH:
        warnings.append(
            f"config file {path} holds secrets ({', '.join(secrets)}) and every user can "
            f"read it: chmod 600 {path} (or 640, group of the service)"
        )
    return warnings
