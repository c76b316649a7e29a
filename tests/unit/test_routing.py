"""The routing chain, without I/O: who picks up when a caller dials a tracking number."""

from __future__ import annotations

import datetime as dt

from continuity.core.causes import SIP_TO_Q850
from continuity.core.model import (
    AccountSettings,
    ContinuitySettings,
    Destination,
    DestinationKind,
    ForwardingNumber,
    Line,
    LineKind,
    Snapshot,
    TrackingNumber,
    TrunkHealth,
)
from continuity.core.routing import PlanReason, plan_route

MAIN = "+12125550101"
ANSWERING_SERVICE = Destination(DestinationKind.EXTERNAL, "+13125550150")
CELL_PHONE = Destination(DestinationKind.EXTERNAL, "+13125550199")
PRIMARY = Destination(DestinationKind.PRIMARY, MAIN)
T0 = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


def box(line: str) -> Destination:
    return Destination(DestinationKind.VOICEMAIL, line)


def state(
    *numbers: TrackingNumber,
    lines: tuple[Line, ...] = (),
    on: bool = False,
    enabled: bool = True,
    default: Destination | None = ANSWERING_SERVICE,
    voice_agent: str | None = None,
) -> Snapshot:
    account = AccountSettings(ContinuitySettings(on, enabled, default), voice_agent=voice_agent)
    return Snapshot(account, {n.number: n for n in numbers}, {ln.id: ln for ln in lines})


def number(
    *,
    line: str | None = None,
    on: bool | None = None,
    enabled: bool | None = None,
    destination: Destination | None = None,
) -> TrackingNumber:
    return TrackingNumber(MAIN, line=line, continuity=ContinuitySettings(on, enabled, destination))


def test_normally_the_primary_answers_and_the_answering_service_backs_it_up() -> None:
    plan = plan_route(state(number()), MAIN)
    assert plan.reason is PlanReason.NORMAL
    assert plan.destinations == (PRIMARY, ANSWERING_SERVICE)


def test_the_primary_fails_over_on_503_and_timeouts_but_not_on_busy_not_found_or_declined() -> None:
    primary = plan_route(state(number()), MAIN).steps[0]
    for code in (408, 480, 503, 504):
        assert primary.hands_on(SIP_TO_Q850[code]), code
    for code in (486, 404, 603):
        assert not primary.hands_on(SIP_TO_Q850[code]), code
    assert primary.hands_on(19)  # rang out
    assert primary.hands_on(20)  # no contact: transport failure


def test_a_continuity_destination_hands_on_for_any_failure() -> None:
    plan = plan_route(state(number(), lines=(Line("main", LineKind.MAIN),)), MAIN)
    assert plan.steps[1].hands_on(17)


def test_the_primary_can_be_asked_for_another_number() -> None:
    plan = plan_route(state(TrackingNumber(MAIN, primary_target="+12125550188")), MAIN)
    assert plan.destinations[0] == Destination(DestinationKind.PRIMARY, "+12125550188")


def test_with_continuity_on_globally_the_primary_is_skipped() -> None:
    plan = plan_route(state(number(), on=True), MAIN)
    assert plan.reason is PlanReason.CONTINUITY
    assert plan.destinations == (ANSWERING_SERVICE,)


def test_a_per_number_destination_beats_the_default_and_clearing_it_restores_it() -> None:
    assert plan_route(state(number(destination=CELL_PHONE), on=True), MAIN).destinations == (
        CELL_PHONE,
    )
    assert plan_route(state(number(), on=True), MAIN).destinations == (ANSWERING_SERVICE,)


def test_a_line_switched_off_beats_a_global_on() -> None:
    sales = Line("sales", LineKind.DEPARTMENT, continuity=ContinuitySettings(on=False))
    plan = plan_route(state(number(line="sales"), lines=(sales,), on=True), MAIN)
    assert plan.destinations[0] == PRIMARY


def test_a_number_setting_beats_its_line() -> None:
    sales = Line("sales", LineKind.DEPARTMENT, continuity=ContinuitySettings(on=False))
    plan = plan_route(state(number(line="sales", on=True), lines=(sales,)), MAIN)
    assert plan.reason is PlanReason.CONTINUITY


def test_with_continuity_disabled_its_settings_play_no_part() -> None:
    sales = Line("sales", LineKind.DEPARTMENT)
    plan = plan_route(state(number(line="sales", on=True), lines=(sales,), enabled=False), MAIN)
    assert plan.destinations == (PRIMARY,)


def test_voicemail_always_comes_last_and_a_pstn_number_before_it() -> None:
    sales = Line(
        "sales", LineKind.DEPARTMENT, continuity=ContinuitySettings(destination=CELL_PHONE)
    )
    plan = plan_route(state(number(line="sales"), lines=(sales,)), MAIN)
    assert plan.destinations == (PRIMARY, CELL_PHONE, box("sales"))
    assert plan.line == "sales"


def test_a_number_without_a_line_reaches_the_main_line_box() -> None:
    plan = plan_route(state(number(), lines=(Line("main", LineKind.MAIN),), on=True), MAIN)
    assert plan.destinations == (ANSWERING_SERVICE, box("main"))


def test_a_voicemail_destination_sends_calls_straight_to_the_box() -> None:
    sales = Line(
        "sales",
        LineKind.DEPARTMENT,
        continuity=ContinuitySettings(on=True, destination=box("sales")),
    )
    plan = plan_route(state(number(line="sales"), lines=(sales,)), MAIN)
    assert plan.destinations == (box("sales"),)


def test_a_user_reaches_the_most_recently_verified_forwarding_number() -> None:
    jdoe = Line(
        "jdoe",
        LineKind.USER,
        forwarding=(
            ForwardingNumber("+13125550161", T0, verified_at=T0 + dt.timedelta(days=2)),
            ForwardingNumber("+13125550162", T0, verified_at=T0 + dt.timedelta(days=1)),
            ForwardingNumber("+13125550163", T0 + dt.timedelta(days=3)),  # newest, unverified
        ),
    )
    plan = plan_route(state(number(line="jdoe"), lines=(jdoe,), default=None, on=True), MAIN)
    assert plan.destinations == (Destination(DestinationKind.EXTERNAL, "+13125550161"), box("jdoe"))


def test_a_user_with_no_verified_number_goes_to_voicemail() -> None:
    jdoe = Line("jdoe", LineKind.USER, forwarding=(ForwardingNumber("+13125550163", T0),))
    plan = plan_route(state(number(line="jdoe"), lines=(jdoe,), default=None, on=True), MAIN)
    assert plan.destinations == (box("jdoe"),)


def test_a_voice_agent_counts_only_while_one_is_configured() -> None:
    agent = Destination(DestinationKind.VOICE_AGENT, "agent")
    assert plan_route(
        state(number(destination=agent), on=True, voice_agent="agent"), MAIN
    ).destinations == (agent,)
    assert plan_route(state(number(destination=agent), on=True), MAIN).destinations == (
        ANSWERING_SERVICE,
    )


def test_test_mode_sends_only_that_lines_calls_to_failover() -> None:
    sales = Line("sales", LineKind.DEPARTMENT, test_mode=True)
    other = TrackingNumber("+12125550102")
    snapshot = state(number(line="sales"), other, lines=(sales,))
    assert plan_route(snapshot, MAIN).reason is PlanReason.TEST_MODE
    assert plan_route(snapshot, MAIN).destinations[0] == ANSWERING_SERVICE
    assert plan_route(snapshot, other.number).reason is PlanReason.NORMAL


def test_a_known_primary_outage_skips_the_primary() -> None:
    plan = plan_route(state(number()), MAIN, TrunkHealth(primary_down=True))
    assert plan.reason is PlanReason.OUTAGE
    assert plan.destinations == (ANSWERING_SERVICE,)


def test_continuity_on_with_nowhere_to_go_still_reaches_the_primary() -> None:
    plan = plan_route(state(number(), on=True, default=None), MAIN)
    assert plan.destinations == (PRIMARY,)


def test_a_number_we_do_not_terminate_gets_no_route() -> None:
    plan = plan_route(state(number()), "+12125550177")
    assert not plan.known
    assert plan.steps == ()
