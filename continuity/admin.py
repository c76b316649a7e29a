"""Admin changes: validate against the current state, then write with an audit entry.

Nothing is written when a check fails. The CLI (and later the HTTP API) are
thin shells around this service.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import enum
from collections.abc import Mapping
from typing import Any, Final, Literal, Protocol, TypeVar

from continuity.core.model import (
    AccountSettings,
    ContinuitySettings,
    Destination,
    Line,
    LineKind,
    Snapshot,
    TrackingNumber,
)
from continuity.core.validation import (
    check_destination,
    check_forwarding_not_primary_hosted,
    check_line_id,
    check_new_forwarding,
    check_not_ours,
    check_not_primary_hosted,
    check_sip_target,
    check_test_duration,
)
from continuity.errors import InvalidSetting, UnknownLine, UnknownTrackingNumber


class _Keep(enum.Enum):
    KEEP = "keep"


#: Marks "leave as it is" in change requests, distinct from None ("inherit"/"clear").
KEEP: Final = _Keep.KEEP
Keep = Literal[_Keep.KEEP]
T = TypeVar("T")


def pick(value: T | Keep, old: T) -> T:
    return old if value is KEEP else value


class AdminStore(Protocol):
    async def load_snapshot(self) -> Snapshot: ...
    async def insert_number(self, actor: str, number: TrackingNumber) -> None: ...
    async def update_number(
        self, actor: str, old: TrackingNumber, new: TrackingNumber, action: str = "number.set"
    ) -> None: ...
    async def delete_number(self, actor: str, number: TrackingNumber) -> None: ...
    async def insert_line(self, actor: str, line: Line) -> None: ...
    async def update_line(
        self, actor: str, old: Line, new: Line, action: str = "line.set"
    ) -> None: ...
    async def delete_line(self, actor: str, line: Line) -> None: ...
    async def add_forwarding(self, actor: str, line: str, number: str) -> None: ...
    async def verify_forwarding(
        self,
        actor: str,
        line: str,
        number: str,
        action: str = "forwarding.verify",
        detail: Mapping[str, Any] | None = None,
    ) -> None: ...
    async def remove_forwarding(self, actor: str, line: str, number: str) -> None: ...
    async def update_account(
        self, actor: str, old: AccountSettings, new: AccountSettings
    ) -> None: ...


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


def _line(snapshot: Snapshot, line_id: str) -> Line:
    found = snapshot.lines.get(line_id)
    if found is None:
        raise UnknownLine(
            line_id, difflib.get_close_matches(line_id, list(snapshot.lines), n=3, cutoff=0.5)
        )
    return found


class Admin:
    def __init__(self, store: AdminStore, actor: str) -> None:
        self._store = store
        self._actor = actor

    async def snapshot(self) -> Snapshot:
        return await self._store.load_snapshot()

    def _check_settings(self, snapshot: Snapshot, owner: str, settings: ContinuitySettings) -> None:
        if settings.destination is not None:
            check_destination(snapshot, owner, settings.destination)
            check_not_primary_hosted(snapshot, owner, settings.destination)

    # -- numbers ------------------------------------------------------------------
    async def add_number(self, number: TrackingNumber) -> None:
        snapshot = await self.snapshot()
        if number.line is not None:
            _line(snapshot, number.line)
        for line in snapshot.lines.values():
            if any(f.number == number.number for f in line.forwarding):
                raise InvalidSetting(
                    f"{number.number} is a forwarding number of line "
                    f"{line.id!r}; a tracking number there would loop"
                )
        self._check_settings(snapshot, number.number, number.continuity)
        await self._store.insert_number(self._actor, number)

    async def change_number(
        self,
        number: str,
        change: SettingsChange,
        *,
        label: str | Keep = KEEP,
        line: str | Keep | None = KEEP,
        primary_target: str | Keep | None = KEEP,
    ) -> None:
        snapshot = await self.snapshot()
        old = _number(snapshot, number)
        if isinstance(line, str):
            _line(snapshot, line)
        new = dataclasses.replace(
            old,
            label=pick(label, old.label),
            line=pick(line, old.line),
            primary_target=pick(primary_target, old.primary_target),
            continuity=change.apply(old.continuity),
        )
        self._check_settings(snapshot, number, new.continuity)
        await self._store.update_number(self._actor, old, new)

    async def remove_number(self, number: str) -> None:
        snapshot = await self.snapshot()
        await self._store.delete_number(self._actor, _number(snapshot, number))

    # -- lines --------------------------------------------------------------------
    async def add_line(self, line: Line) -> None:
        check_line_id(line.id)
        snapshot = await self.snapshot()
        self._check_settings(snapshot, f"line {line.id}", line.continuity)
        await self._store.insert_line(self._actor, line)

    async def change_line(
        self, line_id: str, change: SettingsChange, *, name: str | Keep = KEEP
    ) -> None:
        snapshot = await self.snapshot()
        old = _line(snapshot, line_id)
        new = dataclasses.replace(
            old,
            name=pick(name, old.name),
            continuity=change.apply(old.continuity),
        )
        self._check_settings(snapshot, f"line {line_id}", new.continuity)
        await self._store.update_line(self._actor, old, new)

    async def set_test_mode(
        self, line_id: str, on: bool, *, duration: dt.timedelta | None = None
    ) -> None:
        """Start (for ``duration``, else until stopped) or stop a line's failover test."""
        until = check_test_duration(on, duration, dt.datetime.now(dt.UTC))
        snapshot = await self.snapshot()
        old = _line(snapshot, line_id)
        await self._store.update_line(
            self._actor,
            old,
            dataclasses.replace(old, test_mode=on, test_until=until),
            action="line.test-start" if on else "line.test-stop",
        )

    async def set_number_test_mode(
        self, number: str, on: bool, *, duration: dt.timedelta | None = None
    ) -> None:
        """Start (for ``duration``, else until stopped) or stop one number's failover test."""
        until = check_test_duration(on, duration, dt.datetime.now(dt.UTC))
        snapshot = await self.snapshot()
        old = _number(snapshot, number)
        await self._store.update_number(
            self._actor,
            old,
            dataclasses.replace(old, test_mode=on, test_until=until),
            action="number.test-start" if on else "number.test-stop",
        )

    async def remove_line(self, line_id: str) -> None:
        snapshot = await self.snapshot()
        await self._store.delete_line(self._actor, _line(snapshot, line_id))

    async def add_forwarding(self, line_id: str, number: str) -> None:
        snapshot = await self.snapshot()
        line = _line(snapshot, line_id)
        if line.kind is not LineKind.USER:
            raise InvalidSetting(
                f"line {line_id!r} is a {line.kind.value} line; only user "
                "lines keep forwarding numbers"
            )
        check_new_forwarding(snapshot, line, number)
        check_forwarding_not_primary_hosted(snapshot, line, number)
        await self._store.add_forwarding(self._actor, line_id, number)

    async def verify_forwarding(
        self,
        line_id: str,
        number: str,
        *,
        action: str = "forwarding.verify",
        detail: Mapping[str, Any] | None = None,
    ) -> None:
        """Mark verified; ``action``/``detail`` say how (a call, or the admin's override)."""
        line = _line(await self.snapshot(), line_id)
        self._forwarding(line, number)
        await self._store.verify_forwarding(self._actor, line_id, number, action, detail)

    async def forwarding_of(self, line_id: str, number: str) -> Line:
        """The user line, once ``number`` is known to be one of its forwarding numbers."""
        line = _line(await self.snapshot(), line_id)
        self._forwarding(line, number)
        return line

    async def remove_forwarding(self, line_id: str, number: str) -> None:
        line = _line(await self.snapshot(), line_id)
        self._forwarding(line, number)
        await self._store.remove_forwarding(self._actor, line_id, number)

    @staticmethod
    def _forwarding(line: Line, number: str) -> None:
        if not any(f.number == number for f in line.forwarding):
            known = ", ".join(f.number for f in line.forwarding) or "none"
            raise InvalidSetting(
                f"{number} is not a forwarding number of line {line.id!r} (it has: {known})"
            )

    # -- account ------------------------------------------------------------------
    async def change_account(
        self,
        change: SettingsChange,
        *,
        voice_agent: str | Keep | None = KEEP,
        failover_sip_codes: frozenset[int] | Keep = KEEP,
        primary_timeout: int | Keep = KEEP,
    ) -> None:
        snapshot = await self.snapshot()
        old = snapshot.account
        new = dataclasses.replace(
            old,
            continuity=change.apply(old.continuity),
            voice_agent=pick(voice_agent, old.voice_agent),
            failover_sip_codes=pick(failover_sip_codes, old.failover_sip_codes),
            primary_timeout=pick(primary_timeout, old.primary_timeout),
        )
        if new.voice_agent is not None:
            check_sip_target(new.voice_agent)
        if new.continuity.on is None or new.continuity.enabled is None:
            raise InvalidSetting("the account level cannot inherit: say on or off")
        probe = dataclasses.replace(snapshot, account=new)
        self._check_settings(probe, "every number", new.continuity)
        for line in snapshot.lines.values():
            dest = line.continuity.destination
            if dest is not None:
                check_destination(probe, f"line {line.id}", dest)
        if new.voice_agent is None and any(
            d is not None and d.kind.value == "voice_agent" for d in _destinations(snapshot)
        ):
            raise InvalidSetting(
                "the voice agent is still a destination somewhere; change "
                "those destinations before removing it"
            )
        await self._store.update_account(self._actor, old, new)


def _destinations(snapshot: Snapshot) -> list[Destination | None]:
    return (
        [snapshot.account.continuity.destination]
        + [ln.continuity.destination for ln in snapshot.lines.values()]
        + [n.continuity.destination for n in snapshot.numbers.values()]
    )


__all__ = ["KEEP", "Admin", "AdminStore", "Keep", "SettingsChange", "check_not_ours"]
