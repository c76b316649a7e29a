"""Checks of this machine's side: PostgreSQL, directories, SMTP, webhook, listeners."""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from continuity import names
from continuity.config import Config
from continuity.db import migrate
from continuity.doctor.result import Result
from continuity.errors import StoreError

TIMEOUT = 5.0


async def check_database(config: Config) -> Result:
    check = "database"
    try:
        async with asyncio.timeout(TIMEOUT + 1):
            missing = await migrate.pending(config.database_url)
    except (StoreError, OSError, TimeoutError) as exc:
        text = (exc.detail if isinstance(exc, StoreError) else str(exc)).strip()
        first = text.splitlines()[0] if text else type(exc).__name__
        if "does not exist" in first:
            fix = "create the database (createdb), then run `continuity db upgrade`"
        elif "authentication" in first or "password" in first:
            fix = "fix the user or password in database_url (CONTINUITY_DATABASE_URL)"
        else:
            fix = "start PostgreSQL and check database_url (CONTINUITY_DATABASE_URL)"
        return Result.failed(check, f"cannot use PostgreSQL: {first}", fix)
    if missing:
        return Result.failed(
            check,
            f"reachable; {len(missing)} migration(s) not applied: {', '.join(missing)}",
            "run `continuity db upgrade`",
        )
    return Result.ok(check, "reachable, migrations current")


def _writable(directory: Path) -> str | None:
    """None if a file can be created in ``directory`` (or, while it does not exist,
    the directory can be created), else why not. Leaves nothing behind."""
    existing = directory
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        return f"{existing} is not a directory"
    try:
        with tempfile.NamedTemporaryFile(dir=existing, prefix=".continuity-doctor-"):
            pass
    except OSError as exc:
        return exc.strerror or str(exc)
    return None


def check_directories(config: Config) -> list[Result]:
    user = f"uid {os.geteuid()}"
    state, etc = Path(config.state_dir), Path(config.asterisk_config_dir)
    results = []
    problem = _writable(state)
    if problem is not None:
        results.append(
            Result.failed(
                "state_dir",
                f"{state}: {problem}",
                f"make {state} writable for {user}, or point state_dir elsewhere",
            )
        )
    else:
        made = "is writable" if state.is_dir() else "does not exist yet; it can be created"
        results.append(Result.ok("state_dir", f"{state} {made}"))
    if not etc.is_dir():
        results.append(
            Result.failed(
                "config dir",
                f"{etc} does not exist",
                "point asterisk_config_dir at Asterisk's astetcdir (see asterisk.conf)",
            )
        )
    elif (problem := _writable(etc / names.GENERATED_DIR)) is not None:
        results.append(
            Result.failed(
                "config dir",
                f"{etc / names.GENERATED_DIR}: {problem}",
                f"make {etc} (or its {names.GENERATED_DIR}/ directory) writable for {user}",
            )
        )
    else:
        results.append(Result.ok("config dir", f"{etc} is writable"))
    return results


async def _connect(host: str, port: int) -> str | None:
    """None if a TCP connection opens, else why not."""
    try:
        async with asyncio.timeout(TIMEOUT):
            _reader, writer = await asyncio.open_connection(host, port)
    except (OSError, TimeoutError) as exc:
        return str(exc) or type(exc).__name__
    writer.close()
    return None


async def check_smtp(config: Config) -> Result:
    check = "SMTP"
    if not config.smtp_host:
        return Result.skipped(check, "smtp_host not set: no voicemail or outage e-mail")
    where = f"{config.smtp_host}:{config.smtp_port}"
    try:
        async with asyncio.timeout(TIMEOUT):
            reader, writer = await asyncio.open_connection(config.smtp_host, config.smtp_port)
            greeting = await reader.readline() if config.smtp_security != "tls" else b"220"
        writer.close()
    except (OSError, TimeoutError) as exc:
        return Result.failed(
            check,
            f"cannot reach {where}: {exc or 'timeout'}",
            "check smtp_host and smtp_port, and that the mail server runs",
        )
    if not greeting.startswith(b"220"):
        return Result.failed(
            check,
            f"{where} answered {greeting[:60].decode(errors='replace').strip()!r}, not SMTP",
            "point smtp_host/smtp_port at an SMTP server",
        )
    return Result.ok(check, f"{where} answers")


async def check_webhook(config: Config) -> Result:
    check = "webhook"
    if not config.outage_webhook_url:
        return Result.skipped(check, "outage_webhook_url not set")
    parts = urlsplit(config.outage_webhook_url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    # A connection, not a request: the receiver must not take it for a notice.
    problem = await _connect(host, port)
    if problem is not None:
        return Result.failed(
            check,
            f"cannot reach {host}:{port} ({problem})",
            "check outage_webhook_url and that the receiver runs",
        )
    return Result.ok(check, f"{host}:{port} accepts connections")


async def check_listener(check: str, setting: str, listen: str) -> Result:
    if not listen:
        return Result.skipped(check, f"{setting} not set")
    host, _, port = listen.rpartition(":")
    if int(port) == 0:
        return Result.skipped(check, f"{setting} is port 0: the kernel picks one at start")
    problem = await _connect(host.strip("[]"), int(port))
    if problem is None:
        return Result.ok(check, f"something listens on {listen}")
    return Result.failed(
        check,
        f"nothing listens on {listen} ({problem})",
        f"start `continuity serve` (it binds {setting}), or free that address",
    )
