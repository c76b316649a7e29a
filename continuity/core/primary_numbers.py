"""Numbers the primary system hosts (direct lines, DIDs): never failover destinations.

Pure. An entry is an E.164 number (``+12125550101``) or a prefix range ending
in ``*`` (``+1212555*``). A failover to a number the failed system hosts rings
into the outage, so every level refuses one: the account default, a line, a
number, and a user's forwarding numbers.
"""

from __future__ import annotations

import re

from continuity.core.model import DestinationKind, Snapshot
from continuity.core.numbers import parse_e164
from continuity.errors import HostedByPrimary, InvalidNumber, InvalidSetting

_RANGE = re.compile(r"\+[1-9][0-9]{0,14}\*\Z")


def parse_pattern(text: str, default_region: str = "US") -> str:
    """``+1212555*`` (a prefix range) or a number, normalised to E.164."""
    cleaned = text.strip().replace(" ", "").replace("-", "")
    if "*" in cleaned:
        if not _RANGE.match(cleaned):
            raise InvalidSetting(
                f"primary number range {text!r} must be '+', then the country code and "
                "leading digits, then '*', e.g. +1212555*"
            )
        return cleaned
    try:
        return parse_e164(cleaned, default_region)
    except InvalidNumber as exc:
        raise InvalidSetting(
            f"{exc} A range ends in '*', e.g. +1212555* for every number starting so."
        ) from exc


def matches(pattern: str, number: str) -> bool:
    if pattern.endswith("*"):
        return number.startswith(pattern[:-1])
    return number == pattern


def hosting_pattern(patterns: tuple[str, ...], number: str) -> str | None:
    """The entry that says the primary hosts ``number``, if any (most specific first)."""
    found = [p for p in patterns if matches(p, number)]
    return max(found, key=len) if found else None


def check_not_hosted(snapshot: Snapshot, owner: str, number: str) -> None:
    pattern = hosting_pattern(snapshot.primary_numbers, number)
    if pattern is not None:
        raise HostedByPrimary(owner, number, pattern)


def failover_numbers(snapshot: Snapshot) -> list[tuple[str, str]]:
    """(who, number) for every PSTN number set as a failover destination or forwarding."""
    found: list[tuple[str, str]] = []
    dest = snapshot.account.continuity.destination
    if dest is not None and dest.kind is DestinationKind.EXTERNAL:
        found.append(("the account default", dest.target))
    for line in sorted(snapshot.lines.values(), key=lambda ln: ln.id):
        dest = line.continuity.destination
        if dest is not None and dest.kind is DestinationKind.EXTERNAL:
            found.append((f"line {line.id}", dest.target))
        found.extend((f"forwarding number of line {line.id}", f.number) for f in line.forwarding)
    for number in sorted(snapshot.numbers.values(), key=lambda n: n.number):
        dest = number.continuity.destination
        if dest is not None and dest.kind is DestinationKind.EXTERNAL:
            found.append((f"number {number.number}", dest.target))
    return found


def destinations_inside(snapshot: Snapshot, pattern: str) -> list[str]:
    """Failover destinations ``pattern`` would cover, as ``who -> number``."""
    return [f"{who} -> {n}" for who, n in failover_numbers(snapshot) if matches(pattern, n)]
