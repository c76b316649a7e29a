"""The chain of one call: dial the next step, a leg failing or answering, the end.

The transitions :func:`~.machine.step` composes; each returns the next call and
the commands that carry it out.
"""

from __future__ import annotations

import datetime as dt

from continuity import names
from continuity.core.call.commands import (
    Answer,
    Bridge,
    Command,
    ContinueInDialplan,
    HangUp,
    Originate,
    Play,
    Record,
    ReleaseBridge,
)
from continuity.core.call.legs import leg_variables
from continuity.core.call.record import call_record, leg_attempt
from continuity.core.call.state import Call, Leg, Phase, announcement_id, evolve, leg_id
from continuity.core.causes import UNREACHABLE_CAUSE, cause_result
from continuity.core.dialstrings import dial_string
from continuity.core.model import DestinationKind
from continuity.core.outcome import Outcome
from continuity.core.records import RoutedBy

#: Q.850 cause -> the ARI hangup reason that makes Asterisk send the same cause back.
HANGUP_REASON = {
    1: "unallocated",
    17: "busy",
    18: "no_answer",
    19: "no_answer",
    21: "rejected",
    34: "congestion",
    102: "timeout",
}

Step = tuple[Call, list[Command]]


def hand_to_fallback(call: Call) -> Step:
    """We are behind: the generated fallback dialplan routes this call instead. It
    dials the same chain; the record says where the call went, the call trace what
    happened next."""
    call = evolve(
        call,
        phase=Phase.HANDED_OVER,
        outcome=Outcome.HANDED_TO_FALLBACK,
        path=RoutedBy.HANDED_TO_FALLBACK,
    )
    return call, [ContinueInDialplan(call.caller_id, names.CTX_FALLBACK, call.dialed)]


def dial_in_dialplan(call: Call, label: str) -> Step:
    """``dialing = dialplan``: the generated dialplan, of this plan's routing state,
    dials the chain; the app spends one request on the call. Should Asterisk hold
    another state (no such label), it refuses, and the app dials the chain itself."""
    call = evolve(
        call, phase=Phase.HANDED_OVER, outcome=Outcome.HANDED_OVER, path=RoutedBy.DIALPLAN
    )
    entry = ContinueInDialplan(call.caller_id, names.CTX_TRACKING, call.dialed, label=label)
    return call, [entry]


def route(call: Call, now: dt.datetime) -> Step:
    if call.plan.known:
        return dial_next(call, now)
    call = evolve(call, outcome=Outcome.UNKNOWN_NUMBER)
    policy = call.policy
    if policy.unknown_action == "announce":
        call = evolve(call, phase=Phase.ANNOUNCING)
        media = f"sound:{policy.unknown_value}"
        play = Play(call.caller_id, media, announcement_id(call.caller_id))
        return call, [Answer(call.caller_id), play]
    return end(call, now, reason=policy.unknown_value)


# -- the chain ---------------------------------------------------------------------
def dial_next(call: Call, now: dt.datetime) -> Step:
    """Start the plan's next step: a leg, the voicemail box, or the end of the chain."""
    index = call.step + 1
    call = evolve(call, step=index, leg=None)
    if index >= len(call.plan.steps):
        return end(call, now, reason="congestion")  # every destination failed
    route_step = call.plan.steps[index]
    dest = route_step.destination
    if dest.kind is DestinationKind.VOICEMAIL:
        call = evolve(call, phase=Phase.HANDED_OVER, handed_to=dest)
        return call, [ContinueInDialplan(call.caller_id, names.CTX_VOICEMAIL, dest.target)]
    leg = Leg(leg_id(call.caller_id, index), route_step, now)
    call = evolve(call, phase=Phase.DIALING, leg=leg)
    originate = Originate(
        leg.channel_id,
        call.caller_id,
        route_step,
        dial_string(dest),
        route_step.timeout or call.policy.dial_timeout,
        leg_variables(call, route_step, leg.channel_id),
    )
    return call, [originate]


def leg_failed(call: Call, result: Outcome, cause: int | None, now: dt.datetime) -> Call:
    if call.leg is None:
        return call
    attempt = leg_attempt(call.leg, result, cause, now)
    return evolve(call, attempts=(*call.attempts, attempt), leg=None)


def leg_gone(call: Call, cause: int | None, now: dt.datetime) -> Step:
    assert call.leg is not None
    gone = call.leg.channel_id
    if call.phase is Phase.BRIDGED:  # either side hung up: Asterisk ends the caller
        return end(call, now, hang_up=False, gone=gone)
    if call.talking:  # the answering side hung up before, while or after bridging
        return end(call, now, gone=gone, hung_up_by_handler=True)
    route_step = call.leg.step
    result = Outcome(cause_result(cause))
    call = leg_failed(call, result, cause, now)
    if route_step.hands_on(cause):
        return dial_next(call, now)
    call = evolve(call, outcome=result)
    return end(call, now, reason=HANGUP_REASON.get(cause or 0, "normal"))


def not_placed(call: Call, now: dt.datetime) -> Step:
    """The leg could not be created or dialed (no reachable contact, Asterisk
    refused): a transport failure."""
    assert call.leg is not None
    route_step = call.leg.step
    call = leg_failed(call, Outcome(cause_result(UNREACHABLE_CAUSE)), UNREACHABLE_CAUSE, now)
    if route_step.hands_on(UNREACHABLE_CAUSE):
        return dial_next(call, now)
    return end(call, now, reason="congestion")


def answered(call: Call, leg: str, now: dt.datetime) -> Step:
    """The destination answered (its leg entered our app): answer the caller and
    bridge the two in the call's ARI bridge. A leg that is not the one being dialed
    is hung up."""
    current = call.leg
    if current is None or current.channel_id != leg:
        return call, [HangUp(leg)]
    if current.answered:
        return call, []
    if call.phase is not Phase.DIALING:
        return call, [HangUp(leg)]
    taken = evolve(current, answered=True)
    call = evolve(call, leg=taken, answered_at=now, phase=Phase.ARI_BRIDGED)
    return call, [Answer(call.caller_id), Bridge(call.caller_id, (call.caller_id, leg))]


# -- the end -----------------------------------------------------------------------
def end(
    call: Call,
    now: dt.datetime,
    *,
    reason: str | None = None,
    hang_up: bool = True,
    gone: str | None = None,
    hung_up_by_handler: bool = False,
) -> Step:
    """Tear the call down and record it. ``gone``: a channel already hung up, on
    which no request is spent; ``hang_up=False``: the caller is dialplan's now.

    ``hung_up_by_handler``: a side of an ARI-bridged call just hung up, and its
    hangup handler (generated dialplan) hangs up the other: no request either.
    Should it not, the bridge is not emptied, and the adapter hangs up what is
    left in it (``ari_app.bridges``)."""
    if hung_up_by_handler and call.phase is Phase.ARI_BRIDGED:
        return _ended(call, now, [ReleaseBridge(call.caller_id)])
    commands: list[Command] = []
    if call.leg is not None and call.leg.channel_id != gone:
        commands.append(HangUp(call.leg.channel_id))
    if hang_up and call.caller_id != gone:
        commands.append(HangUp(call.caller_id, reason))
    if call.phase is Phase.ARI_BRIDGED:  # an ARI bridge outlives its channels
        commands.append(ReleaseBridge(call.caller_id))
    return _ended(call, now, commands)


def _ended(call: Call, now: dt.datetime, commands: list[Command]) -> Step:
    call = evolve(call, phase=Phase.ENDED)
    return call, [*commands, Record(call_record(call, now))]
