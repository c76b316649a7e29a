"""Checks on whole objects against the current state: every value, references, loops.

Pure, like :mod:`continuity.core.validation` whose value checks they combine:
the admin service runs one of these on the object it is about to write, with
the state it read under the same lock.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Callable, Sequence

from continuity.core.model import (
    AccountSettings,
    Destination,
    DestinationKind,
    Line,
    LineKind,
    Snapshot,
    TrackingNumber,
)
from continuity.core.validation import (
    check_e164,
    check_failover_codes,
    check_flag,
    check_line_id,
    check_line_kind,
    check_primary_timeout,
    check_settings,
    check_sip_target,
    check_text,
    sip_user,
)
from continuity.errors import (
    ContinuityError,
    DuplicateLine,
    FailoverLoop,
    InvalidSetting,
    UnknownLine,
)

#: ``progress(done, total)`` while many objects are checked.
Progress = Callable[[int, int], None]


def check_number(snapshot: Snapshot, number: TrackingNumber, *, new: bool) -> None:
    """A tracking number as it is about to be stored (``new``: it is being added)."""
    if not isinstance(number, TrackingNumber):
        raise InvalidSetting("a tracking number is needed", "number")
    check_e164("number", number.number)
    check_text("label", number.label)
    if number.line is not None and check_line_id(number.line, "line") not in snapshot.lines:
        close = difflib.get_close_matches(number.line, list(snapshot.lines), n=3, cutoff=0.5)
        raise UnknownLine(number.line, close, "line")
    if number.primary_target is not None:
        check_e164("primary_target", number.primary_target)
    check_flag("test_mode", number.test_mode, inherit=False)
    if number.test_until is not None and not number.test_mode:
        raise InvalidSetting("a test end time (test_until) needs test_mode on", "test_until")
    if new:
        _check_not_a_failover_target(snapshot, number.number)
    probe = snapshot if not new else _with_number(snapshot, number)
    check_settings(probe, number.number, number.continuity)


def _with_number(snapshot: Snapshot, number: TrackingNumber) -> Snapshot:
    return dataclasses.replace(snapshot, numbers={**snapshot.numbers, number.number: number})


def _check_not_a_failover_target(snapshot: Snapshot, number: str) -> None:
    """A new tracking number that something already fails over to would loop."""
    for line in snapshot.lines.values():
        if any(f.number == number for f in line.forwarding):
            raise InvalidSetting(
                f"{number} is a forwarding number of line {line.id!r}; a tracking number "
                "there would loop. Remove that forwarding number first",
                "number",
            )
    for owner, dest in destinations(snapshot):
        if dest.kind is DestinationKind.EXTERNAL and dest.target == number:
            raise FailoverLoop(owner, number, "number")
        if dest.kind is DestinationKind.SIP and sip_user(dest.target) == number:
            raise FailoverLoop(owner, number, "number")


def check_numbers(
    snapshot: Snapshot, numbers: Sequence[TrackingNumber], progress: Progress | None = None
) -> list[tuple[int, ContinuityError]]:
    """Every number of a bulk change, each as :func:`check_number` checks one, against
    the state with all of them stored (so they may name one another). Numbers not in
    ``snapshot`` are new. Returns each refused number's position with its error; empty:
    every one may be written. One pass over the state, not one per number."""
    problems: list[tuple[int, ContinuityError]] = []
    seen: dict[str, int] = {}
    for index, number in enumerate(numbers):
        if not isinstance(number, TrackingNumber):
            problems.append((index, InvalidSetting("a tracking number is needed", "number")))
        elif number.number in seen:
            problems.append((index, _twice(number.number, seen[number.number])))
        else:
            seen[number.number] = index
    after = dataclasses.replace(
        snapshot,
        numbers={**snapshot.numbers, **{n.number: n for n in numbers if n.number in seen}},
    )
    forwarded = {f.number: ln.id for ln in snapshot.lines.values() for f in ln.forwarding}
    targets: dict[str, str] = {}
    for owner, dest in destinations(after):
        target = dest.target if dest.kind is DestinationKind.EXTERNAL else None
        if dest.kind is DestinationKind.SIP:
            target = sip_user(dest.target)
        if target is not None:
            targets.setdefault(target, owner)
    refused = {index for index, _ in problems}
    for index, number in enumerate(numbers):
        if progress is not None and index % 1000 == 0:
            progress(index, len(numbers))
        if index in refused:
            continue
        try:
            check_number(after, number, new=False)
            if number.number not in snapshot.numbers:
                if number.number in forwarded:
                    raise InvalidSetting(
                        f"{number.number} is a forwarding number of line "
                        f"{forwarded[number.number]!r}; a tracking number there would loop. "
                        "Remove that forwarding number first",
                        "number",
                    )
                if number.number in targets:
                    raise FailoverLoop(targets[number.number], number.number, "number")
        except ContinuityError as exc:
            problems.append((index, exc))
    if progress is not None:
        progress(len(numbers), len(numbers))
    return sorted(problems, key=lambda p: p[0])


def _twice(number: str, first: int) -> InvalidSetting:
    return InvalidSetting(
        f"{number} is given twice (first at position {first + 1}); give each number once",
        "number",
    )


def check_line(snapshot: Snapshot, line: Line, *, new: bool) -> None:
    if not isinstance(line, Line):
        raise InvalidSetting("a line is needed", "id")
    check_line_id(line.id)
    check_line_kind(line.kind)
    check_text("name", line.name)
    check_flag("test_mode", line.test_mode, inherit=False)
    if new and line.id in snapshot.lines:
        raise DuplicateLine(line.id, "")
    main = next((ln.id for ln in snapshot.lines.values() if ln.kind is LineKind.MAIN), None)
    if new and line.kind is LineKind.MAIN and main is not None:
        raise InvalidSetting(
            f"there is already a main line ({main!r}) and there can be only one: add this "
            "line as a department, contact center or user line",
            "kind",
        )
    if new and line.forwarding:
        raise InvalidSetting(
            "a new line starts without forwarding numbers: add them one by one "
            "(`continuity line forward add`)",
            "forwarding",
        )
    probe = snapshot
    if new:  # its own box may be its destination
        probe = dataclasses.replace(snapshot, lines={**snapshot.lines, line.id: line})
    check_settings(probe, f"line {line.id}", line.continuity)


def check_account(snapshot: Snapshot, account: AccountSettings) -> None:
    if not isinstance(account, AccountSettings):
        raise InvalidSetting("account settings are needed", "account")
    if account.voice_agent is not None:
        check_sip_target(account.voice_agent, "voice_agent")
    check_failover_codes(account.failover_sip_codes)
    check_primary_timeout(account.primary_timeout)
    probe = dataclasses.replace(snapshot, account=account)
    check_settings(probe, "every number", account.continuity, inherit=False)
    if account.voice_agent is None:
        users = [owner for owner, d in destinations(snapshot) if d.kind.value == "voice_agent"]
        if users:
            raise InvalidSetting(
                f"the voice agent is still the destination of {', '.join(users)}; change "
                "those destinations before removing it",
                "voice_agent",
            )


def destinations(snapshot: Snapshot) -> list[tuple[str, Destination]]:
    """(owner, destination) of every level that sets one."""
    found: list[tuple[str, Destination]] = []
    if snapshot.account.continuity.destination is not None:
        found.append(("the account default", snapshot.account.continuity.destination))
    for line_id, line in sorted(snapshot.lines.items()):
        if line.continuity.destination is not None:
            found.append((f"line {line_id}", line.continuity.destination))
    for number_id, number in sorted(snapshot.numbers.items()):
        if number.continuity.destination is not None:
            found.append((number_id, number.continuity.destination))
    return found


def line_uses(snapshot: Snapshot, line_id: str) -> list[str]:
    """What would be left pointing at nothing if the line went: empty when it may go."""
    line = snapshot.lines.get(line_id)
    numbers = sorted(snapshot.numbers.items())
    uses = [f"{n} (its line)" for n, number in numbers if number.line == line_id]
    if line is not None and line.kind is LineKind.MAIN:
        uses += [
            f"{n} (reaches the main line by default)"
            for n, number in numbers
            if number.line is None
        ]
    uses += [
        f"{owner} (voicemail destination)"
        for owner, dest in destinations(snapshot)
        if dest.kind is DestinationKind.VOICEMAIL
        and dest.target == line_id
        and owner != f"line {line_id}"
    ]
    return uses
