"""The routing decision: a pure function of the snapshot and the dialed number."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from continuity.core.model import Destination, DestinationKind, Snapshot, TrackingNumber


class PlanReason(enum.StrEnum):
    """Why the plan looks the way it does; recorded with every call."""

    NORMAL = "normal"
    CONTINUITY = "continuity"
    UNKNOWN_NUMBER = "unknown_number"


@dataclass(frozen=True, slots=True)
class RoutePlan:
    """The ordered destinations to try for one call. Empty for unknown numbers."""

    tracking_number: str
    reason: PlanReason
    steps: tuple[Destination, ...]

    @property
    def known(self) -> bool:
        return self.reason is not PlanReason.UNKNOWN_NUMBER


def continuity_active(snapshot: Snapshot, number: TrackingNumber) -> bool:
    """The most specific enable/disable setting wins."""
    if number.continuity_enabled is not None:
        return number.continuity_enabled
    return snapshot.account.continuity_enabled


def continuity_destination(snapshot: Snapshot, number: TrackingNumber) -> Destination | None:
    """A per-number override beats the account default."""
    return number.continuity_destination or snapshot.account.default_destination


def plan_route(snapshot: Snapshot, dialed: str) -> RoutePlan:
    """Decide where a call to ``dialed`` goes.

    Continuity off: the primary trunk. Continuity on: the continuity
    destination, or the primary when none is configured (a call never
    dead-ends because of a half-finished setting).
    """
    number = snapshot.lookup(dialed)
    if number is None:
        return RoutePlan(dialed, PlanReason.UNKNOWN_NUMBER, ())
    if continuity_active(snapshot, number):
        destination = continuity_destination(snapshot, number)
        if destination is not None:
            return RoutePlan(dialed, PlanReason.CONTINUITY, (destination,))
    return RoutePlan(dialed, PlanReason.NORMAL, (number.primary,))


__all__ = ["DestinationKind", "PlanReason", "RoutePlan", "plan_route"]
