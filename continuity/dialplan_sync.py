"""Keeps the generated Asterisk files in step with the routing state.

For each file: render, read the text back the way Asterisk will (before
anything is written), write it atomically, reload, then ask Asterisk what it
loaded and compare. If the reload or the comparison fails, the previous file
is put back and reloaded, and :class:`DialplanRejected` says why and whether
that reload of the previous file worked.

Rendering, parsing, reloading and asking Asterisk are injected by the
composition root, so this module speaks no wire format itself.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from continuity.core.model import Snapshot
from continuity.errors import DialplanRejected
from continuity.files import READABLE, write_atomically

log = logging.getLogger(__name__)

#: What Asterisk should hold after a reload: section (a context, an endpoint) -> items.
Expected = dict[str, set[tuple[object, ...]]]
Render = Callable[[Snapshot], str]
#: Parse rendered text into what Asterisk should load; raise ValueError if it is off.
Parse = Callable[[str], Expected]
Reload = Callable[[], Awaitable[None]]
#: What Asterisk has loaded for one section.
Loaded = Callable[[str], Awaitable[set[tuple[object, ...]]]]
Write = Callable[[Path, str], None]
Progress = Callable[[str], None]

#: Left in place of a file that had no previous version when its apply failed.
EMPTY = "; continuity: nothing applied yet\n"


def _quiet(_message: str) -> None:
    pass


@dataclass(frozen=True, slots=True)
class GeneratedFile:
    path: Path
    render: Render
    parse: Parse
    reload: Reload
    loaded: Loaded


@dataclass(frozen=True, slots=True)
class Change:
    file: GeneratedFile
    #: The file's current text; ``None`` if it does not exist yet.
    old: str | None
    new: str


class Routes(Protocol):
    """Per-number routes kept outside the files (``continuity.dialplan_astdb``)."""

    async def apply(self, snapshot: Snapshot, progress: Progress) -> int: ...

    def forget(self) -> None:
        """Read what Asterisk holds again before the next write."""


class DialplanSync:
    def __init__(
        self,
        files: Sequence[GeneratedFile],
        write: Write | None = None,
        routes: Routes | None = None,
    ) -> None:
        self.files = tuple(files)
        #: With ``fallback_store = astdb``: the numbers' routes, written before the files
        #: whose generic fallback reads them.
        self.routes = routes
        # Asterisk reads these files: readable by its user, as before.
        self._write = write or functools.partial(write_atomically, mode=READABLE)
        self._lock = asyncio.Lock()
        #: The newest routing state applied: an older one that waited for the lock
        #: behind it is not applied over it.
        self._newest = -1

    def render(self, snapshot: Snapshot) -> list[tuple[GeneratedFile, str]]:
        """Every file's text, each read back as Asterisk will read it.

        Raises :class:`DialplanRejected` if any file cannot be rendered or does
        not read back cleanly.
        """
        rendered = []
        for file in self.files:
            try:
                text = file.render(snapshot)
                file.parse(text)
            except ValueError as exc:
                raise DialplanRejected(str(file.path), str(exc)) from exc
            rendered.append((file, text))
        return rendered

    def pending(self, snapshot: Snapshot) -> list[Change]:
        """The files whose text would change; nothing is written."""
        changes = []
        for file, new in self.render(snapshot):
            old = _read(file.path)
            if old != new:
                changes.append(Change(file, old, new))
        return changes

    async def apply(self, snapshot: Snapshot, progress: Progress = _quiet) -> bool:
        """Render, write what changed, reload and verify. Return whether anything changed."""
        async with self._lock:
            if snapshot.version < self._newest:
                log.info("routing state v%s is older than the applied v%s: skipped",
                         snapshot.version, self._newest)  # fmt: skip
                return False
            # Rendering and reading back take seconds at tens of thousands of numbers:
            # off the event loop, so calls keep being routed meanwhile.
            changed = 0
            if self.routes is not None:
                changed = await self.routes.apply(snapshot, progress)
            changes = await asyncio.to_thread(self.pending, snapshot)
            for change in changes:
                progress(f"writing {change.file.path} and reloading it")
                await self._install(change)
                progress(f"verified: Asterisk holds {change.file.path}")
                log.info(
                    "%s for routing state v%s written, reloaded and verified",
                    change.file.path,
                    snapshot.version,
                )
            self._newest = snapshot.version
            return bool(changes) or changed > 0

    async def _install(self, change: Change) -> None:
        file = change.file
        self._write(file.path, change.new)
        try:
            expected = await asyncio.to_thread(file.parse, change.new)
            await file.reload()
            await self._verify(file, expected)
        except BaseException as exc:
            self._write(file.path, change.old if change.old is not None else EMPTY)
            if not isinstance(exc, Exception):
                raise  # cancelled: the old text is back on disk, the next apply reloads
            problem = exc.problem if isinstance(exc, DialplanRejected) else f"reload failed: {exc}"
            after = await self._restore(file, exc, had_previous=change.old is not None)
            raise DialplanRejected(str(file.path), problem, after) from exc

    async def _verify(self, file: GeneratedFile, expected: Expected) -> None:
        for section, items in expected.items():
            loaded = await file.loaded(section)
            if loaded != items:
                missing = sorted(items - loaded, key=repr)[:3]
                extra = sorted(loaded - items, key=repr)[:3]
                raise DialplanRejected(
                    str(file.path),
                    f"after the reload Asterisk holds a different {section}: "
                    f"missing {missing or 'nothing'}, unexpected {extra or 'nothing'}",
                )

    @staticmethod
    async def _restore(file: GeneratedFile, cause: Exception, *, had_previous: bool) -> str:
        """Reload what was put back; say truthfully what is on disk and loaded now."""
        log.error("%s rejected (%s); restoring the previous file", file.path, cause)
        back = (
            "The previous file is back on disk"
            if had_previous
            else ("An empty placeholder is on disk in its place")
        )
        try:
            await file.reload()
        except Exception as exc:  # noqa: BLE001 - reported; the original error is raised
            log.error("reloading the restored %s failed too: %s", file.path, exc)
            return f"{back}, but reloading it failed too ({exc}), so Asterisk may not run it."
        return f"{back} and Asterisk reloaded it."


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
