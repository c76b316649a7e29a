"""Admin of the primary system's numbers: validate against the current state, then write.

Each change is one admin change of the store (``Store.change``): checked against
the state read under its lock, and written with its audit rows, or not at all.
Nothing is written when a check fails: an entry that existing failover
destinations fall into is refused and names them, and an import is taken
whole or not at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Protocol

from continuity.core.model import Snapshot
from continuity.core.primary_numbers import destinations_inside, parse_pattern
from continuity.errors import ContinuityError, InvalidSetting, PrimaryRangeInUse


class PrimaryNumberWrites(Protocol):
    """The writes of one admin change; ``snapshot`` is the state read under its lock."""

    snapshot: Snapshot

    async def add_primary_numbers(self, patterns: Sequence[str], action: str) -> None: ...
    async def remove_primary_number(self, pattern: str) -> bool: ...


class PrimaryNumberChanges(Protocol):
    def change(self, actor: str) -> AbstractAsyncContextManager[PrimaryNumberWrites]: ...


@dataclass(frozen=True, slots=True)
class ImportResult:
    added: tuple[str, ...]
    already_listed: tuple[str, ...]


def read_patterns(lines: Iterable[str], region: str) -> list[str]:
    """One entry per line; ``#`` starts a comment. Every bad line is reported at once."""
    found: list[str] = []
    problems: list[str] = []
    for number, raw in enumerate(lines, start=1):
        text = raw.split("#", 1)[0].strip()
        if not text:
            continue
        try:
            pattern = parse_pattern(text, region)
        except ContinuityError as exc:
            problems.append(f"line {number}: {exc}")
            continue
        if pattern in found:
            problems.append(f"line {number}: {pattern} is listed twice")
            continue
        found.append(pattern)
    if problems:
        raise InvalidSetting("nothing was imported:\n  " + "\n  ".join(problems))
    if not found:
        raise InvalidSetting("nothing was imported: the file lists no number or range")
    return found


class PrimaryNumbers:
    def __init__(self, store: PrimaryNumberChanges, actor: str) -> None:
        self._store = store
        self._actor = actor

    async def add(self, pattern: str) -> None:
        async with self._store.change(self._actor) as tx:
            if pattern in tx.snapshot.primary_numbers:
                raise InvalidSetting(f"{pattern} is already listed as hosted by the primary system")
            self._check_free(tx.snapshot, [pattern])
            await tx.add_primary_numbers([pattern], "primary-number.add")

    async def import_patterns(self, patterns: Sequence[str]) -> ImportResult:
        async with self._store.change(self._actor) as tx:
            new = [p for p in patterns if p not in tx.snapshot.primary_numbers]
            self._check_free(tx.snapshot, new)
            if new:
                await tx.add_primary_numbers(new, "primary-number.import")
        return ImportResult(tuple(new), tuple(p for p in patterns if p not in new))

    async def remove(self, pattern: str) -> None:
        async with self._store.change(self._actor) as tx:
            listed = tx.snapshot.primary_numbers
            if pattern not in listed or not await tx.remove_primary_number(pattern):
                raise InvalidSetting(
                    f"{pattern} is not listed as hosted by the primary system (listed: "
                    f"{', '.join(listed) or 'none'})"
                )

    @staticmethod
    def _check_free(snapshot: Snapshot, patterns: Sequence[str]) -> None:
        for pattern in patterns:
            inside = destinations_inside(snapshot, pattern)
            if inside:
                raise PrimaryRangeInUse(pattern, inside)
