"""`continuity line forward verify`: a real call with a code, or the admin's override."""

from __future__ import annotations

import argparse

from continuity.admin import Admin
from continuity.compose_cli import actor, forwarding_verifier, open_pool
from continuity.config import Config
from continuity.db.pool import Pool
from continuity.db.store import Store
from continuity.errors import InvalidSetting


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


async def verify_forwarding(args: argparse.Namespace, config: Config, number: str) -> int:
    async with open_pool(config) as pool:
        return await _verify(args, config, pool, Admin(Store(pool), actor()), number)


async def _verify(
    args: argparse.Namespace,
    config: Config,
    pool: Pool,
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
    verifier = forwarding_verifier(config, pool, admin, ring_timeout=args.ring_timeout)

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
