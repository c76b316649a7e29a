"""Issue 19: with the app down, the generated fallback dialplan forwards calls with
the same redirecting identity and caller ID as the app.

No app is connected to this package's own stack, so Stasis() fails and the
fallback context, rendered from the state below, routes every call. The
carrier reads the Diversion and From headers of each leg it receives.
"""

from __future__ import annotations

from continuity.config import UnknownNumberPolicy
from continuity.core.model import (
    AccountSettings,
    CallerIdPolicy,
    ContinuitySettings,
    Line,
    LineKind,
    Snapshot,
    TrackingNumber,
)
from continuity.dialplan_templates.parse import expected_dialplan
from continuity.dialplan_templates.render import render_extensions
from localstack import LocalStack, Observation
from tests.dialplan.calls import landing, quiet
from tests.scenario import external

CONTINUITY_ON = "+12125550301"
PRIMARY_503 = "+12125550302"
PRIMARY_SILENT = "+12125550303"
PRESENTS_TRACKING = "+12125550304"
ANSWERING_SERVICE = "+13125550150"
CALLER = "+13125550112"
HOSTILE_NAME = 'Sales "VIP"\r\nX-Evil: 1\\ <sip:x@y>;tag=1, (Dept) ${EXTEN} ^ Zoë'


def state() -> Snapshot:
    service = ContinuitySettings(destination=external(ANSWERING_SERVICE))
    on = ContinuitySettings(on=True, destination=external(ANSWERING_SERVICE))
    return Snapshot(
        account=AccountSettings(
            continuity=ContinuitySettings(
                on=False, enabled=True, destination=external(ANSWERING_SERVICE)
            ),
            primary_timeout=1,
        ),
        lines={
            "main": Line("main", LineKind.MAIN, continuity=service, caller_name_prefix="Zoë & Co:"),
            "sales": Line(
                "sales",
                LineKind.DEPARTMENT,
                name=HOSTILE_NAME,
                continuity=on,
                caller_id=CallerIdPolicy.TRACKING,
                caller_name_prefix="{line}",
            ),
        },
        numbers={
            CONTINUITY_ON: TrackingNumber(CONTINUITY_ON, continuity=on),
            PRIMARY_503: TrackingNumber(PRIMARY_503),
            PRIMARY_SILENT: TrackingNumber(PRIMARY_SILENT),
            PRESENTS_TRACKING: TrackingNumber(PRESENTS_TRACKING, line="sales"),
        },
    )


async def forwarded(stack: LocalStack, number: str, caller_name: str = "") -> Observation:
    call = await stack.place_call(number, CALLER, caller_name=caller_name)
    where = await landing(stack, call)
    assert where.outcome == "answered", where
    [seen] = [o for o in stack.carrier_observations() if o.number == ANSWERING_SERVICE]
    await quiet(stack)
    return seen


async def test_with_the_app_down_the_fallback_forwards_with_the_same_identity(
    own_stack: LocalStack,
) -> None:
    stack = own_stack
    await stack.reset()
    text = render_extensions(state(), UnknownNumberPolicy("reject", "unallocated"), 30)
    expected_dialplan(text)  # reads back as plain dialplan, hostile name and all
    await stack.write_generated_dialplan(text)
    await stack.set_behavior(PRIMARY_503, "reject:503")
    await stack.set_behavior(PRIMARY_SILENT, "noanswer")

    on = await forwarded(stack, CONTINUITY_ON, "Jane Doe")
    after_503 = await forwarded(stack, PRIMARY_503)
    after_silence = await forwarded(stack, PRIMARY_SILENT)
    tracking = await forwarded(stack, PRESENTS_TRACKING, "Jane Doe")

    assert on.diversion == f"<sip:{CONTINUITY_ON}@127.0.0.1>;reason=unconditional"
    assert (on.caller_id_number, on.caller_id_name) == (CALLER, "Zoë & Co: Jane Doe")
    assert after_503.diversion == f"<sip:{PRIMARY_503}@127.0.0.1>;reason=unavailable"
    assert (after_503.caller_id_number, after_503.caller_id_name) == (CALLER, "Zoë & Co:")
    assert after_silence.diversion == f"<sip:{PRIMARY_SILENT}@127.0.0.1>;reason=no-answer"
    assert tracking.diversion == f"<sip:{PRESENTS_TRACKING}@127.0.0.1>;reason=unconditional"
    name = "Sales VIP X-Evil: 1 sip:"
    assert (tracking.caller_id_number, tracking.caller_id_name) == (
        PRESENTS_TRACKING,
        f"{name} Jane Doe",
    )
    assert tracking.from_header.startswith(f'"{name} Jane Doe" <sip:{PRESENTS_TRACKING}@')
