"""Issue 4: a caller whose chain ends in voicemail leaves a message in the line's box."""

from __future__ import annotations

import asyncio
import struct
from pathlib import Path

import pytest

from continuity.voicemail.errors import PromptRejected
from tests.scenario import CALLER
from tests.voicemail.conftest import VoicemailScenario
from tests.voicemail.sounds import Clip, silence, tone

SALES = "+12125550140"
SUPPORT = "+12125550141"
CUSTOM_HZ = 600


async def test_a_caller_hears_the_default_prompt_and_leaves_a_3_second_message_in_the_box(
    voicemail: VoicemailScenario,
) -> None:
    await voicemail.line("sales", SALES)
    prompt = voicemail.default_prompt_seconds()

    visit = await voicemail.visit(SALES, prompt_seconds=prompt, message_seconds=3.0, hz=440)
    await visit.call.wait_answered()
    heard = await visit.ended()

    [message] = await voicemail.messages("sales")
    assert message.folder == "INBOX"
    assert message.caller_number == CALLER
    assert 2 <= message.duration <= 4
    recorded = Clip.read(message.audio)
    assert 2.5 <= recorded.seconds <= 4.0
    assert recorded.window(0.5, 2.5).tone_share(440) > 0.5  # what the caller said
    # app_voicemail itself sees it: VoiceMailMain and MWI count it as new.
    users = await voicemail.stack.pbx.cli("voicemail show users for continuity")
    assert [ln.split()[-1] for ln in users.splitlines() if " sales " in f" {ln} "] == ["1"]
    # The stock prompt is speech, not a tone, and it fills the time before the beep.
    assert heard.window(0.5, prompt - 0.5).rms() > 300
    assert heard.window(0.5, prompt - 0.5).tone_share(CUSTOM_HZ) < 0.2


async def test_with_a_custom_prompt_the_caller_hears_it_and_after_reset_the_default_again(
    voicemail: VoicemailScenario, tmp_path: Path
) -> None:
    await voicemail.line("sales", SALES)
    greeting = tone(tmp_path / "greeting.mp3", 2.0, CUSTOM_HZ, rate=44100, channels=2)
    prompt = await voicemail.admin.set_prompt("sales", greeting)
    assert 1.9 <= prompt.seconds <= 2.2

    visit = await voicemail.visit(SALES, prompt_seconds=prompt.seconds, message_seconds=1.5)
    heard = await visit.ended()
    assert heard.window(0.4, 1.8).tone_share(CUSTOM_HZ) > 0.8
    await voicemail.messages("sales", 1)

    assert await voicemail.admin.reset_prompt("sales")
    default = voicemail.default_prompt_seconds()
    visit = await voicemail.visit(SALES, prompt_seconds=default, message_seconds=1.5)
    heard = await visit.ended()
    assert heard.window(0.4, 1.8).tone_share(CUSTOM_HZ) < 0.2
    assert heard.window(0.5, default - 0.5).rms() > 300
    await voicemail.messages("sales", 2)


async def test_bad_prompt_files_are_refused_and_the_old_prompt_still_plays(
    voicemail: VoicemailScenario, tmp_path: Path
) -> None:
    await voicemail.line("sales", SALES)
    good = await voicemail.admin.set_prompt("sales", tone(tmp_path / "ok.wav", 1.5, CUSTOM_HZ))
    before = good.path.read_bytes()
    text = tmp_path / "greeting.wav"
    text.write_text("this is not audio\n")
    rate0 = tmp_path / "rate0.wav"
    rate0.write_bytes(_wav_header(rate=0) + b"\x00\x01" * 8000)
    refused = {
        text: "not audio sox can read",
        tmp_path / "missing.wav": "no such file",
        silence(tmp_path / "empty.wav", 0): "empty",
        tone(tmp_path / "long.wav", 61, 440): "longer than the 60 s allowed",
        tone(tmp_path / "4k.wav", 2, 440, rate=4000): "sample rate is 4000 Hz",
        rate0: "sampling rate was not specified",
        silence(tmp_path / "quiet.wav", 2): "silent",
    }

    for source, reason in refused.items():
        with pytest.raises(PromptRejected, match=reason) as caught:
            await voicemail.admin.set_prompt("sales", source)
        assert "The current prompt stays" in str(caught.value)

    assert good.path.read_bytes() == before
    visit = await voicemail.visit(SALES, prompt_seconds=good.seconds, message_seconds=1.0)
    heard = await visit.ended()
    assert heard.window(0.4, 1.3).tone_share(CUSTOM_HZ) > 0.8


async def test_each_new_message_is_emailed_to_the_line_with_the_recording_attached(
    voicemail: VoicemailScenario, tmp_path: Path
) -> None:
    await voicemail.line("sales", SALES)
    await voicemail.admin.set_email("sales", "sales-team@example.com")
    prompt = await voicemail.admin.set_prompt("sales", tone(tmp_path / "p.wav", 1.0, CUSTOM_HZ))

    visit = await voicemail.visit(SALES, prompt_seconds=prompt.seconds, message_seconds=3.0)
    await visit.ended()

    [message] = await voicemail.messages("sales")
    [mail] = await voicemail.stack.mail.wait_for(1)
    assert mail.recipients == ("sales-team@example.com",)
    assert CALLER in mail.message["Subject"]
    [attachment] = list(mail.message.iter_attachments())
    assert attachment.get_content_type() == "audio/wav"
    audio = tmp_path / "attached.wav"
    audio.write_bytes(attachment.get_content())
    attached = Clip.read(audio)
    assert abs(attached.seconds - Clip.read(message.audio).seconds) < 0.05
    assert attached.window(0.5, 2.0).tone_share(440) > 0.5
    assert voicemail.spool.messages("sales") == [message]  # emailing keeps it in the box


async def test_while_the_mail_server_refuses_the_message_stays_and_the_notice_is_retried(
    voicemail: VoicemailScenario, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    mail = voicemail.stack.mail
    await voicemail.line("support", SUPPORT)
    await voicemail.admin.set_email("support", "support@example.com")
    prompt = await voicemail.admin.set_prompt("support", tone(tmp_path / "p.wav", 1.0, CUSTOM_HZ))
    mail.refuse = True

    visit = await voicemail.visit(SUPPORT, prompt_seconds=prompt.seconds, message_seconds=2.0)
    await visit.ended()
    [message] = await voicemail.messages("support")
    async with asyncio.timeout(15):
        while mail.refused < 2:  # the first attempt and at least one retry
            await asyncio.sleep(0.1)

    assert mail.received == []
    assert voicemail.spool.messages("support") == [message]
    assert any("notice to support@example.com failed" in r.getMessage() for r in caplog.records)

    mail.refuse = False
    [delivered] = await mail.wait_for(1, timeout=20)
    assert delivered.message["X-Continuity-Voicemail"] == f"support/{message.msg_id}"
    await asyncio.sleep(1.5)  # later scans find the sent-marker: no second email
    assert len(mail.received) == 1


async def test_while_postgresql_is_down_a_message_is_still_taken_and_emailed(
    voicemail: VoicemailScenario, tmp_path: Path
) -> None:
    await voicemail.line("sales", SALES)
    prompt = await voicemail.admin.set_prompt("sales", tone(tmp_path / "p.wav", 1.0, CUSTOM_HZ))
    await voicemail.admin.set_email("sales", "desk@example.com")
    async with asyncio.timeout(5):  # the app has seen the address
        while voicemail.s.app.voicemail.known_addresses.get("sales") != "desk@example.com":
            await asyncio.sleep(0.05)
    await voicemail.s.db_link.cut()

    visit = await voicemail.visit(SALES, prompt_seconds=prompt.seconds, message_seconds=2.0)
    await visit.ended()

    [message] = await voicemail.messages("sales")
    [mail] = await voicemail.stack.mail.wait_for(1, timeout=20)
    assert mail.recipients == ("desk@example.com",)
    assert mail.message["X-Continuity-Voicemail"] == f"sales/{message.msg_id}"


async def test_a_new_line_gets_its_box_without_any_hand_edit(voicemail: VoicemailScenario) -> None:
    await voicemail.s.line("jdoe")

    async with asyncio.timeout(5):
        while "jdoe" not in await voicemail.stack.pbx.cli("voicemail show users for continuity"):
            await asyncio.sleep(0.05)


def _wav_header(*, rate: int) -> bytes:

    size = 16000
    return (
        b"RIFF"
        + struct.pack("<I", 36 + size)
        + b"WAVEfmt "
        + struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16)
        + b"data"
        + struct.pack("<I", size)
    )
