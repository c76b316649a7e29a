"""`continuity line forward verify`: a real call with a code, or the admin's override."""

from __future__ import annotations

import argparse
import functools

from psycopg_pool import AsyncConnectionPool

from continuity.admin import Admin
from continuity.agi.ami import AmiCredentials, AmiError
from continuity.agi.verify_call import verification_call
from continuity.cli.context import actor, open_pool
from continuity.config import Config
from continuity.core.verification import CallReport
from continuity.db.store import Store
from continuity.db.verification import VerificationLog
from continuity.errors import InvalidSetting
from continuity.verification import ForwardingVerifier


def add_verify_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--without-call",
        action="store_true",
        help="mark it verified on your word, without calling (audited as an override)",
    )
    p.add_argument(
        "--ring-timeout",
        type=float,
        default=45.0,
        metavar="SECONDS",
        help="how long the verification call rings (default 45)",
    )


async def _call(
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


async def verify_forwarding(args: argparse.Namespace, config: Config, number: str) -> int:
    async with open_pool(config) as pool:
        return await _verify(args, config, pool, Admin(Store(pool), actor()), number)


async def _verify(
    args: argparse.Namespace,
    config: Config,
    pool: AsyncConnectionPool,
    admin: Admin,
    number: str,
) -> int:
    if args.without_call:
        await admin.verify_forwarding(
            args.id,
            number,
            action="forwarding.verify-override",
            detail={"by": "admin, without a call"},
        )
        print(f"verify: {number} on line {args.id} marked verified on your word (no call)")
        return 0
    if args.ring_timeout <= 0:
        raise InvalidSetting("--ring-timeout must be above 0 seconds")
    creds = AmiCredentials(config.ami_host, config.ami_port, config.ami_username, config.ami_secret)
    verifier = ForwardingVerifier(
        admin,
        functools.partial(_call, creds, args.ring_timeout),
        VerificationLog(pool),
        actor(),
    )

    def show(code: str) -> None:
        print(
            f"calling {number} now: when asked, key in {code} (then #)",
            flush=True,
        )

    result = await verifier.verify(args.id, number, show)
    if result.verified:
        print(f"verified: {number} on line {args.id} ({result.reason})")
        return 0
    print(f"NOT verified: {number} on line {args.id}: {result.reason}; it stays unverified")
    return 1
