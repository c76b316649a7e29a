"""Whatever Asterisk does, in whatever order: properties every call keeps.

Hypothesis drives one call through random event sequences (legs ringing,
answering and failing with random causes, the caller leaving, requests failing,
reconnections, takeovers, the bridge deadline) and then hangs the caller up, as
Asterisk would end it: a caller bridged in dialplan takes its leg with it.
"""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from continuity.core.call import Phase, Policy
from continuity.core.call.commands import (
    Bridge,
    Command,
    ContinueInDialplan,
    HangUp,
    Originate,
    ReleaseBridge,
    Watch,
)
from continuity.core.call.events import (
    Adopt,
    AnnouncementFinished,
    CallerEntered,
    CallerGone,
    CaughtUp,
    CommandFailed,
    Event,
    Failure,
    LegAnswered,
    LegGone,
    LegRinging,
    Resume,
    Traced,
)
from continuity.core.model import DestinationKind
from continuity.core.outcome import Outcome
from continuity.core.records import RoutedBy
from continuity.core.routing import RoutePlan
from tests.unit.call_machine_helpers import (
    PRIMARY,
    SERVICE,
    UNKNOWN,
    VOICEMAIL,
    Driven,
    a_call,
    plan,
)

C = "1733050000.42"
LEGS = [f"{C}~{i}" for i in range(4)]
CAUSES = [None, 1, 16, 17, 18, 19, 20, 21, 34, 38, 102]

plans = st.one_of(
    st.just(UNKNOWN),
    st.lists(st.sampled_from([PRIMARY, SERVICE]), max_size=3).flatmap(
        lambda steps: st.sampled_from(
            [plan(*steps), plan(*steps, VOICEMAIL)] if steps else [plan(VOICEMAIL)]
        )
    ),
)
policies = st.builds(
    Policy,
    unknown_action=st.sampled_from(["reject", "announce"]),
    unknown_value=st.just("ss-noservice"),
    handoff_after=st.sampled_from([0.0, 0.5, 0.5, 0.5, 10.0]),
)
#: "current" stands for the leg being dialed when the event comes, if any.
CURRENT = "current"
legs = st.sampled_from([*LEGS, CURRENT, CURRENT, CURRENT, CURRENT])
# A command to fail is picked among those issued so far, by position.
FAIL = "fail"
leg_events = st.one_of(
    st.builds(LegRinging, legs),
    st.builds(LegAnswered, legs),
    st.builds(LegGone, legs, st.sampled_from(CAUSES), st.sampled_from([None, 503])),
)
# After a reconnection: the caller is mostly still there, its legs maybe not.
live = st.builds(
    lambda caller, channels: {**channels, **({C: True} if caller else {})},
    st.sampled_from([True, True, True, False]),
    st.dictionaries(st.sampled_from(LEGS), st.booleans(), max_size=4),
)
events = st.one_of(
    leg_events,
    leg_events,
    leg_events,
    leg_events,
    st.builds(
        CallerEntered,
        waited=st.sampled_from([0.0, 1.0]),
        lag=st.just(0.0),
        dialplan_label=st.sampled_from([None, "v1-primary-up"]),
    ),
    st.just(CallerGone()),
    st.just(AnnouncementFinished()),
    st.builds(Resume, st.integers(0, 3), st.sampled_from([None, 0, 1])),
    st.builds(Adopt, legs, st.none(), st.booleans(), st.booleans()),
    st.builds(CaughtUp, live),
    st.just(Traced()),
    st.tuples(st.just(FAIL), st.integers(0, 20), st.sampled_from(list(Failure))),
)


def _run(route: RoutePlan, policy: Policy, script: list[object]) -> tuple[Driven, list[Event]]:
    call = a_call(route, policy)
    seen: list[Event] = []
    for item in script:
        after = 0.1
        if isinstance(item, tuple):
            _, index, failure = item
            issued = [c for c in call.commands if not isinstance(c, HangUp)]
            if not issued:
                continue
            event: Event = CommandFailed(issued[index % len(issued)], failure)
        else:
            event = _current(item, call)  # type: ignore[arg-type]
        before = call.call
        produced = call.on(event, after)
        seen.append(event)
        _check_no_dead_end(before, event, produced)
        _check_alive(call)
        if isinstance(event, CallerGone) and call.call.ended and before.leg is not None:
            # The caller hung up: its hangup handler hangs up its current leg
            # (generated dialplan), whose end then reaches us.
            gone = LegGone(before.leg.channel_id, 16)
            call.on(gone, after)
            seen.append(gone)
    for event in _caller_hangs_up(call):
        call.on(event, 10.0)
        seen.append(event)
    return call, seen


def _caller_hangs_up(call: Driven) -> list[Event]:
    """What Asterisk tells the app when the caller hangs up now."""
    state = call.call
    if state.ended:
        return []
    if state.leg is not None:
        # Asterisk hangs up the leg: its Bridge() (an older version's) ends, or the
        # caller's hangup handler does it; the leg's end reaches us.
        return [CallerGone(), LegGone(state.leg.channel_id, 16)]
    if state.path is RoutedBy.DIALPLAN:  # the generated dialplan dials it: its trace comes
        return [CallerGone(), Traced()]
    return [CallerGone()]


def _current(event: Event, call: Driven) -> Event:
    leg = call.call.leg.channel_id if call.call.leg is not None else f"{C}~0"
    leg_events = LegRinging | LegAnswered | LegGone | Adopt
    if isinstance(event, leg_events) and event.leg_id == CURRENT:
        return replace(event, leg_id=leg)
    return event


def _check_alive(call: Driven) -> None:
    """A call not ended is always waiting on something: a leg, the announcement,
    dialplan, or its first event."""
    state = call.call
    if state.ended:
        return
    if state.phase is Phase.ROUTING:
        assert state.step == -1 and state.leg is None
    elif state.phase is Phase.DIALING:
        assert state.leg is not None and not state.leg.answered
    elif state.talking:
        assert state.leg is not None and state.leg.answered and state.answered_at is not None
    else:
        # The announcement, the dialplan, or (the dialplan dialing it) Asterisk's trace.
        assert state.phase in (Phase.ANNOUNCING, Phase.HANDED_OVER, Phase.IN_DIALPLAN)


def _check_no_dead_end(before: object, event: Event, produced: list[Command]) -> None:
    """After a leg fails with a cause that hands on, the next command dials the
    next step (or hands the caller to its voicemail box), if a step remains."""
    from continuity.core.call.state import Call

    assert isinstance(before, Call)
    if not (
        isinstance(event, LegGone)
        and before.phase is Phase.DIALING
        and before.leg_is(event.leg_id)
        and before.leg is not None
        and before.leg.step.hands_on(event.cause)
    ):
        return
    following = before.step + 1
    if following >= len(before.plan.steps):
        return
    nxt = before.plan.steps[following]
    first = produced[0]
    if nxt.destination.kind is DestinationKind.VOICEMAIL:
        assert isinstance(first, ContinueInDialplan) and first.extension == nxt.destination.target
    else:
        assert isinstance(first, Originate) and first.leg_id == f"{C}~{following}"


@settings(max_examples=400, deadline=None)
@given(plans, policies, st.lists(events, max_size=16), st.booleans())
def test_every_call_ends_with_one_record_and_no_leg_left_up(
    route: RoutePlan, policy: Policy, script: list[object], enters: bool
) -> None:
    if enters:  # most calls start the usual way: the caller enters, the app is on time
        script = [CallerEntered(), *script]
    call, seen = _run(route, policy, script)

    assert call.call.ended
    if any(isinstance(e, Traced) for e in seen) and not call.records:
        # The generated dialplan dialed it: Asterisk's trace, recorded, is its one record.
        assert call.call.path is RoutedBy.DIALPLAN
    else:
        [record] = call.records  # exactly one record, whatever happened
        assert isinstance(record.outcome, Outcome)
        assert all(isinstance(a.result, Outcome) for a in record.attempts)

    # Every leg the app created is hung up by it, or ended by itself.
    failed = {
        e.command.leg_id
        for e in seen
        if isinstance(e, CommandFailed) and isinstance(e.command, Originate)
    }
    created = {c.leg_id for c in call.commands if isinstance(c, Originate)} - failed
    created |= {c.channel_id for c in call.commands if isinstance(c, Watch)}
    created |= {  # the legs it bridged (one it adopted included)
        leg for c in call.commands if isinstance(c, Bridge) for leg in c.channel_ids if leg != C
    }
    hung_up = {c.channel_id for c in call.commands if isinstance(c, HangUp)}
    gone = {e.leg_id for e in seen if isinstance(e, LegGone)}
    gone |= {  # a leg no longer there to watch
        e.command.channel_id
        for e in seen
        if isinstance(e, CommandFailed)
        and isinstance(e.command, Watch)
        and e.failure is Failure.GONE
    }
    for e in seen:
        if isinstance(e, CaughtUp):
            gone |= {leg for leg in created if leg not in e.live}
    assert created <= hung_up | gone

    # Every call that took a bridge releases it.
    bridged = {c.call_id for c in call.commands if isinstance(c, Bridge)}
    assert bridged <= {c.call_id for c in call.commands if isinstance(c, ReleaseBridge)}


#: What happens next to the leg being dialed, in a call that goes the usual way.
ACTIONS = st.sampled_from(["ring", "fail", "fail", "fail", "answer", "refused", "unheard", "leave"])


@settings(max_examples=300, deadline=None)
@given(
    plans.filter(lambda p: p.known),
    st.lists(st.tuples(ACTIONS, st.sampled_from(CAUSES)), min_size=1, max_size=8),
)
def test_a_call_down_its_chain_never_dead_ends(
    route: RoutePlan, actions: list[tuple[str, int | None]]
) -> None:
    script: list[object] = [CallerEntered()]
    for action, cause in actions:
        event: object = {
            "ring": LegRinging(CURRENT),
            "fail": LegGone(CURRENT, cause),
            "answer": LegAnswered(CURRENT),
            "unheard": CaughtUp({C: True}),
            "leave": CallerGone(),
        }.get(action, (FAIL, -1, Failure.REFUSED))
        script.append(event)
    driven, _ = _run(route, Policy(), script)
    [record] = driven.records
    assert isinstance(record.outcome, Outcome)
    if record.outcome == Outcome.FAILED:  # the last step tried, or one that ends the call
        last = len(record.attempts) - 1
        cause = record.attempts[last].cause
        assert last == len(route.steps) - 1 or not route.steps[last].hands_on(cause)
