"""The call as a pure state machine: ``step(call, event, now) -> (call, commands)``.

The caller's channel sits in our app while the plan's destinations are dialed one
after another. Each event returns the call's next state and the commands that
carry it out; nothing here does I/O. A call that ended takes no more events, and
its last commands always include exactly one :class:`~.commands.Record`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from continuity.core.call.chain import (
    Step,
    answered,
    dial_in_dialplan,
    dial_next,
    end,
    hand_to_fallback,
    leg_gone,
    not_placed,
    route,
)
from continuity.core.call.commands import (
    Answer,
    Bridge,
    ContinueInDialplan,
    Originate,
    Play,
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
    Event,
    Failure,
    LegAnswered,
    LegGone,
    LegRinging,
    Resume,
    Traced,
)
from continuity.core.call.state import ID_SEP, Call, Leg, Phase, evolve
from continuity.core.causes import NO_ANSWER_CAUSE
from continuity.core.model import Destination, DestinationKind
from continuity.core.outcome import Outcome
from continuity.core.overload import Route, route_new_caller
from continuity.core.records import Attempt, RoutedBy
from continuity.core.routing import RouteStep


def step(call: Call, event: Event, now: dt.datetime) -> Step:
    """The call after ``event`` at ``now``, and what to do about it."""
    if call.ended:
        return call, []
    match event:
        case CallerEntered(waited=waited, lag=lag, dialplan_label=label):
            return _entered(call, waited, lag, label, now)
        case LegRinging(leg_id=leg) if call.leg_is(leg):
            assert call.leg is not None
            if call.leg.ringing:
                return call, []
            return call.with_leg(ringing=True), [Ring(call.caller_id)]
        case LegAnswered(leg_id=leg):
            return answered(call, leg, now)
        case LegGone(leg_id=leg, cause=cause, sip_code=code) if call.leg_is(leg):
            if code is not None:
                call = call.with_leg(sip_code=code)
            return leg_gone(call, cause, now)
        case CallerGone():
            return _caller_gone(call, now)
        case AnnouncementFinished() if call.phase is Phase.ANNOUNCING:
            return end(call, now)
        case Resume(step=at, interrupted=interrupted) if _fresh(call):
            return _resume(call, at, interrupted, now)
        case Adopt(leg_id=leg, destination=destination) if _fresh(call):
            return _adopt(call, leg, destination, event, now)
        case CaughtUp(live=live):
            return _caught_up(call, live, now)
        case Traced() if call.path is RoutedBy.DIALPLAN and call.phase in _SENT_ON:
            return evolve(call, phase=Phase.ENDED), []  # the trace is its record
        case CommandFailed():
            return _failed(call, event, now)
    return call, []


def _fresh(call: Call) -> bool:
    return call.phase is Phase.ROUTING and call.step == -1 and not call.attempts


# -- the caller --------------------------------------------------------------------
def _entered(call: Call, waited: float, lag: float, label: str | None, now: dt.datetime) -> Step:
    if not _fresh(call):
        return call, []  # already taken over by a resync
    handoff = route_new_caller(waited, lag, call.policy.handoff_after)
    if call.plan.known and handoff is Route.HAND_OFF:
        return hand_to_fallback(call)
    if call.plan.known and label is not None:
        return dial_in_dialplan(call, label)
    return route(call, now)


#: Sent on to the generated dialplan, which dials the plan.
_SENT_ON = frozenset({Phase.HANDED_OVER, Phase.IN_DIALPLAN})


def _caller_gone(call: Call, now: dt.datetime) -> Step:
    if call.phase is Phase.HANDED_OVER and call.path is RoutedBy.DIALPLAN:
        return evolve(call, phase=Phase.IN_DIALPLAN), []  # until Asterisk's trace records it
    if call.phase is Phase.HANDED_OVER:
        return end(call, now, hang_up=False)  # dialplan has it now
    if call.phase is Phase.BRIDGED:
        return call, []  # in the bridge context (an older version's): the leg's end ends it
    if not call.talking and call.outcome is None:
        call = evolve(call, outcome=Outcome.CALLER_HANGUP)
    return end(call, now, gone=call.caller_id, hung_up_by_handler=True)


# -- after a restart or a reconnection --------------------------------------------
def _resume(call: Call, at: int, interrupted: int | None, now: dt.datetime) -> Step:
    steps = call.plan.steps
    if interrupted is not None and 0 <= interrupted < len(steps):
        dest = steps[interrupted].destination
        when = now.isoformat()
        attempt = Attempt(dest.kind.value, dest.target, Outcome.INTERRUPTED, None, when, when)
        call = evolve(call, attempts=(*call.attempts, attempt))
    return route(evolve(call, step=at - 1), now)


def adopted_step(call: Call, leg: str, destination: Destination | None) -> RouteStep:
    """The plan step an adopted leg dialed: by its id, else what it said it dialed."""
    suffix = leg.rsplit(ID_SEP, 1)[-1]
    index = int(suffix) if suffix.isdigit() else -1
    steps = call.plan.steps
    found = steps[index] if 0 <= index < len(steps) else None
    if destination is not None and (found is None or found.destination != destination):
        return RouteStep(destination)
    return found or RouteStep(Destination(DestinationKind.PRIMARY, call.dialed))


def _adopt(
    call: Call, leg: str, destination: Destination | None, event: Adopt, now: dt.datetime
) -> Step:
    taken = Leg(leg, adopted_step(call, leg, destination), now)
    # Nothing to dial after an answered leg.
    last = len(call.plan.steps)
    if event.in_dialplan:  # the leg's end must reach this run: it ends the call
        taken = evolve(taken, answered=True)
        call = evolve(call, leg=taken, step=last, answered_at=now, phase=Phase.BRIDGED)
        return call, [Watch(leg)]
    if event.bridged:
        taken = evolve(taken, answered=True)
        call = evolve(call, leg=taken, step=last, answered_at=now, phase=Phase.ARI_BRIDGED)
        return call, []
    call = evolve(call, leg=taken, step=last, phase=Phase.DIALING)
    return answered(call, leg, now)


def _caught_up(call: Call, live: Mapping[str, bool], now: dt.datetime) -> Step:
    """End a call whose caller vanished; a leg that ended moves the call on (as
    unanswered), one that answered is bridged, a bridged call whose other side
    left is ended."""
    if call.caller_id not in live:  # the dialplan's callers are not ours to hang up
        return end(call, now, hang_up=call.phase is not Phase.IN_DIALPLAN)
    leg = call.leg
    if leg is None or not (call.phase is Phase.DIALING or call.talking):
        return call, []
    if leg.channel_id not in live:
        if call.phase is Phase.ARI_BRIDGED:  # its caller is still there: hang it up
            return end(call, now, gone=leg.channel_id)
        return leg_gone(call, NO_ANSWER_CAUSE, now)
    if call.phase is Phase.DIALING and live[leg.channel_id]:
        return answered(call, leg.channel_id, now)
    if call.phase is Phase.BRIDGED:  # its end must still reach us on this connection
        return call, [Watch(leg.channel_id)]
    return call, []


def _voicemail_refused(call: Call, now: dt.datetime) -> Step:
    """The voicemail box, the chain's last step, cannot take the call: it failed."""
    assert call.handed_to is not None
    dest, when = call.handed_to, now.isoformat()
    attempt = Attempt(dest.kind.value, dest.target, Outcome.UNAVAILABLE, None, when, when)
    call = evolve(call, handed_to=None, attempts=(*call.attempts, attempt))
    return end(call, now, reason="congestion")


def _failed(call: Call, event: CommandFailed, now: dt.datetime) -> Step:
    command = event.command
    match command:
        case Originate(leg_id=leg) if call.leg_is(leg) and call.phase is Phase.DIALING:
            return not_placed(call, now)
        case ContinueInDialplan() if call.phase is Phase.HANDED_OVER:
            if event.failure is Failure.GONE:
                return end(call, now, hang_up=False)  # the caller left meanwhile
            if call.handed_to is None:  # the fallback refused it: route it here
                call = evolve(call, phase=Phase.ROUTING, outcome=None, path=RoutedBy.APP)
                return dial_next(call, now)
            return _voicemail_refused(call, now)
        case Answer() | Bridge() if call.phase is Phase.ARI_BRIDGED:
            return end(call, now)  # a side hung up meanwhile, or Asterisk refused
        case Watch(channel_id=leg) if call.leg_is(leg) and event.failure is Failure.GONE:
            return end(call, now, hang_up=False, gone=leg)  # it ended before we watched
        case Answer() | Play() if call.phase is Phase.ANNOUNCING:
            return end(call, now)
    return call, []
