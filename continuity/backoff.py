"""Retry delays: exponential, full jitter, capped, optionally up to a deadline.

The one backoff of the project: the ARI client's reconnects, the change
listener, the call-record flusher and the notifiers all use it.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

#: Picks the actual delay given the current ceiling; default: uniform in [0, ceiling].
Jitter = Callable[[float], float]


class Backoff:
    """Delay ``n`` is drawn from ``[base/4, min(cap, base * 2**n)]``.

    Full jitter keeps many clients from retrying in lockstep after a shared
    outage; the small floor keeps an unlucky draw from becoming a busy loop.
    """

    def __init__(
        self,
        base: float = 0.2,
        cap: float = 10.0,
        deadline: float | None = None,
        jitter: Jitter | None = None,
    ) -> None:
        self.base = base
        self.cap = cap
        self.deadline = deadline
        self._rng = random.Random()  # noqa: S311 - jitter, not cryptography
        self._jitter = jitter if jitter is not None else self._full_jitter
        self._attempt = 0
        self._started = time.monotonic()

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
        return min(self.cap, self.base * 2.0**exponent)

    def next_delay(self) -> float:
        ceiling = self.ceiling
        self._attempt += 1
        return min(max(self._jitter(ceiling), self.base / 4), ceiling)

    def expired(self) -> bool:
        return self.deadline is not None and time.monotonic() - self._started > self.deadline

    def reset(self) -> None:
        self._attempt = 0
        self._started = time.monotonic()
