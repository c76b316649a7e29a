"""The fallback routes AstDB holds, against the routing state: numbers missing, stale, extra.

With ``fallback_store = astdb`` the fallback dialplan routes each number by its key in
AstDB's ``continuity-route`` family. A key deleted or altered behind the app's back (an
admin's ``database del``, a restored ``astdb.sqlite3``) routes that number wrong while
the app is down, and the app, which remembers what it wrote, would not notice. The
doctor reads the family (AMI ``DBGetTree``) and compares it with the routes of the
state in PostgreSQL, which the composition root computes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from continuity import names
from continuity.agi.ami import Ami, AmiCredentials, AmiError
from continuity.config import Config, FallbackStore
from continuity.dialplan_astdb import read_routes
from continuity.doctor.result import Result
from continuity.errors import StoreError

CHECK = "fallback routes"
#: Seconds to load and route the state (100,000 numbers take a few).
LOAD_TIMEOUT = 60.0
#: Numbers named per kind of difference; the count says how many more.
SHOWN = 3
FIX = (
    "run `continuity dialplan apply` to write every route again (a running `continuity "
    "serve` writes a change within a second: if you just made one, run the doctor again)"
)


@dataclass(frozen=True, slots=True)
class ExpectedRoutes:
    """What AstDB should hold for one routing state."""

    version: int
    #: Number -> the values the app may have written for it: its route with the primary
    #: up, and the one around a primary outage detection found down.
    values: Mapping[str, frozenset[str]]


#: Loads the routing state and routes it (PostgreSQL; given by the composition root).
LoadExpected = Callable[[], Awaitable[ExpectedRoutes]]


@dataclass(frozen=True, slots=True)
class Drift:
    #: Numbers of the state AstDB has no key for.
    missing: list[str]
    #: Numbers whose key holds another route than the state's.
    stale: list[str]
    #: Keys of numbers the state does not have.
    extra: list[str]

    def __bool__(self) -> bool:
        return bool(self.missing or self.stale or self.extra)

    def summary(self) -> str:
        parts = []
        for kind, numbers in (("missing", self.missing), ("stale", self.stale),
                              ("extra", self.extra)):  # fmt: skip
            if numbers:
                more = f", {len(numbers) - SHOWN} more" if len(numbers) > SHOWN else ""
                parts.append(f"{len(numbers)} {kind} ({', '.join(numbers[:SHOWN])}{more})")
        return ", ".join(parts)


def drift(expected: ExpectedRoutes, held: Mapping[str, str]) -> Drift:
    """How what AstDB holds differs from the state's routes (pure)."""
    values = expected.values
    return Drift(
        missing=sorted(n for n in values if n not in held),
        stale=sorted(n for n, v in held.items() if n in values and v not in values[n]),
        extra=sorted(n for n in held if n not in values),
    )


async def check_fallback_routes(
    config: Config, creds: AmiCredentials, expected: LoadExpected
) -> Result:
    if config.fallback_store is not FallbackStore.ASTDB:
        return Result.skipped(
            CHECK, "fallback_store = file: the routes are in the generated dialplan file"
        )
    try:
        async with asyncio.timeout(LOAD_TIMEOUT):
            state = await expected()
    except (StoreError, OSError, TimeoutError) as exc:
        return Result.skipped(CHECK, f"needs the routing state from PostgreSQL ({exc})")
    except ValueError as exc:  # a value stored behind the admin's back: refused, not routed
        return Result.failed(
            CHECK,
            f"the routing state does not route: {exc}",
            "correct the value named (`continuity number set`, `continuity line set`), "
            "then `continuity dialplan apply`",
        )
    family = names.ASTDB_FAMILY
    try:
        async with Ami(creds) as ami:
            held = await read_routes(ami)
    except (AmiError, TimeoutError, OSError) as exc:
        return Result.skipped(CHECK, f"needs AMI DBGetTree ({exc or 'timeout'})")
    found = drift(state, held)
    if not found:
        return Result.ok(
            CHECK,
            f"AstDB {family} holds the route of each of the {len(state.values)} tracking "
            f"numbers of routing state v{state.version}",
        )
    return Result.failed(
        CHECK,
        f"AstDB {family} differs from routing state v{state.version}: {found.summary()}",
        FIX,
    )
