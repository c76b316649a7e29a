"""Issue 19: a forwarded call tells the far end which number was called, and why.

The carrier reads the INVITE of every continuity leg as it arrives: its
Diversion header names the tracking number with the reason the call moved,
and its From header carries the caller ID the account's policy chose.
"""

from __future__ import annotations

import pytest

from continuity import names
from continuity.admin import SettingsChange
from continuity.core.model import CallerIdPolicy, ContinuitySettings, Line, LineKind
from continuity.errors import InvalidSetting
from localstack import Observation
from tests.scenario import CALLER, Scenario, external

MAIN = "+12125550101"
ANSWERING_SERVICE = "+13125550150"
HOSTILE_NAME = 'Sales "VIP"\r\nX-Evil: 1\\ <sip:x@y>;tag=1, Dept'


def diversion(number: str, reason: str) -> str:
    return f"<sip:{number}@127.0.0.1>;reason={reason}"


async def answered_at_the_service(scenario: Scenario, caller_name: str = "") -> Observation:
    call = await scenario.call(MAIN, caller_name=caller_name)
    await call.wait_answered()
    return await scenario.reached(ANSWERING_SERVICE, role="pstn")


async def test_with_continuity_on_the_answering_service_sees_the_tracking_number_unconditionally(
    scenario: Scenario,
) -> None:
    await scenario.tracking_number(MAIN, on=True, destination=external(ANSWERING_SERVICE))

    seen = await answered_at_the_service(scenario, caller_name="Jane Doe")

    assert seen.diversion == diversion(MAIN, "unconditional")
    assert (seen.caller_id_number, seen.caller_id_name) == (CALLER, "Jane Doe")
    assert seen.history_info == ""  # Diversion only, unless the account asks for more


async def test_after_a_primary_503_the_reason_is_unavailable(scenario: Scenario) -> None:
    await scenario.line("main", LineKind.MAIN, destination=external(ANSWERING_SERVICE))
    await scenario.tracking_number(MAIN, line="main")
    await scenario.stack.set_behavior(MAIN, "reject:503")

    seen = await answered_at_the_service(scenario)

    primary = await scenario.reached(MAIN, role="primary")
    assert primary.diversion == ""  # the primary gets the call as it came
    assert seen.diversion == diversion(MAIN, "unavailable")
    assert seen.caller_id_number == CALLER


async def test_after_the_primary_rings_out_the_reason_is_no_answer(scenario: Scenario) -> None:
    await scenario.account(
        SettingsChange(destination=external(ANSWERING_SERVICE)), primary_timeout=1
    )
    await scenario.tracking_number(MAIN)
    await scenario.stack.set_behavior(MAIN, "noanswer")

    seen = await answered_at_the_service(scenario)

    assert seen.diversion == diversion(MAIN, "no-answer")


async def test_a_line_presenting_the_tracking_number_overrides_the_account_and_adds_its_name(
    scenario: Scenario,
) -> None:
    await scenario.admin.add_line(
        Line(
            "sales",
            LineKind.DEPARTMENT,
            name="Sales",
            continuity=ContinuitySettings(on=True, destination=external(ANSWERING_SERVICE)),
            caller_id=CallerIdPolicy.TRACKING,
            caller_name_prefix="{line}:",
        )
    )
    await scenario.tracking_number(MAIN, line="sales")

    seen = await answered_at_the_service(scenario, caller_name="Jane Doe")

    assert (seen.caller_id_number, seen.caller_id_name) == (MAIN, "Sales: Jane Doe")
    assert seen.from_header.startswith(f'"Sales: Jane Doe" <sip:{MAIN}@127.0.0.1>')
    assert seen.diversion == diversion(MAIN, "unconditional")

    await scenario.hang_up_everything()
    scenario.stack.control.clear_observations()
    await scenario.admin.change_line("sales", SettingsChange(), caller_id=None)
    await scenario.synced()
    seen_again = await answered_at_the_service(scenario)
    assert (seen_again.caller_id_number, seen_again.caller_id_name) == (CALLER, "Sales:")


async def test_a_hostile_line_name_reaches_the_far_end_only_as_plain_display_text(
    scenario: Scenario,
) -> None:
    await scenario.line("sales", destination=external(ANSWERING_SERVICE), on=True)
    # The service refuses CR/LF in a name now; a row stored before that (or behind the
    # admin's back) still routes, cleaned.
    async with scenario.store.pool.connection() as conn:
        await conn.execute("UPDATE lines SET name = %s WHERE id = 'sales'", (HOSTILE_NAME,))
    await scenario.account(SettingsChange(), caller_name_prefix="{line}")
    await scenario.tracking_number(MAIN, line="sales")

    seen = await answered_at_the_service(scenario)

    # Quotes, CR/LF, backslashes, <>, ; and , are gone, and the prefix is cut short.
    assert seen.caller_id_name == "Sales VIP X-Evil: 1 sip:"
    assert seen.from_header.startswith(f'"Sales VIP X-Evil: 1 sip:" <sip:{CALLER}@')
    assert seen.diversion == diversion(MAIN, "unconditional")


async def test_a_prefix_sip_could_not_carry_is_refused_and_nothing_is_written(
    scenario: Scenario,
) -> None:
    for prefix in ['Sales "VIP"', "Sales\r\nX: y", "back\\slash", "x" * 25]:
        with pytest.raises(InvalidSetting, match="caller-name prefix"):
            await scenario.account(SettingsChange(), caller_name_prefix=prefix)
    assert (await scenario.store.load_snapshot()).account.caller_name_prefix == ""
    assert await scenario.store.audit_entries() == []


async def test_where_the_account_asks_for_it_the_trunks_send_history_info_too(
    scenario: Scenario,
) -> None:
    await scenario.tracking_number(MAIN, on=True, destination=external(ANSWERING_SERVICE))
    await scenario.account(SettingsChange(), send_history_info=True)
    app = scenario.app
    try:
        await app.dialplan.apply(app.snapshots.current)
        await scenario.stack.wait_reachable(names.ENDPOINT_PSTN)

        seen = await answered_at_the_service(scenario)

        assert seen.diversion == diversion(MAIN, "unconditional")
        first, second = seen.history_info.split(",")
        assert first == f"<sip:{MAIN}@127.0.0.1>;index=1"
        assert second == f"<sip:{ANSWERING_SERVICE}@127.0.0.1;cause=302>;index=1.1"
    finally:
        await scenario.account(SettingsChange(), send_history_info=False)
        await app.dialplan.apply(app.snapshots.current)
        await scenario.stack.wait_reachable(names.ENDPOINT_PSTN)
