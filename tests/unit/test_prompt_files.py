"""Issue 12: a prompt is a recording file of the admin's, never a link to another file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from continuity.voicemail.errors import PromptRejected
from continuity.voicemail.prompts import PromptStore


async def test_a_symbolic_link_is_refused_before_anything_reads_it(tmp_path: Path) -> None:
    secret = tmp_path / "secret.ul"
    secret.write_bytes(b"\x7f" * 8000)
    link = tmp_path / "greeting.ul"
    link.symlink_to(secret)

    with pytest.raises(PromptRejected, match="it is a symbolic link"):
        await PromptStore(tmp_path / "spool").set("sales", link)
    assert not (tmp_path / "spool").exists()


async def test_a_fifo_or_a_directory_is_not_a_prompt(tmp_path: Path) -> None:
    fifo = tmp_path / "greeting.wav"
    os.mkfifo(fifo)
    store = PromptStore(tmp_path / "spool")

    with pytest.raises(PromptRejected, match="it is not a regular file"):
        await store.set("sales", fifo)
    with pytest.raises(PromptRejected, match="it is not a regular file"):
        await store.set("sales", tmp_path)
    with pytest.raises(PromptRejected, match="there is no such file"):
        await store.set("sales", tmp_path / "missing.wav")
