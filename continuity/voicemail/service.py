"""Voicemail admin operations: prompts, notice addresses, messages. The CLI calls these."""

from __future__ import annotations

import asyncio
import difflib
import os
import re
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from continuity.core.model import Line
from continuity.errors import InvalidSetting, UnknownLine
from continuity.ports import SnapshotSource
from continuity.voicemail import audio
from continuity.voicemail.errors import ExportFailed
from continuity.voicemail.pins import check_pin, new_pin
from continuity.voicemail.prompts import Prompt, PromptStore
from continuity.voicemail.spool import Message, Spool

_EMAIL = re.compile(r"[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+\Z")


@dataclass(frozen=True, slots=True)
class BoxStatus:
    line: str
    name: str
    prompt: Prompt | None
    email: str | None
    new: int
    old: int

    def to_json(self) -> dict[str, object]:
        return {
            "line": self.line,
            "name": self.name,
            "prompt": "custom" if self.prompt else "default",
            "prompt_seconds": round(self.prompt.seconds, 2) if self.prompt else None,
            "email": self.email,
            "new": self.new,
            "old": self.old,
        }


class VoicemailRecords(Protocol):
    """Each line's notice address and PIN, with their audit entries."""

    async def emails(self) -> dict[str, str]: ...
    async def set_email(self, actor: str, line: str, email: str | None) -> None: ...
    async def set_pin(self, actor: str, line: str, pin: str) -> None: ...
    async def audit(
        self,
        actor: str,
        action: str,
        subject: str,
        old: Mapping[str, Any] | None,
        new: Mapping[str, Any] | None,
    ) -> None: ...


class VoicemailAdmin:
    def __init__(
        self,
        snapshots: SnapshotSource,
        store: VoicemailRecords,
        prompts: PromptStore,
        spool: Spool,
        actor: str,
    ) -> None:
        self._snapshots = snapshots
        self._store = store
        self._prompts = prompts
        self._spool = spool
        self._actor = actor

    async def line(self, line_id: str) -> Line:
        lines = (await self._snapshots.load_snapshot()).lines
        found = lines.get(line_id)
        if found is None:
            close = difflib.get_close_matches(line_id, list(lines), n=3, cutoff=0.5)
            raise UnknownLine(line_id, close)
        return found

    async def lines(self) -> dict[str, Line]:
        return (await self._snapshots.load_snapshot()).lines

    # -- prompts -------------------------------------------------------------------
    async def prompt(self, line_id: str) -> Prompt | None:
        await self.line(line_id)
        return await self._prompts.current(line_id)

    async def set_prompt(self, line_id: str, source: Path) -> Prompt:
        await self.line(line_id)
        old = await self._prompts.current(line_id)
        prompt = await self._prompts.set(line_id, source)
        await self._store.audit(
            self._actor,
            "voicemail.prompt.set",
            line_id,
            {"seconds": round(old.seconds, 2)} if old else {"prompt": "default"},
            {"source": str(source), "seconds": round(prompt.seconds, 2)},
        )
        return prompt

    async def reset_prompt(self, line_id: str) -> bool:
        await self.line(line_id)
        had = await asyncio.to_thread(self._prompts.reset, line_id)
        if had:
            await self._store.audit(
                self._actor, "voicemail.prompt.reset", line_id, {"prompt": "custom"}, None
            )
        return had

    # -- notice addresses ------------------------------------------------------------
    async def set_email(self, line_id: str, email: str | None) -> None:
        if email is not None and (len(email) > 254 or not email.isprintable()):
            raise InvalidSetting(
                f"{email[:40]!r} is not an email address: give one address like "
                "ops@example.com, printable and at most 254 characters",
                "email",
            )
        if email is not None and not _EMAIL.match(email):
            raise InvalidSetting(
                f"{email!r} is not an email address: give one address like ops@example.com"
            )
        await self.line(line_id)
        await self._store.set_email(self._actor, line_id, email)

    async def emails(self) -> dict[str, str]:
        return await self._store.emails()

    # -- PINs ---------------------------------------------------------------------
    async def set_pin(self, line_id: str, pin: str | None = None) -> str:
        """Set the line's PIN (a new random one when ``pin`` is None); return it."""
        pin = new_pin() if pin is None else check_pin(pin)
        await self.line(line_id)
        await self._store.set_pin(self._actor, line_id, pin)
        return pin

    async def boxes(self) -> list[BoxStatus]:
        """Every line's box: its prompt, notice address and message counts."""
        emails = await self._store.emails()
        found = []
        for line_id, line in sorted((await self.lines()).items()):
            messages = await asyncio.to_thread(self._spool.messages, line_id)
            new = sum(1 for m in messages if m.folder == "INBOX")
            found.append(
                BoxStatus(
                    line_id,
                    line.name,
                    await self._prompts.current(line_id),
                    emails.get(line_id),
                    new,
                    len(messages) - new,
                )
            )
        return found

    # -- messages --------------------------------------------------------------------
    async def messages(self, line_id: str | None = None) -> list[Message]:
        if line_id is not None:
            await self.line(line_id)
            boxes = [line_id]
        else:
            boxes = sorted(await self.lines())
        found: list[Message] = []
        for box in boxes:
            found.extend(await asyncio.to_thread(self._spool.messages, box))
        return found

    async def export(
        self, line_id: str, ref: str, target: Path, *, overwrite: bool = False
    ) -> Message:
        """Write message ``ref``'s audio to ``target`` (copied, or converted by extension).

        An existing ``target`` is refused unless ``overwrite``."""
        await self.line(line_id)
        message = await asyncio.to_thread(self._spool.find, line_id, ref)
        if not overwrite and await asyncio.to_thread(os.path.lexists, target):
            raise ExportFailed(target, "it already exists; give --force to overwrite it")
        same = target.suffix.lower() == message.audio.suffix.lower()
        try:
            if same:
                await asyncio.to_thread(_copy, message.audio, target, overwrite)
            else:
                await audio.convert(message.audio, target)
        except (OSError, audio.SoxError) as exc:
            raise ExportFailed(target, str(exc)) from exc
        return message


def _copy(source: Path, target: Path, overwrite: bool) -> None:
    """Copy; without ``overwrite`` the target is created, never replaced (``O_EXCL``)."""
    with source.open("rb") as src, target.open("wb" if overwrite else "xb") as dst:
        shutil.copyfileobj(src, dst)
