"""Keeps the generated dialplan in step with the routing state.

Rendering and reloading are injected: the composition root passes the Jinja
renderer and an AMI reload, so this module speaks no wire format itself.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

from continuity.core.model import Snapshot

log = logging.getLogger(__name__)

Render = Callable[[Snapshot], str]
Write = Callable[[Path, str], bool]
Reload = Callable[[], Awaitable[None]]


class DialplanSync:
    def __init__(self, path: Path, render: Render, write: Write, reload: Reload) -> None:
        self._path = path
        self._render = render
        self._write = write
        self._reload = reload

    async def apply(self, snapshot: Snapshot) -> bool:
        """Render, write if changed, reload. Return whether anything changed."""
        if not self._write(self._path, self._render(snapshot)):
            return False
        await self._reload()
        log.info(
            "dialplan for routing state v%s written to %s and reloaded",
            snapshot.version,
            self._path,
        )
        return True
