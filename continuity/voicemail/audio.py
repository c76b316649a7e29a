"""The sox adapter: probe an audio file, convert it for Asterisk, measure its level.

Asterisk plays ``.wav`` as 8 kHz, mono, 16-bit signed PCM (format_wav), which
every channel can transcode from; that is what prompts are converted to.
"""

from __future__ import annotations

import asyncio
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from continuity.voicemail.errors import SoxMissing

#: What ``convert_for_asterisk`` writes.
ASTERISK_RATE = 8000
_TIMEOUT = 60.0


class SoxError(Exception):
    """sox refused the file; ``str()`` is its own message."""


@dataclass(frozen=True, slots=True)
class AudioInfo:
    sample_rate: int
    channels: int
    samples: int
    encoding: str

    @property
    def seconds(self) -> float:
        return self.samples / self.sample_rate if self.sample_rate else 0.0


def _sox() -> str:
    found = shutil.which("sox")
    if found is None:
        raise SoxMissing()
    return found


async def _run(*args: str) -> str:
    """Run sox; return its standard error (where it reports), raise SoxError on failure."""
    proc = await asyncio.create_subprocess_exec(
        _sox(),
        *args,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), _TIMEOUT)
    except BaseException:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        raise
    text = (out + err).decode(errors="replace")
    if proc.returncode != 0:
        lines = [ln.removeprefix("sox FAIL ").strip() for ln in text.splitlines() if ln.strip()]
        raise SoxError("; ".join(lines) or f"sox exited with status {proc.returncode}")
    return text


def _arg(path: Path) -> str:
    """An absolute path: a file name starting with ``-`` is never read as an option."""
    return str(path.absolute())


def _field(text: str, name: str) -> str | None:
    match = re.search(rf"^{name}\s*:\s*(.+)$", text, re.MULTILINE)
    return match.group(1).strip() if match else None


async def probe(path: Path) -> AudioInfo:
    """What sox reads in ``path``; SoxError if it is no audio sox can read."""
    text = await _run("--info", _arg(path))
    rate = _field(text, "Sample Rate")
    if rate is None:
        raise SoxError("sox found no sample rate")
    duration = _field(text, "Duration") or ""
    samples = re.search(r"=\s*(\d+) samples", duration)
    return AudioInfo(
        sample_rate=int(float(rate)),
        channels=int(_field(text, "Channels") or 0),
        samples=int(samples.group(1)) if samples else 0,
        encoding=_field(text, "Sample Encoding") or "",
    )


async def convert_for_asterisk(source: Path, target: Path) -> None:
    """Write ``target`` as 8 kHz mono 16-bit WAV (any input rate, channels, format)."""
    await _run(
        "-V1",
        _arg(source),
        "-r",
        str(ASTERISK_RATE),
        "-c",
        "1",
        "-b",
        "16",
        "-e",
        "signed-integer",
        "-t",
        "wav",
        _arg(target),
    )


async def peak(path: Path) -> float:
    """Maximum absolute amplitude, 0.0 (silence) to 1.0 (full scale)."""
    text = await _run(_arg(path), "-n", "stat")
    high = _field(text, "Maximum amplitude")
    low = _field(text, "Minimum amplitude")
    if high is None or low is None:
        raise SoxError("sox reported no amplitude")
    return max(abs(float(high)), abs(float(low)))


async def convert(source: Path, target: Path) -> None:
    """Any format sox reads to the one ``target``'s extension names."""
    await _run("-V1", _arg(source), _arg(target))
