"""Keeps app_voicemail's boxes (the generated voicemail.conf) in step with the lines.

Rendering and reloading are injected by ``plugin``; this module speaks no wire format.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

from continuity.core.model import Snapshot

log = logging.getLogger(__name__)


class BoxSync:
    def __init__(
        self,
        path: Path,
        render: Callable[[Snapshot], str],
        write: Callable[[Path, str], bool],
        reload: Callable[[], Awaitable[None]],
    ) -> None:
        self._path = path
        self._render = render
        self._write = write
        self._reload = reload
        #: The file on disk is newer than what app_voicemail loaded (a reload failed).
        self._stale = False

    async def apply(self, snapshot: Snapshot) -> bool:
        """Render, write if changed, reload app_voicemail. Return whether anything changed.

        A reload that failed is tried again on the next apply, changed or not.
        """
        if not self._write(self._path, self._render(snapshot)) and not self._stale:
            return False
        self._stale = True
        await self._reload()
        self._stale = False
        log.info(
            "voicemail boxes for %d lines (routing state v%s) written to %s and reloaded",
            len(snapshot.lines),
            snapshot.version,
            self._path,
        )
        return True
