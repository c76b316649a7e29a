"""Prompt files on their own: what sox makes of them, and where they cannot go."""

from __future__ import annotations

from pathlib import Path

import pytest

from continuity.voicemail import audio
from continuity.voicemail.errors import PromptsUnwritable
from continuity.voicemail.prompts import PromptStore
from tests.voicemail.sounds import Clip, tone


async def test_a_stereo_44k_mp3_becomes_8k_mono_16_bit_wav_of_the_same_length(
    tmp_path: Path,
) -> None:
    store = PromptStore(tmp_path / "spool")
    source = tone(tmp_path / "greeting.mp3", 3.0, 600, rate=44100, channels=2)

    prompt = await store.set("sales", source)

    assert prompt.path == tmp_path / "spool" / "continuity" / "prompts" / "sales.wav"
    info = await audio.probe(prompt.path)
    assert (info.sample_rate, info.channels, info.encoding) == (
        8000,
        1,
        "16-bit Signed Integer PCM",
    )
    assert abs(prompt.seconds - 3.0) < 0.1
    assert Clip.read(prompt.path).window(0.5, 2.5).tone_share(600) > 0.9
    assert [p.name for p in prompt.path.parent.iterdir()] == ["sales.wav"]  # nothing staged left
    assert store.reset("sales") and not store.reset("sales")


async def test_a_prompts_directory_that_cannot_be_written_is_named_in_the_error(
    tmp_path: Path,
) -> None:
    blocker = tmp_path / "spool"
    blocker.write_text("a file where the spool directory should be")

    with pytest.raises(PromptsUnwritable, match="CONTINUITY_ASTERISK_SPOOL_DIR"):
        await PromptStore(blocker).set("sales", tone(tmp_path / "g.wav", 1.0, 600))
