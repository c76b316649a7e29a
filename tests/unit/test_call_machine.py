"""Every path of a call through the pure state machine, without Asterisk.

Each test places a call (a caller id ``C`` and legs ``C~0``, ``C~1``...) and
reads back what the app would tell Asterisk and the record it would write.
"""

from __future__ import annotations

from continuity import names
from continuity.core.call import Phase, Policy
from continuity.core.call.commands import (
    Answer,
    Bridge,
    ContinueInDialplan,
    HangUp,
    Originate,
    Play,
    Record,
    ReleaseBridge,
    Ring,
    Watch,
)
from continuity.core.call.events import (
    Adopt,
    AnnouncementFinished,
    CallerEntered,
    CallerGone,
    CaughtUp,
    CommandFailed,
    Failure,
    LegAnswered,
    LegGone,
    LegRinging,
    Resume,
    Traced,
)
from continuity.core.model import Destination, DestinationKind
from continuity.core.outcome import Outcome
from continuity.core.records import RoutedBy
from tests.unit.call_machine_helpers import (
    ANSWERING_SERVICE,
    MAIN,
    PRIMARY,
    SERVICE,
    UNKNOWN,
    VOICEMAIL,
    a_call,
    plan,
)

C = "1733050000.42"


def test_the_primary_answers_and_is_bridged_until_the_caller_hangs_up() -> None:
    call = a_call(plan(PRIMARY, SERVICE, VOICEMAIL))

    [dial] = call.on(CallerEntered())
    assert isinstance(dial, Originate)
    assert (dial.leg_id, dial.endpoint, dial.timeout) == (
        f"{C}~0",
        f"PJSIP/{MAIN}@{names.ENDPOINT_PRIMARY}",
        20,
    )
    assert dial.variables[names.VAR_TRACKING_NUMBER] == MAIN
    assert dial.variables["CHANNEL(hangup_handler_push)"] == f"{names.CTX_LEG_HANGUP},s,1"
    assert "REDIRECTING(from-num,i)" not in dial.variables  # the primary keeps the call as is

    assert call.on(LegRinging(f"{C}~0")) == [Ring(C)]
    assert call.on(LegRinging(f"{C}~0")) == []  # told once
    # The caller is answered and bridged with the leg in the call's ARI bridge: both
    # stay in our app (no channel is yanked out of it, as a Bridge() in dialplan did).
    assert call.on(LegAnswered(f"{C}~0")) == [Answer(C), Bridge(C, (C, f"{C}~0"))]
    assert call.call.phase is Phase.ARI_BRIDGED
    assert call.records == []  # still talking

    # The caller hangs up: its hangup handler hangs up the leg (generated dialplan),
    # and the call gives its bridge back.
    assert dial.variables[f"SHARED({names.VAR_CURRENT_LEG},{C})"] == f"{C}~0"
    assert call.on(CallerGone(), after=42.0) == [ReleaseBridge(C), Record(call.record)]
    assert call.on(LegGone(f"{C}~0", 16)) == []  # the leg's end comes after: nothing
    record = call.record
    assert (record.outcome, record.answered_kind, record.answered_target) == (
        Outcome.ANSWERED,
        "primary",
        MAIN,
    )
    assert [(a.kind, a.result) for a in record.attempts] == [("primary", "answered")]
    assert record.answered_at is not None and record.path is RoutedBy.APP
    assert (record.ended_at - record.answered_at).total_seconds() == 42.0  # the real end


def test_primary_503_answering_service_busy_then_voicemail_takes_the_call() -> None:
    call = a_call(plan(PRIMARY, SERVICE, VOICEMAIL))
    call.on(CallerEntered())
    [dial] = call.on(LegGone(f"{C}~0", 34, sip_code=503))
    assert isinstance(dial, Originate) and dial.leg_id == f"{C}~1"
    assert dial.endpoint == f"PJSIP/{ANSWERING_SERVICE}@{names.ENDPOINT_PSTN}"
    assert dial.variables["REDIRECTING(from-num,i)"] == MAIN
    assert dial.variables["REDIRECTING(reason,i)"] == "unavailable"  # the primary failed

    assert call.on(LegGone(f"{C}~1", 17, sip_code=486)) == [
        ContinueInDialplan(C, names.CTX_VOICEMAIL, "main")
    ]
    assert call.records == []  # the caller is in voicemail: the call goes on

    [record_it] = call.on(CallerGone())  # it leaves our app: dialplan has it
    record = call.record
    assert record_it == Record(record)
    assert record.outcome == Outcome.ANSWERED
    assert (record.answered_kind, record.answered_target) == ("voicemail", "main")
    assert [(a.kind, a.result, a.cause, a.sip_code) for a in record.attempts] == [
        ("primary", "congestion", 34, 503),
        ("external", "busy", 17, 486),
        ("voicemail", "handed_over", None, None),
    ]


def test_a_primary_that_rings_out_moves_the_call_on_as_no_answer() -> None:
    call = a_call(plan(PRIMARY, SERVICE, VOICEMAIL))
    call.on(CallerEntered())
    [dial] = call.on(LegGone(f"{C}~0", 19))
    assert isinstance(dial, Originate)
    assert dial.variables["REDIRECTING(reason,i)"] == "no-answer"


def test_a_busy_primary_is_not_a_failover_cause_the_caller_hears_busy() -> None:
    call = a_call(plan(PRIMARY, SERVICE, VOICEMAIL))
    call.on(CallerEntered())
    assert call.on(LegGone(f"{C}~0", 17, sip_code=486)) == [
        HangUp(C, "busy"),
        Record(call.record),
    ]
    assert call.record.outcome == Outcome.BUSY
    assert [(a.result, a.sip_code) for a in call.record.attempts] == [("busy", 486)]


def test_every_destination_failing_ends_the_call_with_congestion() -> None:
    call = a_call(plan(SERVICE))
    call.on(CallerEntered())
    assert call.on(LegGone(f"{C}~0", 34)) == [HangUp(C, "congestion"), Record(call.record)]
    assert call.record.outcome == Outcome.FAILED
    assert call.record.answered_kind is None


def test_a_destination_asterisk_cannot_place_counts_as_unreachable_and_the_chain_moves_on() -> None:
    call = a_call(plan(PRIMARY, SERVICE, VOICEMAIL))
    [dial] = call.on(CallerEntered())
    [next_dial] = call.on(CommandFailed(dial, Failure.REFUSED, "500 Allocation failed"))
    assert isinstance(next_dial, Originate) and next_dial.leg_id == f"{C}~1"
    assert call.call.attempts[0].result == Outcome.UNAVAILABLE
    assert call.call.attempts[0].cause == 20


def test_a_stale_originate_failure_changes_nothing() -> None:
    call = a_call(plan(PRIMARY, SERVICE, VOICEMAIL))
    [dial] = call.on(CallerEntered())
    call.on(LegGone(f"{C}~0", 34))
    assert call.on(CommandFailed(dial, Failure.REFUSED)) == []
    assert call.call.leg is not None and call.call.leg.channel_id == f"{C}~1"


def test_the_caller_hangs_up_while_the_primary_rings() -> None:
    call = a_call(plan(PRIMARY, SERVICE, VOICEMAIL))
    call.on(CallerEntered())
    call.on(LegRinging(f"{C}~0"))
    assert call.on(CallerGone()) == [HangUp(f"{C}~0"), Record(call.record)]
    assert call.record.outcome == Outcome.CALLER_HANGUP
    assert [a.result for a in call.record.attempts] == ["cancelled"]
    # The leg's own end arrives afterwards: the call is over, nothing more happens.
    assert call.on(LegGone(f"{C}~0", 16)) == []
    assert len(call.records) == 1


def test_the_answering_side_hangs_up_and_the_caller_is_released() -> None:
    call = a_call(plan(PRIMARY, SERVICE, VOICEMAIL))
    call.on(CallerEntered())
    call.on(LegAnswered(f"{C}~0"))
    # The leg's hangup handler hangs up the caller (generated dialplan).
    assert call.on(LegGone(f"{C}~0", 16)) == [ReleaseBridge(C), Record(call.record)]
    assert call.record.outcome == Outcome.ANSWERED
    assert [(a.kind, a.result) for a in call.record.attempts] == [("primary", "answered")]


def test_a_caller_gone_before_it_could_be_answered_or_bridged_ends_the_call() -> None:
    for failed in (0, 1):  # the answer, or the bridge
        call = a_call(plan(PRIMARY))
        call.on(CallerEntered())
        command = call.on(LegAnswered(f"{C}~0"))[failed]
        assert call.on(CommandFailed(command, Failure.GONE)) == [
            HangUp(f"{C}~0"),
            HangUp(C),
            ReleaseBridge(C),
            Record(call.record),
        ]
        assert call.record.answered_kind == "primary"


def test_a_leg_that_is_not_the_one_dialing_is_hung_up_when_it_answers() -> None:
    call = a_call(plan(PRIMARY, SERVICE))
    call.on(CallerEntered())
    assert call.on(LegAnswered(f"{C}~7")) == [HangUp(f"{C}~7")]
    call.on(LegAnswered(f"{C}~0"))
    assert call.on(LegAnswered(f"{C}~0")) == []  # told twice: bridged once


def test_an_unknown_number_is_rejected_with_the_configured_cause() -> None:
    call = a_call(UNKNOWN)
    assert call.on(CallerEntered()) == [HangUp(C, "unallocated"), Record(call.record)]
    assert call.record.outcome == Outcome.UNKNOWN_NUMBER
    assert call.record.reason == "unknown_number"


def test_an_unknown_number_hears_the_announcement_then_is_hung_up() -> None:
    call = a_call(UNKNOWN, Policy(unknown_action="announce", unknown_value="ss-noservice"))
    assert call.on(CallerEntered()) == [
        Answer(C),
        Play(C, "sound:ss-noservice", f"{C}~announce"),
    ]
    assert call.on(AnnouncementFinished()) == [HangUp(C), Record(call.record)]
    assert call.record.outcome == Outcome.UNKNOWN_NUMBER


def test_an_announcement_that_cannot_play_ends_the_call() -> None:
    call = a_call(UNKNOWN, Policy(unknown_action="announce", unknown_value="ss-noservice"))
    [_, play] = call.on(CallerEntered())
    assert call.on(CommandFailed(play, Failure.REFUSED)) == [HangUp(C), Record(call.record)]


def test_a_caller_that_cannot_be_answered_for_its_announcement_is_hung_up() -> None:
    call = a_call(UNKNOWN, Policy(unknown_action="announce", unknown_value="ss-noservice"))
    [answer, _] = call.on(CallerEntered())
    assert call.on(CommandFailed(answer, Failure.REFUSED)) == [HangUp(C), Record(call.record)]


def test_an_overloaded_app_hands_the_caller_to_the_fallback_dialplan() -> None:
    call = a_call(plan(PRIMARY, VOICEMAIL), Policy(handoff_after=0.5))
    assert call.on(CallerEntered(waited=0.7)) == [ContinueInDialplan(C, names.CTX_FALLBACK, MAIN)]
    assert call.on(CallerGone()) == [Record(call.record)]  # left for the fallback
    record = call.record
    assert record.outcome == Outcome.HANDED_TO_FALLBACK
    assert record.path is RoutedBy.HANDED_TO_FALLBACK
    assert record.attempts == ()


def test_a_slow_asterisk_hands_the_caller_off_too() -> None:
    call = a_call(plan(PRIMARY), Policy(handoff_after=0.5))
    [command] = call.on(CallerEntered(waited=0.0, lag=0.9))
    assert command == ContinueInDialplan(C, names.CTX_FALLBACK, MAIN)


def test_an_unknown_number_is_never_handed_off() -> None:
    call = a_call(UNKNOWN, Policy(handoff_after=0.0))
    assert call.on(CallerEntered(waited=3.0)) == [HangUp(C, "unallocated"), Record(call.record)]


def test_a_refused_hand_off_routes_the_call_here() -> None:
    call = a_call(plan(PRIMARY, VOICEMAIL), Policy(handoff_after=0.0))
    [handoff] = call.on(CallerEntered())
    [dial] = call.on(CommandFailed(handoff, Failure.REFUSED, "409"))
    assert isinstance(dial, Originate) and dial.leg_id == f"{C}~0"
    call.on(LegAnswered(f"{C}~0"))
    call.on(LegGone(f"{C}~0", 16))
    assert (call.record.outcome, call.record.path) == (Outcome.ANSWERED, RoutedBy.APP)


# -- dialing = dialplan: the app plans, the generated dialplan of its state dials -------
LABEL = "v7-primary-up"


def test_the_app_sends_a_planned_caller_to_the_dialplan_of_its_state_in_one_request() -> None:
    call = a_call(plan(PRIMARY, VOICEMAIL))
    assert call.on(CallerEntered(dialplan_label=LABEL)) == [
        ContinueInDialplan(C, names.CTX_TRACKING, MAIN, label=LABEL)
    ]
    assert call.on(CallerGone()) == []  # the dialplan dials it now
    assert call.call.phase is Phase.IN_DIALPLAN
    assert call.on(Traced()) == []  # Asterisk's trace is its record
    assert call.call.ended and call.records == []


def test_a_call_the_dialplan_dialed_whose_trace_never_came_gets_the_apps_record() -> None:
    """Asterisk restarted mid-call (no hangup handler ran), or its trace line was lost."""
    call = a_call(plan(PRIMARY, VOICEMAIL))
    call.on(CallerEntered(dialplan_label=LABEL))
    call.on(CallerGone())
    assert call.on(CaughtUp({C: False})) == []  # still up in the dialplan
    assert call.on(CaughtUp({})) == [Record(call.record)]  # not hung up: not ours
    record = call.record
    assert (record.outcome, record.path) == (Outcome.HANDED_OVER, RoutedBy.DIALPLAN)


def test_asterisk_holding_another_state_refuses_the_caller_and_the_app_dials_it() -> None:
    call = a_call(plan(PRIMARY, VOICEMAIL))
    [entry] = call.on(CallerEntered(dialplan_label=LABEL))
    [dial] = call.on(CommandFailed(entry, Failure.REFUSED, "Requested label can not be found"))
    assert isinstance(dial, Originate) and dial.leg_id == f"{C}~0"
    call.on(LegAnswered(f"{C}~0"))
    call.on(LegGone(f"{C}~0", 16))
    assert (call.record.outcome, call.record.path) == (Outcome.ANSWERED, RoutedBy.APP)


def test_an_unknown_number_is_answered_by_the_app_even_when_the_dialplan_dials() -> None:
    call = a_call(UNKNOWN)
    assert call.on(CallerEntered(dialplan_label=LABEL)) == [
        HangUp(C, "unallocated"),
        Record(call.record),
    ]


def test_an_overloaded_app_hands_off_rather_than_to_the_dialplan_entry() -> None:
    call = a_call(plan(PRIMARY), Policy(handoff_after=0.5))
    [command] = call.on(CallerEntered(waited=0.9, dialplan_label=LABEL))
    assert command == ContinueInDialplan(C, names.CTX_FALLBACK, MAIN)


def test_a_caller_gone_before_the_hand_off_is_recorded_without_hanging_up() -> None:
    call = a_call(plan(PRIMARY), Policy(handoff_after=0.0))
    [handoff] = call.on(CallerEntered())
    assert call.on(CommandFailed(handoff, Failure.GONE)) == [Record(call.record)]


def test_a_voicemail_box_that_cannot_take_the_call_ends_it() -> None:
    call = a_call(plan(VOICEMAIL))
    [handoff] = call.on(CallerEntered())
    assert call.on(CommandFailed(handoff, Failure.REFUSED)) == [
        HangUp(C, "congestion"),
        Record(call.record),
    ]
    assert call.record.outcome == Outcome.FAILED
    assert [(a.kind, a.result) for a in call.record.attempts] == [("voicemail", "unavailable")]


def test_a_call_taken_over_mid_chain_resumes_at_the_next_step() -> None:
    call = a_call(plan(PRIMARY, SERVICE, VOICEMAIL), path=RoutedBy.TAKEN_OVER)
    [dial] = call.on(Resume(step=1, interrupted=0))
    assert isinstance(dial, Originate) and dial.leg_id == f"{C}~1"
    call.on(LegAnswered(f"{C}~1"))
    call.on(LegGone(f"{C}~1", 16))
    record = call.record
    assert record.path is RoutedBy.TAKEN_OVER
    assert [(a.kind, a.result) for a in record.attempts] == [
        ("primary", "interrupted"),
        ("external", "answered"),
    ]


def test_a_call_taken_over_after_its_answer_is_bridged_by_this_run() -> None:
    call = a_call(plan(PRIMARY, SERVICE), path=RoutedBy.TAKEN_OVER)
    assert call.on(Adopt(f"{C}~1", None, bridged=False)) == [
        Answer(C),
        Bridge(C, (C, f"{C}~1")),
    ]
    call.on(LegGone(f"{C}~1", 16))
    assert (call.record.answered_kind, call.record.answered_target) == (
        "external",
        ANSWERING_SERVICE,
    )


def test_a_call_bridged_in_dialplan_when_taken_over_is_watched_and_recorded_at_its_end() -> None:
    agent = Destination(DestinationKind.VOICE_AGENT, "agent")
    call = a_call(plan(PRIMARY, SERVICE), path=RoutedBy.TAKEN_OVER)
    # The leg's end must reach this run: it subscribes to it.
    assert call.on(Adopt(f"{C}~1", agent, bridged=True, in_dialplan=True)) == [Watch(f"{C}~1")]
    assert call.on(CallerGone()) == []
    assert call.on(LegGone(f"{C}~1", 16)) == [Record(call.record)]
    assert (call.record.answered_kind, call.record.answered_target) == ("voice_agent", "agent")
    assert call.record.path is RoutedBy.TAKEN_OVER


def test_a_taken_over_call_whose_leg_ended_before_it_was_watched_is_recorded_at_once() -> None:
    call = a_call(plan(PRIMARY), path=RoutedBy.TAKEN_OVER)
    [watch] = call.on(Adopt(f"{C}~0", None, bridged=True, in_dialplan=True))
    assert call.on(CommandFailed(watch, Failure.GONE)) == [Record(call.record)]
    assert call.on(CommandFailed(watch, Failure.REFUSED)) == []  # ended: nothing more


def test_a_call_in_an_ari_bridge_taken_over_is_released_and_its_bridge_given_back() -> None:
    agent = Destination(DestinationKind.VOICE_AGENT, "agent")
    call = a_call(plan(PRIMARY, SERVICE), path=RoutedBy.TAKEN_OVER)
    assert call.on(Adopt(f"{C}~1", agent, bridged=True)) == []
    assert call.on(LegGone(f"{C}~1", 16)) == [ReleaseBridge(C), Record(call.record)]
    assert (call.record.answered_kind, call.record.answered_target) == ("voice_agent", "agent")
    assert call.record.path is RoutedBy.TAKEN_OVER


def test_after_a_reconnection_a_call_whose_caller_vanished_is_ended() -> None:
    call = a_call(plan(PRIMARY))
    call.on(CallerEntered())
    assert call.on(CaughtUp({})) == [HangUp(f"{C}~0"), HangUp(C), Record(call.record)]


def test_after_a_reconnection_a_leg_that_ended_unheard_moves_the_call_on() -> None:
    call = a_call(plan(PRIMARY, SERVICE, VOICEMAIL))
    call.on(CallerEntered())
    [dial] = call.on(CaughtUp({C: True}))
    assert isinstance(dial, Originate) and dial.leg_id == f"{C}~1"
    assert call.call.attempts[0].result == Outcome.NOANSWER


def test_after_a_reconnection_a_leg_that_answered_unheard_is_bridged() -> None:
    call = a_call(plan(PRIMARY))
    call.on(CallerEntered())
    assert call.on(CaughtUp({C: True, f"{C}~0": True})) == [
        Answer(C),
        Bridge(C, (C, f"{C}~0")),
    ]
    assert call.on(CaughtUp({C: True, f"{C}~0": True})) == []  # nothing more to catch up
    assert call.on(CaughtUp({C: True})) == [HangUp(C), ReleaseBridge(C), Record(call.record)]


def test_after_a_reconnection_a_call_bridged_in_dialplan_is_watched_again() -> None:
    call = a_call(plan(PRIMARY), path=RoutedBy.TAKEN_OVER)
    call.on(Adopt(f"{C}~0", None, bridged=True, in_dialplan=True))
    assert call.on(CaughtUp({C: False, f"{C}~0": False})) == [Watch(f"{C}~0")]
    assert call.on(CaughtUp({C: False})) == [Record(call.record)]  # its leg ended meanwhile


def test_a_ringing_leg_still_ringing_after_a_reconnection_is_left_alone() -> None:
    call = a_call(plan(PRIMARY))
    call.on(CallerEntered())
    assert call.on(CaughtUp({C: True, f"{C}~0": False})) == []
    assert call.call.phase is Phase.DIALING


def test_a_call_already_routing_ignores_a_second_arrival() -> None:
    call = a_call(plan(PRIMARY))
    call.on(CallerEntered())
    assert call.on(CallerEntered()) == []
    assert call.on(Resume(step=0, interrupted=None)) == []
