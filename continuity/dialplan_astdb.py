"""Each tracking number's fallback route kept in Asterisk's AstDB (``fallback_store = astdb``).

A change costs what it changes: the routes of the numbers whose route differs are
written with one AMI ``DBPut`` each (removed numbers with ``DBDel``), never a
dialplan reload; the generic fallback context reads them per call. AstDB lives
in ``astdb.sqlite3``, so the routes survive an Asterisk restart and need neither
the app nor PostgreSQL.

Only the numbers that changed are routed again when nothing else did (the
account, lines, schedules, primary numbers and trunk health are the same
objects or equal); otherwise every number is. What AstDB holds is read once
(AMI ``DBGetTree``) and then remembered; a failed write forgets it, so the next
apply reads it again.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from continuity import names
from continuity.agi.ami import AmiActions, AmiError
from continuity.core.model import Snapshot, TrackingNumber, TrunkHealth
from continuity.errors import DialplanRejected

log = logging.getLogger(__name__)

#: number -> its AstDB value; ``only`` limits it to those numbers.
Entries = Callable[[Snapshot, TrunkHealth, set[str] | None], dict[str, str]]
Progress = Callable[[str], None]
#: Seconds Asterisk may take to list every route (100,000 of them at start).
READ_TIMEOUT = 120.0
#: Writes sent at once (pipelined over the one AMI session), and how long Asterisk may
#: take to answer a batch of them.
BATCH = 500
BATCH_TIMEOUT = 30.0
#: Changed keys read back after a write to check Asterisk holds them.
VERIFY_SAMPLE = 20


def _quiet(_message: str) -> None:
    pass


@dataclass(frozen=True, slots=True)
class _Basis:
    """What every number's route depends on besides the number itself."""

    snapshot: Snapshot
    health: TrunkHealth

    def same(self, other: _Basis) -> bool:
        a, b = self.snapshot, other.snapshot
        return (
            self.health == other.health
            and (a.account is b.account or a.account == b.account)
            and (a.lines is b.lines or a.lines == b.lines)
            and (a.schedules is b.schedules or a.schedules == b.schedules)
            and a.default_schedule == b.default_schedule
            and a.primary_numbers == b.primary_numbers
        )


class AstDbRoutes:
    def __init__(
        self, ami: AmiActions, entries: Entries, health: Callable[[], TrunkHealth]
    ) -> None:
        self._ami = ami
        self._entries = entries
        self._health = health
        self._family = names.ASTDB_FAMILY
        #: What AstDB holds, as far as this process knows; None: read it first.
        self._held: dict[str, str] | None = None
        #: The routes of the last state computed, and what they were computed from.
        self._routes: dict[str, str] = {}
        self._basis: _Basis | None = None

    def routes(self, snapshot: Snapshot) -> dict[str, str]:
        """Every number's value for ``snapshot``; only changed numbers are routed again
        when nothing they all depend on changed. Pure CPU: call it off the event loop."""
        basis = _Basis(snapshot, self._health())
        if self._basis is None or not self._basis.same(basis):
            routes = self._entries(snapshot, basis.health, None)
        else:
            old = self._basis.snapshot.numbers
            changed = _changed(old, snapshot.numbers)
            routes = dict(self._routes)
            for number in changed:
                routes.pop(number, None)
            routes.update(self._entries(snapshot, basis.health, changed))
        self._routes, self._basis = routes, basis
        return routes

    async def apply(self, snapshot: Snapshot, progress: Progress = _quiet) -> int:
        """Write what differs from what AstDB holds; return how many keys changed."""
        try:
            routes = await asyncio.to_thread(self.routes, snapshot)
        except ValueError as exc:  # a value the render refuses: nothing is written
            raise DialplanRejected(
                f"AstDB {self._family}", str(exc), "Nothing was written: AstDB is unchanged."
            ) from exc
        try:
            held = self._held if self._held is not None else await self._read()
            self._held = held
            puts = [(k, v) for k, v in routes.items() if held.get(k) != v]
            gone = [k for k in held if k not in routes]
            if len(puts) + len(gone) > 1000:
                progress(f"writing {len(puts)} routes to AstDB, removing {len(gone)}")
            for start in range(0, len(puts), BATCH):
                batch = puts[start : start + BATCH]
                await self._ami.actions(
                    [self._db("DBPut", key, Val=value) for key, value in batch],
                    timeout=BATCH_TIMEOUT,
                )
                held.update(batch)
            for start in range(0, len(gone), BATCH):
                batch_keys = gone[start : start + BATCH]
                await self._ami.actions(
                    [self._db("DBDel", key) for key in batch_keys], timeout=BATCH_TIMEOUT
                )
                for key in batch_keys:
                    del held[key]
            await self._verify(random.sample(puts, min(VERIFY_SAMPLE, len(puts))))
        except BaseException:
            self._held = None  # unknown now: read it again next time
            raise
        if puts or gone:
            log.info(
                "AstDB routes for routing state v%s: %d written, %d removed",
                snapshot.version,
                len(puts),
                len(gone),
            )
        return len(puts) + len(gone)

    def _db(self, action: str, key: str, **more: str) -> dict[str, str]:
        return {"Action": action, "Family": self._family, "Key": key, **more}

    async def _action(self, action: str, key: str, **more: str) -> Any:
        return await self._ami.action(self._db(action, key, **more))

    async def _read(self) -> dict[str, str]:
        return await read_routes(self._ami)

    async def _verify(self, written: list[tuple[str, str]]) -> None:
        for key, value in written:
            response = await self._action("DBGet", key)
            messages = response if isinstance(response, list) else [response]
            got = next((m.get("Val") for m in messages if m.get("Val") is not None), None)
            if got != value:
                raise DialplanRejected(
                    f"AstDB {self._family}/{key}",
                    f"after DBPut Asterisk holds {got!r}, not the route written",
                )

    def forget(self) -> None:
        """Read AstDB again before the next write (e.g. after Asterisk restarted)."""
        self._held = None


async def read_routes(ami: AmiActions) -> dict[str, str]:
    """Number -> value of every key of our family (AMI DBGetTree: Asterisk 16.28, 18.14,
    19.6 and later)."""
    family = names.ASTDB_FAMILY
    try:
        response = await ami.action({"Action": "DBGetTree", "Family": family}, timeout=READ_TIMEOUT)
    except AmiError as exc:
        if "not found" in str(exc).lower():  # Asterisk's answer for an empty family
            return {}
        raise
    messages = response if isinstance(response, list) else [response]
    prefix = f"/{family}/"
    held = {}
    for m in messages:
        if m.get("Event") == "DBGetTreeResponse" and m.get("Key") is not None:
            held[str(m["Key"]).removeprefix(prefix)] = str(m.get("Val", ""))
    return held


def _changed(old: dict[str, TrackingNumber], new: dict[str, TrackingNumber]) -> set[str]:
    changed = {
        n for n, number in new.items() if (was := old.get(n)) is not number and was != number
    }
    changed.update(n for n in old if n not in new)
    return changed
