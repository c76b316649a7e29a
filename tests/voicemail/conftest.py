"""The voicemail scenario: lines whose chain ends in their box, callers who leave messages."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from continuity.core.model import Destination, DestinationKind, LineKind
from continuity.db.pool import Pool
from continuity.db.voicemail import VoicemailStore
from continuity.voicemail.prompts import PromptStore
from continuity.voicemail.service import VoicemailAdmin
from continuity.voicemail.spool import Message, Spool
from localstack import PlacedCall
from localstack.callaudio import recording, stage_sound, wait_recording
from tests.scenario import CALLER, Scenario
from tests.voicemail.sounds import Clip, tone

#: Beep (0.44 s) and the gap before recording starts, after the prompt.
BEEP_SECONDS = 0.6
#: What a GSM prompt file holds per second: 50 frames of 33 bytes.
GSM_BYTES_PER_SECOND = 50 * 33


@dataclass
class Visit:
    """A caller's call to a box: the call, and what they heard (a WAV, once it ended)."""

    call: PlacedCall
    heard: Path

    async def ended(self) -> Clip:
        await self.call.wait_ended(timeout=30)
        return Clip.read(await wait_recording(self.heard))


class VoicemailScenario:
    def __init__(self, scenario: Scenario, admin: VoicemailAdmin, workdir: Path) -> None:
        self.s = scenario
        self.admin = admin
        self.workdir = workdir
        self.stack = scenario.stack
        self.spool_dir = scenario.app.config.asterisk_spool_dir
        self.spool = Spool(self.spool_dir)

    def clear(self) -> None:
        """No messages in any box, no custom prompts, no sent-markers."""
        for directory in (
            self.spool.root,
            PromptStore(self.spool_dir).directory,
            Path(self.s.app.config.state_dir) / "voicemail-notices",
        ):
            shutil.rmtree(directory, ignore_errors=True)

    async def line(self, line_id: str, number: str, *, name: str = "") -> None:
        """A line whose calls go straight to its box, and a tracking number on it."""
        await self.s.line(line_id, LineKind.DEPARTMENT)
        await self.s.tracking_number(
            number,
            line=line_id,
            on=True,
            destination=Destination(DestinationKind.VOICEMAIL, line_id),
        )

    def default_prompt_seconds(self) -> float:
        sounds = _inside(self.stack.pbx.rootfs, "/usr/share/asterisk/sounds/en")
        return sum(
            (sounds / f"{name}.gsm").stat().st_size / GSM_BYTES_PER_SECOND
            for name in ("vm-nobodyavail", "vm-intro")
        )

    async def visit(
        self,
        number: str,
        *,
        prompt_seconds: float,
        message_seconds: float = 3.0,
        hz: int = 440,
        caller: str = CALLER,
    ) -> Visit:
        """The caller dials ``number``, hears the prompt and the beep, speaks, hangs up."""
        said = tone(self.workdir / f"said-{hz}.wav", message_seconds, hz)
        heard_host, heard = recording(self.stack.carrier, "heard")
        call = await self.stack.place_call(
            number,
            caller,
            hold_seconds=prompt_seconds + message_seconds + 15,
            message=stage_sound(self.stack.carrier, said),
            message_delay=prompt_seconds + BEEP_SECONDS,
            heard=heard,
        )
        return Visit(call, heard_host)

    async def messages(self, line: str, count: int = 1, timeout: float = 10.0) -> list[Message]:
        """Once the box of ``line`` holds ``count`` complete messages."""
        async with asyncio.timeout(timeout):
            while len(found := self.spool.messages(line)) < count:
                await asyncio.sleep(0.1)
        return found


def _inside(rootfs: Path, path: str) -> Path:
    """``path`` as the chroot resolves it (its symlinks are absolute inside the rootfs)."""
    for _ in range(8):
        host = rootfs / path.lstrip("/")
        if not host.is_symlink():
            return host
        target = os.readlink(host)
        path = target if target.startswith("/") else f"{os.path.dirname(path)}/{target}"
    raise OSError(f"too many symlinks resolving {path} in {rootfs}")


@pytest.fixture
async def voicemail(
    scenario: Scenario, product_pool: Pool, tmp_path: Path
) -> AsyncIterator[VoicemailScenario]:
    spool_dir = scenario.app.config.asterisk_spool_dir
    admin = VoicemailAdmin(
        scenario.store,
        VoicemailStore(product_pool),
        PromptStore(spool_dir),
        Spool(spool_dir),
        "test",
    )
    vm = VoicemailScenario(scenario, admin, tmp_path)
    vm.clear()
    yield vm
    vm.clear()
