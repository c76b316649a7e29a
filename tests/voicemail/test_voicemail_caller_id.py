"""Issue 19: a forwarded leg may present the tracking number; voicemail never does."""

from __future__ import annotations

from continuity.admin import SettingsChange
from continuity.core.model import CallerIdPolicy
from tests.scenario import CALLER, external
from tests.voicemail.conftest import VoicemailScenario

SALES = "+12125550140"
FAILING_SERVICE = "+13125550152"


async def test_after_a_leg_that_presented_the_tracking_number_the_message_keeps_the_callers(
    voicemail: VoicemailScenario,
) -> None:
    s = voicemail.s
    await s.account(
        SettingsChange(), caller_id=CallerIdPolicy.TRACKING, caller_name_prefix="Sales:"
    )
    await s.line("sales", on=True, destination=external(FAILING_SERVICE))
    await s.tracking_number(SALES, line="sales")
    await voicemail.stack.set_behavior(FAILING_SERVICE, "reject:480")

    visit = await voicemail.visit(SALES, prompt_seconds=voicemail.default_prompt_seconds())
    await visit.call.wait_answered()
    await visit.ended()

    leg = await s.reached(FAILING_SERVICE)
    assert (leg.caller_id_number, leg.outcome) == (SALES, "reject:480")
    [message] = await voicemail.messages("sales")
    assert message.caller_number == CALLER
