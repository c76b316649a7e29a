"""Issue 3: lines, overrides, destination kinds and the fallback chain, on real calls."""

from __future__ import annotations

import pytest

from continuity.admin import SettingsChange
from continuity.core.model import Destination, DestinationKind, LineKind
from continuity.errors import FailoverLoop, InvalidSetting
from localstack.pbxconfig import PEER_ENDPOINT
from tests.scenario import Scenario, external

MAIN = "+12125550101"
SALES = "+12125550102"
ANSWERING_SERVICE = "+13125550150"
CELL_PHONE = "+13125550199"
AGENT = "+13125550170"
BACKUP_PBX = "+13125550171"


def via_pstn_trunk(scenario: Scenario, user: str) -> str:
    """``endpoint/sip:uri``: a SIP target of the pbx's own peer, on the carrier's PSTN side."""
    return f"{PEER_ENDPOINT}/sip:{user}@127.0.0.1:{scenario.stack.carrier_pstn_port}"


async def test_a_per_number_destination_beats_the_default_and_clearing_it_restores_it(
    scenario: Scenario,
) -> None:
    await scenario.account(SettingsChange(on=True, destination=external(ANSWERING_SERVICE)))
    await scenario.tracking_number(MAIN, destination=external(CELL_PHONE))

    await (await scenario.call(MAIN)).wait_answered()
    assert (await scenario.reached(CELL_PHONE)).role == "pstn"

    await scenario.admin.change_number(MAIN, SettingsChange(destination=None))
    await scenario.synced()
    await (await scenario.call(MAIN)).wait_answered()
    assert (await scenario.reached(ANSWERING_SERVICE)).role == "pstn"


async def test_a_line_switched_off_beats_a_global_on(scenario: Scenario) -> None:
    await scenario.account(SettingsChange(on=True, destination=external(ANSWERING_SERVICE)))
    await scenario.line("sales", on=False)
    await scenario.tracking_number(SALES, line="sales")

    await (await scenario.call(SALES)).wait_answered()

    assert (await scenario.reached(SALES)).role == "primary"
    assert all(o.number != ANSWERING_SERVICE for o in scenario.observed())


async def test_the_primary_answers_503_and_the_same_call_reaches_the_answering_service(
    scenario: Scenario,
) -> None:
    await scenario.account(SettingsChange(destination=external(ANSWERING_SERVICE)))
    await scenario.tracking_number(MAIN)
    await scenario.stack.set_behavior(MAIN, "reject:503")

    call = await scenario.call(MAIN)
    await call.wait_answered()
    await scenario.reached(ANSWERING_SERVICE)

    assert [(o.role, o.number) for o in scenario.observed()] == [
        ("primary", MAIN),
        ("pstn", ANSWERING_SERVICE),
    ]
    await call.hangup()
    record = await scenario.call_record(MAIN)
    assert [(a.kind, a.result) for a in record.attempts] == [
        ("primary", "congestion"),
        ("external", "answered"),
    ]
    assert record.attempts[0].sip_code == 503


async def test_a_primary_that_never_answers_fails_over_after_its_timeout(
    scenario: Scenario,
) -> None:
    await scenario.account(
        SettingsChange(destination=external(ANSWERING_SERVICE)), primary_timeout=2
    )
    await scenario.tracking_number(MAIN)
    await scenario.stack.set_behavior(MAIN, "noanswer")

    call = await scenario.call(MAIN)
    await call.wait_answered(timeout=8)

    assert (await scenario.reached(ANSWERING_SERVICE)).role == "pstn"


async def test_a_busy_primary_is_an_answer_not_an_outage(scenario: Scenario) -> None:
    await scenario.account(SettingsChange(destination=external(ANSWERING_SERVICE)))
    await scenario.tracking_number(MAIN)
    await scenario.stack.set_behavior(MAIN, "reject:486")

    call = await scenario.call(MAIN)
    cause = await call.wait_ended(timeout=5)

    assert cause == 17  # the caller hears busy
    assert [o.number for o in scenario.observed()] == [MAIN]


async def test_a_user_line_reaches_the_most_recently_verified_forwarding_number(
    scenario: Scenario,
) -> None:
    await scenario.line(
        "jdoe",
        LineKind.USER,
        on=True,
        forwarding=(("+13125550161", True), ("+13125550162", True), ("+13125550163", False)),
    )
    await scenario.tracking_number(MAIN, line="jdoe")

    await (await scenario.call(MAIN)).wait_answered()
    await scenario.reached("+13125550162")

    assert [o.number for o in scenario.observed()] == ["+13125550162"]

    await scenario.admin.remove_forwarding("jdoe", "+13125550162")
    await scenario.synced()
    await (await scenario.call(MAIN)).wait_answered()
    await scenario.reached("+13125550161")

    assert [o.number for o in scenario.observed()][-1] == "+13125550161"
    assert all(o.number != "+13125550163" for o in scenario.observed())


async def test_a_voice_agent_can_be_chosen_only_once_configured_and_then_answers(
    scenario: Scenario,
) -> None:
    agent = via_pstn_trunk(scenario, AGENT)
    await scenario.tracking_number(MAIN)
    with pytest.raises(InvalidSetting, match="no voice agent is configured"):
        await scenario.admin.change_number(
            MAIN,
            SettingsChange(on=True, destination=Destination(DestinationKind.VOICE_AGENT, agent)),
        )

    await scenario.account(SettingsChange(), voice_agent=agent)
    await scenario.admin.change_number(
        MAIN, SettingsChange(on=True, destination=Destination(DestinationKind.VOICE_AGENT, agent))
    )
    await scenario.synced()
    call = await scenario.call(MAIN)
    await call.wait_answered()

    assert (await scenario.reached(AGENT)).role == "pstn"
    await call.hangup()
    assert (await scenario.call_record(MAIN)).answered_kind == "voice_agent"


async def test_a_backup_pbx_reached_over_sip_answers(scenario: Scenario) -> None:
    await scenario.tracking_number(
        MAIN,
        on=True,
        destination=Destination(DestinationKind.SIP, via_pstn_trunk(scenario, BACKUP_PBX)),
    )

    await (await scenario.call(MAIN)).wait_answered()

    assert (await scenario.reached(BACKUP_PBX)).role == "pstn"


async def test_when_every_destination_fails_the_call_is_handed_to_the_line_voicemail(
    scenario: Scenario,
) -> None:
    await scenario.line("sales", destination=external(CELL_PHONE))
    await scenario.tracking_number(SALES, line="sales")
    await scenario.stack.set_behavior(SALES, "reject:503")
    await scenario.stack.set_behavior(CELL_PHONE, "reject:486")

    await scenario.call(SALES)
    record = await scenario.call_record(SALES)

    assert [(a.kind, a.result) for a in record.attempts] == [
        ("primary", "congestion"),
        ("external", "busy"),
        ("voicemail", "handed_over"),
    ]
    assert [a.sip_code for a in record.attempts] == [503, 486, None]
    assert (record.answered_kind, record.answered_target) == ("voicemail", "sales")


async def test_setting_a_tracking_number_as_its_own_failover_is_refused_and_nothing_changes(
    scenario: Scenario,
) -> None:
    await scenario.tracking_number(MAIN)
    await scenario.tracking_number(SALES)
    before = await scenario.store.load_snapshot()
    audit_before = await scenario.store.audit_entries()

    with pytest.raises(FailoverLoop, match="loop back"):
        await scenario.admin.change_number(MAIN, SettingsChange(destination=external(MAIN)))
    with pytest.raises(FailoverLoop):
        await scenario.admin.change_account(SettingsChange(destination=external(SALES)))

    assert await scenario.store.load_snapshot() == before
    assert await scenario.store.audit_entries() == audit_before


async def test_every_change_is_in_the_audit_log_with_old_and_new_values(
    scenario: Scenario,
) -> None:
    await scenario.tracking_number(MAIN)
    await scenario.admin.change_number(MAIN, SettingsChange(on=True))

    latest = (await scenario.store.audit_entries(1))[0]
    assert (latest.actor, latest.action, latest.subject) == ("test", "number.set", MAIN)
    assert latest.old_value["continuity_on"] is None
    assert latest.new_value["continuity_on"] is True
