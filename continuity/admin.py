"""Admin changes: the one validating service layer the CLI and the HTTP API call.

Each change runs in one transaction of the store: the current state is read
under a lock, every value is checked (``continuity.core.integrity``), and the
change is written with its audit entry, or nothing is. Whatever this service
accepts renders into dialplan. The CLI and the HTTP API only parse.

Change methods take ``expected_version``: the version of the object the
caller read (an ETag). When the object has moved on, :class:`StaleVersion`
is raised and nothing is written.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import enum
import functools
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Final, Literal, Protocol, TypeVar

from continuity.core.integrity import (
    Progress,
    check_account,
    check_line,
    check_number,
    check_numbers,
    line_uses,
)
from continuity.core.model import (
    AccountSettings,
    CallerIdPolicy,
    ContinuitySettings,
    Destination,
    DestinationKind,
    Line,
    Snapshot,
    TrackingNumber,
)
from continuity.core.validation import (
    check_e164,
    check_flag,
    check_forwarding_not_primary_hosted,
    check_name_prefix,
    check_new_forwarding,
    check_not_ours,
    check_test_duration,
)
from continuity.errors import (
    ContinuityError,
    ImportRefused,
    InvalidSetting,
    LineInUse,
    StaleVersion,
    UnknownLine,
    UnknownTrackingNumber,
)


class _Keep(enum.Enum):
    KEEP = "keep"


#: Marks "leave as it is" in change requests, distinct from None ("inherit"/"clear").
KEEP: Final = _Keep.KEEP
Keep = Literal[_Keep.KEEP]
T = TypeVar("T")


def pick(value: T | Keep, old: T) -> T:
    return old if value is KEEP else value


class AdminWrites(Protocol):
    """The writes of one change; ``snapshot`` is the state read under its lock."""

    snapshot: Snapshot

    async def insert_number(self, number: TrackingNumber) -> None: ...
    async def update_number(
        self, old: TrackingNumber, new: TrackingNumber, action: str = "number.set"
    ) -> None: ...
    async def delete_number(self, number: TrackingNumber) -> None: ...
    async def import_numbers(
        self,
        added: Sequence[TrackingNumber],
        changed: Sequence[tuple[TrackingNumber, TrackingNumber]],
        summary: Mapping[str, Any],
    ) -> None: ...
    async def insert_line(self, line: Line) -> None: ...
    async def update_line(self, old: Line, new: Line, action: str = "line.set") -> None: ...
    async def delete_line(self, line: Line) -> None: ...
    async def add_forwarding(self, line: str, number: str) -> None: ...
    async def verify_forwarding(
        self,
        line: str,
        number: str,
        action: str = "forwarding.verify",
        detail: Mapping[str, Any] | None = None,
    ) -> None: ...
    async def remove_forwarding(self, line: str, number: str) -> None: ...
    async def update_account(self, old: AccountSettings, new: AccountSettings) -> None: ...


class AdminStore(Protocol):
    async def load_snapshot(self) -> Snapshot: ...
    def change(self, actor: str) -> AbstractAsyncContextManager[AdminWrites]: ...


@dataclasses.dataclass(frozen=True, slots=True)
class SettingsChange:
    """A change to the continuity settings of one level; KEEP leaves a field alone."""

    on: bool | Keep | None = KEEP
    enabled: bool | Keep | None = KEEP
    destination: Destination | Keep | None = KEEP

    def apply(self, current: ContinuitySettings) -> ContinuitySettings:
        return ContinuitySettings(
            on=pick(self.on, current.on),
            enabled=pick(self.enabled, current.enabled),
            destination=pick(self.destination, current.destination),
        )


def _number(snapshot: Snapshot, number: str) -> TrackingNumber:
    found = snapshot.numbers.get(number)
    if found is None:
        raise UnknownTrackingNumber(
            number, difflib.get_close_matches(number, list(snapshot.numbers), n=3, cutoff=0.6)
        )
    return found


def _line(snapshot: Snapshot, line_id: str, field: str | None = None) -> Line:
    found = snapshot.lines.get(line_id)
    if found is None:
        close = difflib.get_close_matches(line_id, list(snapshot.lines), n=3, cutoff=0.5)
        raise UnknownLine(line_id, close, field)
    return found


def _expect(subject: str, current: int, expected: int | None) -> None:
    if expected is not None and expected != current:
        raise StaleVersion(subject, expected, current)


@dataclasses.dataclass(frozen=True, slots=True)
class ImportResult:
    added: int
    changed: int
    unchanged: int


def _quiet(_step: str, _done: int, _total: int) -> None:
    pass


class Admin:
    def __init__(self, store: AdminStore, actor: str) -> None:
        self._store = store
        self._actor = actor

    async def snapshot(self) -> Snapshot:
        return await self._store.load_snapshot()

    def _change(self) -> AbstractAsyncContextManager[AdminWrites]:
        return self._store.change(self._actor)

    # -- numbers ------------------------------------------------------------------
    async def add_number(self, number: TrackingNumber) -> None:
        async with self._change() as tx:
            check_number(tx.snapshot, number, new=True)
            await tx.insert_number(number)

    async def change_number(
        self,
        number: str,
        change: SettingsChange,
        *,
        label: str | Keep = KEEP,
        line: str | Keep | None = KEEP,
        primary_target: str | Keep | None = KEEP,
        expected_version: int | None = None,
    ) -> None:
        async with self._change() as tx:
            old = _number(tx.snapshot, number)
            _expect(f"tracking number {number}", old.version, expected_version)
            new = dataclasses.replace(
                old,
                label=pick(label, old.label),
                line=pick(line, old.line),
                primary_target=pick(primary_target, old.primary_target),
                continuity=change.apply(old.continuity),
            )
            check_number(tx.snapshot, new, new=False)
            await tx.update_number(old, new)

    async def check_numbers(
        self, numbers: Sequence[TrackingNumber]
    ) -> list[tuple[int, ContinuityError]]:
        """What :meth:`import_numbers` would refuse of ``numbers`` now; nothing is written."""
        return check_numbers(await self.snapshot(), numbers)

    async def import_numbers(
        self,
        numbers: Sequence[TrackingNumber],
        *,
        detail: Mapping[str, Any] | None = None,
        progress: Callable[[str, int, int], None] = _quiet,
    ) -> ImportResult:
        """Add or replace many numbers at once: every one is checked first (as ``add_number``
        and ``change_number`` check one), then all are written in one transaction with one
        audit entry that summarises the change, or none is (:class:`ImportRefused` lists
        each bad one by its position). Numbers left out are left alone; a given number
        takes the settings given, whole (its version is the stored one's)."""
        async with self._change() as tx:
            snapshot = tx.snapshot
            step: Progress = functools.partial(progress, "validating")
            problems = check_numbers(snapshot, numbers, step)
            if problems:
                raise ImportRefused(problems)
            added = [n for n in numbers if n.number not in snapshot.numbers]
            changed = []
            for n in numbers:
                old = snapshot.numbers.get(n.number)
                if old is not None and dataclasses.replace(n, version=old.version) != old:
                    changed.append((old, dataclasses.replace(n, version=old.version)))
            unchanged = len(numbers) - len(added) - len(changed)
            progress("writing", 0, len(added) + len(changed))
            await tx.import_numbers(
                added,
                changed,
                {
                    **(detail or {}),
                    "rows": len(numbers),
                    "added": len(added),
                    "changed": len(changed),
                    "unchanged": unchanged,
                },
            )
            progress("writing", len(added) + len(changed), len(added) + len(changed))
        return ImportResult(len(added), len(changed), unchanged)

    async def remove_number(self, number: str, *, expected_version: int | None = None) -> None:
        async with self._change() as tx:
            old = _number(tx.snapshot, number)
            _expect(f"tracking number {number}", old.version, expected_version)
            await tx.delete_number(old)

    # -- lines --------------------------------------------------------------------
    async def add_line(self, line: Line) -> None:
        if line.caller_name_prefix is not None:
            line = dataclasses.replace(
                line, caller_name_prefix=check_name_prefix(line.caller_name_prefix)
            )
        async with self._change() as tx:
            check_line(tx.snapshot, line, new=True)
            await tx.insert_line(line)

    async def change_line(
        self,
        line_id: str,
        change: SettingsChange,
        *,
        name: str | Keep = KEEP,
        caller_id: CallerIdPolicy | Keep | None = KEEP,
        caller_name_prefix: str | Keep | None = KEEP,
        expected_version: int | None = None,
    ) -> None:
        if isinstance(caller_name_prefix, str):
            caller_name_prefix = check_name_prefix(caller_name_prefix)
        async with self._change() as tx:
            old = _line(tx.snapshot, line_id)
            _expect(f"line {line_id}", old.version, expected_version)
            new = dataclasses.replace(
                old,
                name=pick(name, old.name),
                continuity=change.apply(old.continuity),
                caller_id=pick(caller_id, old.caller_id),
                caller_name_prefix=pick(caller_name_prefix, old.caller_name_prefix),
            )
            check_line(tx.snapshot, new, new=False)
            await tx.update_line(old, new)

    async def set_test_mode(
        self,
        line_id: str,
        on: bool,
        *,
        duration: dt.timedelta | None = None,
        expected_version: int | None = None,
    ) -> None:
        """Start (for ``duration``, else until stopped) or stop a line's failover test."""
        check_flag("test_mode", on, inherit=False)
        until = check_test_duration(on, duration, dt.datetime.now(dt.UTC))
        async with self._change() as tx:
            old = _line(tx.snapshot, line_id)
            _expect(f"line {line_id}", old.version, expected_version)
            await tx.update_line(
                old,
                dataclasses.replace(old, test_mode=on, test_until=until),
                action="line.test-start" if on else "line.test-stop",
            )

    async def set_number_test_mode(
        self,
        number: str,
        on: bool,
        *,
        duration: dt.timedelta | None = None,
        expected_version: int | None = None,
    ) -> None:
        """Start (for ``duration``, else until stopped) or stop one number's failover test."""
        check_flag("test_mode", on, inherit=False)
        until = check_test_duration(on, duration, dt.datetime.now(dt.UTC))
        async with self._change() as tx:
            old = _number(tx.snapshot, number)
            _expect(f"tracking number {number}", old.version, expected_version)
            await tx.update_number(
                old,
                dataclasses.replace(old, test_mode=on, test_until=until),
                action="number.test-start" if on else "number.test-stop",
            )

    async def remove_line(self, line_id: str, *, expected_version: int | None = None) -> None:
        async with self._change() as tx:
            old = _line(tx.snapshot, line_id)
            _expect(f"line {line_id}", old.version, expected_version)
            uses = line_uses(tx.snapshot, line_id)
            if uses:
                raise LineInUse(line_id, uses)
            await tx.delete_line(old)

    async def add_forwarding(self, line_id: str, number: str) -> None:
        async with self._change() as tx:
            line = _line(tx.snapshot, line_id, "line")
            check_new_forwarding(tx.snapshot, line, number)
            check_forwarding_not_primary_hosted(tx.snapshot, line, number)
            await tx.add_forwarding(line_id, number)

    async def verify_forwarding(
        self,
        line_id: str,
        number: str,
        *,
        action: str = "forwarding.verify",
        detail: Mapping[str, Any] | None = None,
    ) -> None:
        """Mark verified; ``action``/``detail`` say how (a call, or the admin's override)."""
        async with self._change() as tx:
            self._forwarding(_line(tx.snapshot, line_id, "line"), number)
            await tx.verify_forwarding(line_id, number, action, detail)

    async def forwarding_of(self, line_id: str, number: str) -> Line:
        """The user line, once ``number`` is known to be one of its forwarding numbers."""
        line = _line(await self.snapshot(), line_id, "line")
        self._forwarding(line, number)
        return line

    async def remove_forwarding(self, line_id: str, number: str) -> None:
        async with self._change() as tx:
            self._forwarding(_line(tx.snapshot, line_id, "line"), number)
            await tx.remove_forwarding(line_id, number)

    @staticmethod
    def _forwarding(line: Line, number: str) -> None:
        check_e164("number", number)
        if not any(f.number == number for f in line.forwarding):
            known = ", ".join(f.number for f in line.forwarding) or "none"
            raise InvalidSetting(
                f"{number} is not a forwarding number of line {line.id!r} (it has: {known})",
                "number",
            )

    # -- account ------------------------------------------------------------------
    async def change_account(
        self,
        change: SettingsChange,
        *,
        voice_agent: str | Keep | None = KEEP,
        failover_sip_codes: frozenset[int] | Keep = KEEP,
        primary_timeout: int | Keep = KEEP,
        caller_id: CallerIdPolicy | Keep = KEEP,
        caller_name_prefix: str | Keep = KEEP,
        send_history_info: bool | Keep = KEEP,
        expected_version: int | None = None,
    ) -> None:
        if isinstance(caller_name_prefix, str):
            caller_name_prefix = check_name_prefix(caller_name_prefix)
        async with self._change() as tx:
            snapshot = tx.snapshot
            old = snapshot.account
            _expect("the account", old.version, expected_version)
            new = dataclasses.replace(
                old,
                continuity=change.apply(old.continuity),
                voice_agent=pick(voice_agent, old.voice_agent),
                failover_sip_codes=pick(failover_sip_codes, old.failover_sip_codes),
                primary_timeout=pick(primary_timeout, old.primary_timeout),
                caller_id=pick(caller_id, old.caller_id),
                caller_name_prefix=pick(caller_name_prefix, old.caller_name_prefix),
                send_history_info=pick(send_history_info, old.send_history_info),
            )
            moved = _agent_moved(old.voice_agent, new.voice_agent)
            if moved is not None:
                new = dataclasses.replace(new, continuity=_moved(new.continuity, moved))
            check_account(snapshot, new)
            await tx.update_account(old, new)
            if moved is not None:
                await _move_agent_destinations(tx, moved)


def _agent_moved(old: str | None, new: str | None) -> Destination | None:
    """The new voice agent, when it replaces one that destinations may name."""
    if old is None or new is None or old == new:
        return None
    return Destination(DestinationKind.VOICE_AGENT, new)


def _moved(settings: ContinuitySettings, agent: Destination) -> ContinuitySettings:
    dest = settings.destination
    if dest is None or dest.kind is not DestinationKind.VOICE_AGENT:
        return settings
    return dataclasses.replace(settings, destination=agent)


async def _move_agent_destinations(tx: AdminWrites, agent: Destination) -> None:
    """Lines and numbers whose destination is the voice agent follow it to its new endpoint."""
    snapshot = tx.snapshot
    for line in sorted(snapshot.lines.values(), key=lambda ln: ln.id):
        moved = _moved(line.continuity, agent)
        if moved != line.continuity:
            await tx.update_line(line, dataclasses.replace(line, continuity=moved))
    for number in sorted(snapshot.numbers.values(), key=lambda n: n.number):
        moved = _moved(number.continuity, agent)
        if moved != number.continuity:
            await tx.update_number(number, dataclasses.replace(number, continuity=moved))


__all__ = [
    "KEEP",
    "Admin",
    "AdminStore",
    "AdminWrites",
    "ImportResult",
    "Keep",
    "SettingsChange",
    "check_not_ours",
]
