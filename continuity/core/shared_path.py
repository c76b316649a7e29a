"""Destinations whose path leaves through the primary trunk's own host: they fail with it.

Pure. Two shapes are recognised: a SIP destination on the primary's host (or
the primary's endpoint itself), and a PSTN trunk configured to the primary's
host, which every PSTN destination then shares. Hosts compare as host and
port (5060 for sip:, 5061 for sips: when none is given).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from continuity import names
from continuity.core.model import Destination, DestinationKind, Snapshot

_URI = re.compile(
    r"(?P<scheme>sips?):(?:[^@;]*@)?(?P<host>\[[0-9A-Fa-f:.]+\]|[^:;]+)(?::(?P<port>\d+))?"
)


@dataclass(frozen=True, slots=True)
class SipHost:
    host: str
    port: int

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


def sip_host(uri: str) -> SipHost | None:
    """The host and port a SIP URI leads to, or ``None`` if it is not one."""
    match = _URI.match(uri.strip())
    if match is None:
        return None
    default = 5061 if match["scheme"] == "sips" else 5060
    return SipHost(match["host"].lower(), int(match["port"] or default))


def _destination_warning(owner: str, dest: Destination, primary: SipHost | None) -> str | None:
    if dest.kind is not DestinationKind.SIP:
        return None
    endpoint, _, uri = dest.target.partition("/")
    if endpoint == names.ENDPOINT_PRIMARY:
        return (
            f"{owner}'s SIP destination {dest.target} is the primary trunk's own endpoint: "
            "it fails whenever the primary does"
        )
    host = sip_host(uri) if uri else None
    if primary is not None and host == primary:
        return (
            f"{owner}'s SIP destination {dest.target} is on the primary trunk's host "
            f"({primary}): an outage of that host takes the failover down with it"
        )
    return None


def destination_warning(owner: str, dest: Destination | None, primary_trunk: str) -> str | None:
    """The shared-path warning for one destination being set, if any."""
    if dest is None:
        return None
    return _destination_warning(owner, dest, sip_host(primary_trunk) if primary_trunk else None)


def shared_path_warnings(snapshot: Snapshot, primary_trunk: str, pstn_trunk: str) -> list[str]:
    """Every failover path that leaves through the primary trunk's host, for status."""
    primary = sip_host(primary_trunk) if primary_trunk else None
    found: list[str] = []
    if primary is not None and pstn_trunk and sip_host(pstn_trunk) == primary:
        found.append(
            f"the PSTN trunk ({pstn_trunk}) goes to the primary trunk's host ({primary}): "
            "every PSTN failover destination leaves through the host whose outage it "
            "should bridge. Point pstn_trunk at another carrier"
        )
    owners: list[tuple[str, Destination | None]] = [
        ("the account default", snapshot.account.continuity.destination)
    ]
    owners += [
        (f"line {ln.id}", ln.continuity.destination)
        for ln in sorted(snapshot.lines.values(), key=lambda ln: ln.id)
    ]
    owners += [
        (f"number {n.number}", n.continuity.destination)
        for n in sorted(snapshot.numbers.values(), key=lambda n: n.number)
    ]
    for owner, dest in owners:
        if dest is not None:
            warning = _destination_warning(owner, dest, primary)
            if warning is not None:
                found.append(warning)
    return found
