"""Exponential backoff with full jitter (AWS "Exponential Backoff And Jitter")."""

from __future__ import annotations

import random
from collections.abc import Callable

from ari_app.client.config import ReconnectPolicy

#: Picks the actual delay given the current ceiling; default: uniform in [0, ceiling].
Jitter = Callable[[float], float]


class Backoff:
    """Delay ``n`` is drawn from ``[0, min(cap, base * 2**n)]``; ``reset()`` restarts at 0."""

    def __init__(self, policy: ReconnectPolicy, jitter: Jitter | None = None) -> None:
        self._policy = policy
        self._rng = random.Random()  # noqa: S311 - jitter, not cryptography
        self._jitter = jitter if jitter is not None else self._full_jitter
        self._attempt = 0

    def _full_jitter(self, ceiling: float) -> float:
        return self._rng.uniform(0.0, ceiling)

    @property
    def attempt(self) -> int:
        """How many delays were handed out since the last reset."""
        return self._attempt

    @property
    def ceiling(self) -> float:
        """The upper bound of the next delay."""
        exponent = min(self._attempt, 60)  # 2.0**1024 overflows; the cap wins long before
        return min(self._policy.cap, self._policy.base * 2.0**exponent)

    def next_delay(self) -> float:
        """The next delay in seconds, growing the ceiling for the one after."""
        ceiling = self.ceiling
        self._attempt += 1
        return min(max(self._jitter(ceiling), 0.0), ceiling)

    def reset(self) -> None:
        self._attempt = 0
