"""The overload decision (pure): route a new caller here, or hand it to the fallback.

When the app or Asterisk falls behind, a new caller is better served by the
generated fallback dialplan, which dials the same chain without us. Two figures
say how far behind we are: how long the caller's StasisStart waited before we
read it, and how long Asterisk recently took to start a leg we asked for (the
originate request's round trip, smoothed by :class:`Lag`).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Route(enum.Enum):
    HERE = "here"
    HAND_OFF = "hand_off"


def route_new_caller(waited: float, lag: float, threshold: float) -> Route:
    """``HAND_OFF`` when the caller waited, or legs recently took, ``threshold``
    seconds or more; ``HERE`` otherwise."""
    return Route.HAND_OFF if max(waited, lag) >= threshold else Route.HERE


@dataclass(frozen=True, slots=True)
class Lag:
    """How long Asterisk recently took to start a leg (seconds, smoothed).

    Milliseconds normally, seconds when Asterisk is overloaded. A figure older than
    ``stale_after`` seconds counts as none, so the first call after a quiet spell
    measures afresh. Times are monotonic seconds; every change returns a new value.
    """

    seconds: float = 0.0
    at: float | None = None
    stale_after: float = 2.0

    def _fresh(self, now: float) -> bool:
        return self.at is not None and now - self.at < self.stale_after

    def observe(self, seconds: float, now: float) -> Lag:
        smoothed = 0.7 * self.seconds + 0.3 * seconds if self._fresh(now) else seconds
        return Lag(smoothed, now, self.stale_after)

    def current(self, now: float) -> float:
        return self.seconds if self._fresh(now) else 0.0
