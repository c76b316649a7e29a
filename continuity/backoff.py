"""Retry delays: exponential, full jitter, capped, optionally up to a deadline."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field


@dataclass(slots=True)
class Backoff:
    """Yields the next delay each time :meth:`next_delay` is called.

    Full jitter (``uniform(0, min(cap, base * 2**attempt))``) keeps many
    clients from retrying in lockstep after a shared outage.
    """

    base: float = 0.2
    cap: float = 10.0
    deadline: float | None = None
    _attempt: int = 0
    _started: float = field(default_factory=time.monotonic)
    _rng: random.Random = field(default_factory=random.Random)

    def next_delay(self) -> float:
        ceiling = min(self.cap, self.base * (2**self._attempt))
        self._attempt += 1
        return max(self.base / 4, self._rng.uniform(0, ceiling))

    def expired(self) -> bool:
        return self.deadline is not None and time.monotonic() - self._started > self.deadline

    def reset(self) -> None:
        self._attempt = 0
        self._started = time.monotonic()
