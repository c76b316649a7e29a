"""What CLI commands are built from: the builders of ``continuity serve``
(:mod:`continuity.compose_parts`), on one short-lived connection per command.

No command builds a pool, an AMI login or a caller itself.
"""

from __future__ import annotations

import asyncio
import functools
import getpass
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from continuity.admin import Admin
from continuity.agi.ami import AmiCredentials, AmiError, AmiSession
from continuity.agi.verify_call import verification_call
from continuity.compose_parts import ami_credentials, make_test_caller
from continuity.config import Config
from continuity.core.verification import CallReport
from continuity.db.pool import Pool, short_pool
from continuity.db.records import CallRecordStore
from continuity.db.store import Store
from continuity.db.verification import VerificationLog
from continuity.dialplan_plugin import accepted_routes
from continuity.doctor import ExpectedRoutes, Result, diagnose
from continuity.errors import InvalidSetting
from continuity.outage.testcall import TestCaller
from continuity.verification import ForwardingVerifier


def actor() -> str:
    """Who is making the change, for the audit log."""
    user = os.environ.get("SUDO_USER") or getpass.getuser()
    return f"cli:{user}"


@asynccontextmanager
async def open_pool(config: Config) -> AsyncIterator[Pool]:
    """One connection to ``database_url`` for one command; ``StoreUnavailable`` if none."""
    async with short_pool(config.database_url) as pool:
        yield pool


@asynccontextmanager
async def open_admin(config: Config) -> AsyncIterator[Admin]:
    async with open_pool(config) as pool:
        yield Admin(Store(pool), actor())


def ami_session(config: Config) -> AmiSession:
    """The AMI login of `continuity dialplan apply`; close it when done."""
    return AmiSession(ami_credentials(config))


def cli_test_caller(config: Config, pool: Pool, *, hold: float, timeout: float) -> TestCaller:
    """`continuity test-call`: the console's test calls, with the command's hold and timeout."""
    return make_test_caller(
        ami_credentials(config), CallRecordStore(pool), hold=hold, timeout=timeout
    )


async def _verification_call(
    creds: AmiCredentials, ring_timeout: float, dial: str, call_id: str, code: str
) -> CallReport:
    try:
        return await verification_call(
            creds, dial=dial, call_id=call_id, code=code, ring_timeout=ring_timeout
        )
    except AmiError as exc:
        raise InvalidSetting(
            f"could not place the verification call: {exc}. Check the ami_* settings and "
            "that Asterisk runs with the generated dialplan (`continuity dialplan apply`); "
            "or `--without-call` to verify on your word"
        ) from exc


def forwarding_verifier(
    config: Config, pool: Pool, admin: Admin, *, ring_timeout: float
) -> ForwardingVerifier:
    """`continuity line forward verify`: a real call over AMI, failures in the audit log."""
    return ForwardingVerifier(
        admin,
        functools.partial(_verification_call, ami_credentials(config), ring_timeout),
        VerificationLog(pool),
        actor(),
    )


async def expected_routes(config: Config) -> ExpectedRoutes:
    """The fallback routes of the routing state in PostgreSQL, for the doctor."""
    async with open_pool(config) as pool:
        snapshot = await Store(pool).load_snapshot()
    values = await asyncio.to_thread(accepted_routes, config, snapshot)
    return ExpectedRoutes(snapshot.version, values)


async def doctor(config: Config) -> list[Result]:
    """`continuity doctor`: every check, with this install's AMI login."""
    return await diagnose(
        config, ami_credentials(config), functools.partial(expected_routes, config)
    )
