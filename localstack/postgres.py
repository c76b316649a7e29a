"""A PostgreSQL server for tests and demos, and throw-away databases on it.

:func:`resolve_database_url` looks in this order: ``$CONTINUITY_DATABASE_URL``;
a server on 127.0.0.1:5432 that lets ``postgres`` in; else Debian's
PostgreSQL, installed with apt-get if missing, its cluster started (or
created with trust authentication on 127.0.0.1).
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import subprocess
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

from localstack.errors import PostgresUnavailableError
from localstack.rootfs import Progress, stderr_progress

#: Environment variable naming the server to use (a libpq URL).
DATABASE_URL_ENV = "CONTINUITY_DATABASE_URL"
LOCAL_URL = "postgresql://postgres@127.0.0.1:{port}/postgres"
DEFAULT_PORT = 5432


async def resolve_database_url(*, progress: Progress = stderr_progress) -> str:
    """The URL of a PostgreSQL server the tests may create databases on."""
    configured = os.environ.get(DATABASE_URL_ENV)
    if configured:
        return configured
    url = LOCAL_URL.format(port=DEFAULT_PORT)
    problem = await _login_problem(url)
    if problem is None:
        return url
    if "password" in problem or "authentication" in problem:
        raise PostgresUnavailableError(
            f"PostgreSQL on 127.0.0.1:{DEFAULT_PORT} does not let postgres in without a "
            f"password ({problem.strip()}); set {DATABASE_URL_ENV} to a URL that works"
        )
    return await asyncio.to_thread(_start_debian_cluster, progress)


async def _login_problem(url: str) -> str | None:
    """``None`` if ``url`` accepts a login, else libpq's reason."""
    try:
        connection = await psycopg.AsyncConnection.connect(url, connect_timeout=3)
    except psycopg.OperationalError as error:
        return str(error)
    await connection.close()
    return None


def _start_debian_cluster(progress: Progress) -> str:
    started = time.monotonic()
    installed_now = False
    if shutil.which("pg_lsclusters") is None:
        progress("installing PostgreSQL with apt-get (first run, ~1 min)…")
        _run(["apt-get", "update"])
        _run(["apt-get", "install", "-y", "--no-install-recommends", "postgresql"])
        installed_now = True
    clusters = _clusters()
    if installed_now:  # the package's cluster has peer/password auth: make one with trust
        for version, name, *_ in clusters:
            _run(["pg_dropcluster", "--stop", version, name])
        clusters = []
    if not clusters:
        version = _newest_version()
        progress(f"creating PostgreSQL {version} cluster 'main' (trust auth, 127.0.0.1)…")
        _run(
            ["pg_createcluster", version, "main", "--port", str(DEFAULT_PORT), "--", "--auth=trust"]
        )
        clusters = _clusters()
    version, name, port, status = next(
        (cluster for cluster in clusters if cluster[1] == "main"), clusters[0]
    )
    if status != "online":
        progress(f"starting PostgreSQL {version}/{name} on port {port}…")
        _run(["pg_ctlcluster", "--skip-systemctl-redirect", version, name, "start"])
    url = LOCAL_URL.format(port=port)
    problem = _wait_for_login(url, deadline=time.monotonic() + 30)
    if problem is not None:
        raise PostgresUnavailableError(
            f"started PostgreSQL {version}/{name} but cannot log in as postgres ({problem}); "
            f"set {DATABASE_URL_ENV} to a URL that works"
        )
    progress(f"PostgreSQL ready at {url} in {time.monotonic() - started:.0f} s")
    return url


def _wait_for_login(url: str, *, deadline: float) -> str | None:
    while True:
        try:
            psycopg.connect(url, connect_timeout=3).close()
        except psycopg.OperationalError as error:
            if time.monotonic() > deadline:
                return str(error).strip()
            time.sleep(0.2)
        else:
            return None


def _clusters() -> list[tuple[str, str, str, str]]:
    """``(version, name, port, status)`` of each Debian cluster."""
    output = _run(["pg_lsclusters", "--no-header"])
    return [
        (fields[0], fields[1], fields[2], fields[3])
        for fields in (line.split() for line in output.splitlines())
        if len(fields) >= 4
    ]


def _newest_version() -> str:
    versions = [p.name for p in Path("/usr/lib/postgresql").iterdir() if p.name.isdigit()]
    if not versions:
        raise PostgresUnavailableError("no PostgreSQL server under /usr/lib/postgresql")
    return max(versions, key=int)


def _run(argv: Sequence[str]) -> str:
    result = subprocess.run(
        argv,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
    )
    if result.returncode != 0:
        output = (result.stdout + result.stderr).strip()[-2000:]
        raise PostgresUnavailableError(f"{' '.join(argv)} failed ({result.returncode}):\n{output}")
    return result.stdout


def database_url(base_url: str, dbname: str) -> str:
    """``base_url`` pointing at database ``dbname`` (URL or key=value form)."""
    if base_url.startswith(("postgresql://", "postgres://")):
        parts = urlsplit(base_url)
        return urlunsplit(parts._replace(path=f"/{dbname}"))
    return make_conninfo(base_url, dbname=dbname)


@asynccontextmanager
async def temporary_database(
    base_url: str, *, prefix: str = "continuity_test"
) -> AsyncIterator[str]:
    """Create a uniquely named database, yield its URL, drop it afterwards."""
    name = f"{prefix}_{secrets.token_hex(6)}"
    async with await psycopg.AsyncConnection.connect(base_url, autocommit=True) as connection:
        await connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield database_url(base_url, name)
    finally:
        async with await psycopg.AsyncConnection.connect(base_url, autocommit=True) as connection:
            await connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def as_role(url: str, role: str, password: str) -> str:
    """``url`` logging in as ``role`` instead."""
    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit(parts._replace(netloc=f"{role}:{password}@{host}"))


@asynccontextmanager
async def temporary_role(
    base_url: str, *, prefix: str = "continuity_test_runtime"
) -> AsyncIterator[tuple[str, str]]:
    """A LOGIN role without privileges, for the runtime: ``(name, password)``; dropped after.

    Leave it after the databases it was granted on are dropped (their grants go
    with them), else the DROP ROLE fails.
    """
    name, password = f"{prefix}_{secrets.token_hex(6)}", secrets.token_urlsafe(18)
    async with await psycopg.AsyncConnection.connect(base_url, autocommit=True) as connection:
        await connection.execute(
            sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                sql.Identifier(name), sql.Literal(password)
            )
        )
    try:
        yield name, password
    finally:
        async with await psycopg.AsyncConnection.connect(base_url, autocommit=True) as connection:
            await connection.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(name)))
