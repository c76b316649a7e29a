"""Issue 6: a label and a caller name written like dialplan change nothing about a call."""

from __future__ import annotations

from continuity import names
from continuity.agi.ami import Ami
from continuity.agi.loaded import dialplan_context
from continuity.compose_parts import ami_credentials
from continuity.core.model import TrackingNumber
from continuity.dialplan_templates.parse import expected_dialplan, extensions, parse_extensions
from localstack.product import fallback_route
from tests.scenario import Scenario

MAIN = "+12125550101"
LABEL = 'Spring ;-- sale } [evil] exten => _X.,1,Dial(PJSIP/x) ${EXTEN} $[1] "é" \\;'
CALLER_NAME = "Zoë O'Brien; ${EXTEN} [x], (y) ;--"


async def test_a_hostile_label_and_caller_name_still_reach_the_primary(scenario: Scenario) -> None:
    await scenario.admin.add_number(TrackingNumber(MAIN, label=LABEL))
    await scenario.synced()
    app = scenario.app
    await app.dialplan.apply(app.snapshots.current)

    call = await scenario.call(MAIN, caller_name=CALLER_NAME)
    await call.wait_answered()
    seen = await scenario.reached(MAIN)

    assert (seen.role, seen.caller_id_name) == ("primary", CALLER_NAME)
    text = app.dialplan.files[0].path.read_text()
    # The generated fallback is generic; the number's route is its AstDB key.
    assert extensions(parse_extensions(text), names.CTX_FALLBACK) == {"_[+0-9]."}
    assert await fallback_route(scenario.stack.pbx, app.config, MAIN) is not None
    async with Ami(ami_credentials(app.config)) as ami:
        for context, items in expected_dialplan(text).items():
            assert await dialplan_context(ami, context) == items


async def test_a_dialed_number_full_of_dialplan_syntax_is_rejected_as_unknown(
    scenario: Scenario,
) -> None:
    await scenario.tracking_number(MAIN)

    call = await scenario.call("+1212%3Aevil%2Cs%2C1%3Fx")  # ${EXTEN} = +1212:evil,s,1?x

    assert await call.wait_ended() == 1
    assert scenario.observed() == []
