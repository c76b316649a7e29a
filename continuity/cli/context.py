"""What a CLI command gets: an admin service or stores on a short-lived pool."""

from __future__ import annotations

import argparse
import getpass
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TypeAlias

import psycopg
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from continuity.admin import Admin
from continuity.config import Config
from continuity.db.store import Store
from continuity.errors import DatabaseUnavailable

#: What each command module's ``add_parsers`` receives.
SubParsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def actor() -> str:
    """Who is making the change, for the audit log."""
    user = os.environ.get("SUDO_USER") or getpass.getuser()
    return f"cli:{user}"


@asynccontextmanager
async def open_pool(config: Config) -> AsyncIterator[AsyncConnectionPool]:
    pool = AsyncConnectionPool(
        config.database_url,
        open=False,
        min_size=1,
        max_size=1,
        timeout=5.0,
        kwargs={"connect_timeout": 5},
    )
    try:
        await pool.open(wait=True, timeout=5.0)
    except (PoolTimeout, psycopg.OperationalError) as exc:
        await pool.close()
        raise DatabaseUnavailable(str(exc)) from exc
    try:
        yield pool
    finally:
        await pool.close()


@asynccontextmanager
async def open_admin(config: Config) -> AsyncIterator[Admin]:
    async with open_pool(config) as pool:
        yield Admin(Store(pool), actor())
