"""Uploaded prompts: size-limited, their type sniffed from the bytes, not the name."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from starlette.datastructures import UploadFile

from continuity.web.errors import UploadRejected

#: A minute of 48 kHz stereo WAV is about 11 MB; MP3 far less.
MAX_PROMPT_BYTES = 12 * 1024 * 1024


def sniff(head: bytes) -> str | None:
    """``.wav`` or ``.mp3`` from the first bytes, or None."""
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return ".wav"
    if head[:3] == b"ID3" or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return ".mp3"
    return None


async def read_limited(upload: UploadFile, limit: int = MAX_PROMPT_BYTES) -> bytes:
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise UploadRejected(
            f"The file is too large: prompts are at most {limit // (1024 * 1024)} MiB "
            "(a minute of audio)."
        )
    return data


@asynccontextmanager
async def prompt_file(data: bytes) -> AsyncIterator[Path]:
    """The upload as a temporary file named by its sniffed type; removed afterwards."""
    suffix = sniff(data[:16])
    if suffix is None:
        raise UploadRejected(
            "The file is neither WAV nor MP3 (judged by its content, not its name). "
            "Export the recording as WAV or MP3."
        )
    with tempfile.TemporaryDirectory(prefix="continuity-upload-") as folder:
        path = Path(folder) / f"prompt{suffix}"
        await asyncio.to_thread(path.write_bytes, data)
        yield path
