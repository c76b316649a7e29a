"""Audio on the carrier's side of a call: files it plays, recordings of what it hears.

Asterisk in the chroot sees the instance tree under another path, so each
helper returns the path to hand the carrier (``PurePosixPath``) and, for
recordings, the host path to read afterwards.
"""

from __future__ import annotations

import asyncio
import secrets
import shutil
import wave
from pathlib import Path, PurePosixPath

from localstack.instance import AsteriskInstance


def stage_sound(instance: AsteriskInstance, source: Path) -> PurePosixPath:
    """Copy a WAV (8 kHz mono 16-bit) into the instance; return what Playback() takes."""
    target = instance.root / "lib" / "sounds" / f"staged-{secrets.token_hex(4)}.wav"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    return instance.chroot_path(target.with_suffix(""))


def recording(instance: AsteriskInstance, name: str) -> tuple[Path, PurePosixPath]:
    """A fresh WAV path for a recording: (host path to read, path Asterisk writes)."""
    host = instance.root / "spool" / "heard" / f"{name}-{secrets.token_hex(4)}.wav"
    host.parent.mkdir(parents=True, exist_ok=True)
    return host, instance.chroot_path(host)


def _complete(path: Path) -> bool:
    """MixMonitor writes the WAV header's length only when it closes the file."""
    try:
        with wave.open(str(path), "rb") as wav:
            frames = wav.getnframes()
            width = wav.getsampwidth() * wav.getnchannels()
    except (OSError, EOFError, wave.Error):
        return False
    return frames > 0 and path.stat().st_size >= 44 + frames * width


async def wait_recording(path: Path, timeout: float = 10.0) -> Path:
    """Until the recording at ``path`` is closed (its call ended)."""
    async with asyncio.timeout(timeout):
        while not await asyncio.to_thread(_complete, path):
            await asyncio.sleep(0.1)
    return path
