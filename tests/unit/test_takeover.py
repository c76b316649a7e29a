"""What a new run does with each call it finds in Stasis but does not own (pure)."""

from __future__ import annotations

from continuity.core.takeover import Adopt, HangUp, Listed, Resume, take_over

CALLER = "pbx-1.7"


def caller(*, up: bool = False, bridged: bool = False, in_app: bool = True) -> Listed:
    return Listed(CALLER, CALLER, None, in_app, up, bridged, "+12125550101", "+13125550111")


def leg(step: int, *, up: bool = False, bridged: bool = False) -> Listed:
    # A leg enters Stasis only once answered.
    return Listed(f"{CALLER}~{step}", CALLER, step, up, up, bridged)


def test_a_caller_whose_primary_was_ringing_moves_on_to_the_next_step_at_once() -> None:
    ringing = leg(0)
    assert take_over([caller(), ringing], frozenset()) == [
        HangUp(ringing.id, "its attempt is abandoned"),
        Resume(caller(), 1, 0),
    ]


def test_a_caller_with_no_leg_is_routed_from_the_start() -> None:
    assert take_over([caller()], frozenset()) == [Resume(caller(), 0, None)]


def test_a_bridged_call_is_adopted_and_goes_on() -> None:
    talking = leg(1, up=True, bridged=True)
    [action] = take_over([caller(up=True, bridged=True), talking], frozenset())
    assert action == Adopt(caller(up=True, bridged=True), talking)
    assert isinstance(action, Adopt) and action.bridged


def test_an_answered_leg_not_yet_bridged_is_adopted_to_be_bridged() -> None:
    answered = leg(0, up=True)
    [action] = take_over([caller(), answered], frozenset())
    assert isinstance(action, Adopt) and not action.bridged


def test_a_lone_answered_caller_and_a_leg_without_its_caller_are_hung_up() -> None:
    assert take_over([caller(up=True, bridged=True)], frozenset()) == [
        HangUp(CALLER, "its other side hung up")
    ]
    survivor = leg(0, up=True, bridged=True)
    assert take_over([survivor], frozenset()) == [HangUp(survivor.id, "its caller is gone")]


def test_a_caller_in_voicemail_is_left_alone_and_calls_this_run_owns_untouched() -> None:
    assert take_over([caller(up=True, in_app=False)], frozenset()) == []
    assert take_over([caller(), leg(0)], frozenset({CALLER})) == []


def test_a_call_bridged_in_dialplan_is_adopted_and_goes_on() -> None:
    # The caller left our app for the bridge context; its Bridge() holds the leg.
    bridging = Listed(CALLER, CALLER, None, False, True, False, "1", in_bridge_context=True)
    talking = leg(1, up=True)
    [action] = take_over([bridging, talking], frozenset())
    assert action == Adopt(bridging, talking)
    assert isinstance(action, Adopt) and action.in_dialplan and action.bridged


def test_a_caller_in_the_bridge_context_whose_leg_is_gone_is_hung_up() -> None:
    bridging = Listed(CALLER, CALLER, None, False, True, False, "1", in_bridge_context=True)
    assert take_over([bridging], frozenset()) == [HangUp(CALLER, "its other side hung up")]
