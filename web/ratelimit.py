"""Failed logins per key (client address, user name) in a sliding window, in memory."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable


class LoginLimiter:
    """``max_failures`` per key; keys starting ``ip:`` get ``max_per_address`` (shared NAT)."""

    def __init__(
        self,
        max_failures: int = 5,
        window: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
        max_per_address: int = 30,
    ) -> None:
        self._max = max_failures
        self._max_address = max_per_address
        self._window = window
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}

    def retry_after(self, *keys: str) -> float | None:
        """Seconds until another try is allowed, or None if it is allowed now."""
        now = self._clock()
        waits = []
        for key in keys:
            seen = self._failures.get(key)
            if seen is None:
                continue
            while seen and seen[0] <= now - self._window:
                seen.popleft()
            if not seen:
                del self._failures[key]
            elif len(seen) >= (self._max_address if key.startswith("ip:") else self._max):
                waits.append(seen[0] + self._window - now)
        return max(waits) if waits else None

    def failed(self, *keys: str) -> None:
        now = self._clock()
        for key in keys:
            self._failures.setdefault(key, deque()).append(now)

    def succeeded(self, *keys: str) -> None:
        for key in keys:
            self._failures.pop(key, None)
