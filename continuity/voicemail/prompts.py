"""Each line's custom voicemail prompt: checked, converted, swapped in atomically.

A prompt is ``<asterisk spool>/continuity/prompts/<line>.wav`` (8 kHz mono
16-bit). The generated dialplan plays it when it exists, else the stock
prompt. A new file is converted next to the old one and renamed over it only
once every check passed: a rejected file never touches the current prompt.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

from continuity import names
from continuity.voicemail import audio
from continuity.voicemail.errors import PromptRejected, PromptsUnwritable

log = logging.getLogger(__name__)

MAX_SECONDS = 60.0
MIN_SECONDS = 0.5
#: Below this the input cannot carry telephone audio (300-3400 Hz).
MIN_SAMPLE_RATE = 8000
#: Peak under -60 dBFS: nothing a caller would hear.
SILENCE_PEAK = 0.001


@dataclass(frozen=True, slots=True)
class Prompt:
    line: str
    path: Path
    seconds: float


class PromptStore:
    def __init__(self, asterisk_spool_dir: Path) -> None:
        self.directory = asterisk_spool_dir / names.VOICEMAIL_PROMPTS_DIR

    def path(self, line: str) -> Path:
        return self.directory / f"{line}.wav"

    async def current(self, line: str) -> Prompt | None:
        path = self.path(line)
        if not await asyncio.to_thread(path.exists):
            return None
        info = await audio.probe(path)
        return Prompt(line, path, info.seconds)

    async def set(self, line: str, source: Path) -> Prompt:
        """Make ``source`` (WAV, MP3, anything sox reads) the line's prompt."""
        await asyncio.to_thread(_check_regular_file, source)
        try:
            info = await audio.probe(source)
        except audio.SoxError as exc:
            reason = f"it is not audio sox can read ({exc})"
            raise PromptRejected(source, reason, _hint(exc)) from exc
        _check_input(source, info)
        staged = await asyncio.to_thread(self._staging_path, line)
        try:
            try:
                await audio.convert_for_asterisk(source, staged)
                converted = await audio.probe(staged)
                level = await audio.peak(staged)
            except audio.SoxError as exc:
                raise PromptRejected(
                    source,
                    f"converting it from {info.sample_rate} Hz, {info.channels} channel(s) "
                    f"to {audio.ASTERISK_RATE} Hz mono failed ({exc})",
                    "Export it again as 8 kHz or 16 kHz mono WAV.",
                ) from exc
            _check_converted(source, converted, level)
            await asyncio.to_thread(_install, staged, self.path(line))
        finally:
            await asyncio.to_thread(staged.unlink, missing_ok=True)
        log.info("voicemail prompt of line %s set from %s (%.1f s)", line, source, info.seconds)
        return Prompt(line, self.path(line), converted.seconds)

    def _staging_path(self, line: str) -> Path:
        staged = self.directory / f".{line}.{secrets.token_hex(4)}.tmp"
        try:
            self.directory.mkdir(mode=0o755, parents=True, exist_ok=True)
            staged.touch()
        except OSError as exc:
            raise PromptsUnwritable(self.directory, exc.strerror or str(exc)) from exc
        return staged

    def reset(self, line: str) -> bool:
        """Back to the stock prompt; return whether there was a custom one."""
        try:
            self.path(line).unlink()
        except FileNotFoundError:
            return False
        log.info("voicemail prompt of line %s reset to the default", line)
        return True


def _check_regular_file(source: Path) -> None:
    """The recording itself: not a symbolic link (to any file this user may read), a
    device, a FIFO or a directory."""
    try:
        mode = source.lstat().st_mode
    except FileNotFoundError:
        raise PromptRejected(source, "there is no such file") from None
    except OSError as exc:
        raise PromptRejected(source, f"it cannot be read ({exc.strerror})") from exc
    if stat.S_ISLNK(mode):
        raise PromptRejected(
            source, "it is a symbolic link", "Give the path of the recording file itself."
        )
    if not stat.S_ISREG(mode):
        raise PromptRejected(source, "it is not a regular file", "Give a WAV or MP3 recording.")


def _hint(exc: audio.SoxError) -> str:
    if "no handler" in str(exc) and "mp3" in str(exc).lower():
        return "This sox cannot read MP3: install the Debian package libsox-fmt-mp3."
    return "Give a WAV or MP3 recording."


def _check_input(source: Path, info: audio.AudioInfo) -> None:
    if info.samples == 0:
        raise PromptRejected(source, "it is empty (no audio samples)")
    if info.sample_rate < MIN_SAMPLE_RATE:
        raise PromptRejected(
            source,
            f"its sample rate is {info.sample_rate} Hz, too low for a telephone prompt",
            f"Record it at {MIN_SAMPLE_RATE} Hz or more.",
        )
    if info.seconds > MAX_SECONDS:
        raise PromptRejected(
            source, f"it lasts {info.seconds:.1f} s, longer than the {MAX_SECONDS:.0f} s allowed"
        )


def _check_converted(source: Path, info: audio.AudioInfo, level: float) -> None:
    if info.seconds < MIN_SECONDS:
        raise PromptRejected(
            source, f"it lasts {info.seconds:.2f} s, shorter than the {MIN_SECONDS} s needed"
        )
    if info.seconds > MAX_SECONDS:
        raise PromptRejected(
            source, f"it lasts {info.seconds:.1f} s, longer than the {MAX_SECONDS:.0f} s allowed"
        )
    if level < SILENCE_PEAK:
        raise PromptRejected(source, "it is silent")


def _install(staged: Path, target: Path) -> None:
    """Readable by Asterisk, on disk, then renamed over the old prompt in one step."""
    staged.chmod(0o644)
    fd = os.open(staged, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    staged.replace(target)
