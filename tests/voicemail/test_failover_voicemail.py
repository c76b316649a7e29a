"""Issue 4: a caller whose chain ends in voicemail leaves a message in the line's box."""

from __future__ import annotations

from tests.scenario import CALLER
from tests.voicemail.conftest import VoicemailScenario

SALES = "+12125550140"


async def test_a_caller_hears_the_default_prompt_and_leaves_a_3_second_message_in_the_box(
    voicemail: VoicemailScenario,
) -> None:
    await voicemail.line("sales", SALES)
    prompt = voicemail.default_prompt_seconds()

    visit = await voicemail.visit(SALES, prompt_seconds=prompt, message_seconds=3.0)
    await visit.call.wait_answered()
    heard = await visit.ended()

    [message] = await voicemail.messages("sales")
    assert message.folder == "INBOX"
    assert message.caller_number == CALLER
    assert 2 <= message.duration <= 4
    # The stock prompt is speech, not a tone; it fills the time before the beep.
    assert heard.window(0.5, prompt - 0.5).rms() > 300
    print(f"prompt {prompt:.2f} s, message {message.duration} s, heard {heard.seconds:.2f} s")
