"""Whether Asterisk holds the fallback dialplan of a given routing state, for the console.

The composition root reports every apply here; the console waits on it after a
change so the page can say "live in Asterisk" or show the error.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Applied:
    #: The routing state version of the last apply (successful or not).
    version: int
    #: None when Asterisk holds it; the error otherwise.
    error: str | None
    #: The label of its entry for calls the app planned (``core.static_route.dialplan_label``).
    label: str = ""


class DialplanStatus:
    def __init__(self) -> None:
        self.last: Applied | None = None
        self._changed = asyncio.Condition()

    async def report(self, version: int, error: str | None, label: str = "") -> None:
        async with self._changed:
            self.last = Applied(version, error, label)
            self._changed.notify_all()

    def holds(self, label: str) -> bool:
        """Asterisk holds the fallback of ``label``'s state: the last apply was of it and
        succeeded."""
        last = self.last
        return last is not None and last.error is None and last.label == label

    async def wait_for(self, version: int, timeout: float) -> Applied | None:
        """The first apply of ``version`` or newer, or None if none came in time."""
        try:
            async with asyncio.timeout(timeout), self._changed:
                await self._changed.wait_for(
                    lambda: self.last is not None and self.last.version >= version
                )
        except TimeoutError:
            return None
        return self.last
