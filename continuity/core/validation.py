"""Checks on admin changes, against the current snapshot. Pure."""

from __future__ import annotations

from continuity.core.model import Destination, DestinationKind, Snapshot
from continuity.errors import FailoverLoop


def check_destination(snapshot: Snapshot, owner: str, dest: Destination) -> None:
    """Refuse a continuity destination that routes back into our own tracking numbers."""
    if dest.kind is DestinationKind.EXTERNAL and dest.target in snapshot.numbers:
        raise FailoverLoop(owner, dest.target)
