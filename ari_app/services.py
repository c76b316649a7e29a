"""Call logic: route, dial the chain step by step, bridge, hand over, tear down, record."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from typing import Protocol

from continuity import names
from continuity.ari_app.call import ID_SEP, Call, CallState, call_key
from continuity.ari_app.client.errors import (
    AriBadRequest,
    AriConflict,
    AriConnectionError,
    AriError,
    AriNotFound,
    AriServerError,
    AriUnprocessable,
)
from continuity.ari_app.client.models import Bridge
from continuity.ari_app.legs import leg_variables
from continuity.config import UnknownNumberPolicy
from continuity.core.call_trace import destination_token
from continuity.core.causes import NO_ANSWER_CAUSE, UNREACHABLE_CAUSE, cause_result, sip_code
from continuity.core.dialstrings import dial_string
from continuity.core.model import Destination, DestinationKind, Snapshot, TrunkHealth
from continuity.core.records import CallRecord, RoutedBy
from continuity.core.routing import RouteStep, plan_route

log = logging.getLogger(__name__)

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


class _Tally:
    """Counts events and reports the count at most once per ``every`` seconds."""

    def __init__(self, every: float = 5.0) -> None:
        self._every = every
        self._count = 0
        self._last = -every

    def add(self) -> int:
        """Count one; return the count to report now (and reset it), or 0."""
        self._count += 1
        now = time.monotonic()
        if now - self._last < self._every:
            return 0
        self._last, count, self._count = now, self._count, 0
        return count


class Lag:
    """How long Asterisk recently took to start a leg we asked for (the originate
    request's round trip): milliseconds normally, seconds when Asterisk is overloaded.
    A figure older than ``stale_after`` seconds counts as none, so the first call
    after a quiet spell measures afresh."""

    def __init__(self, stale_after: float = 2.0) -> None:
        self._stale_after = stale_after
        self._seconds = 0.0
        self._at = -stale_after

    def observe(self, seconds: float, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        fresh = now - self._at < self._stale_after
        self._seconds = 0.7 * self._seconds + 0.3 * seconds if fresh else seconds
        self._at = now

    def current(self, now: float | None = None) -> float:
        now = time.monotonic() if now is None else now
        return self._seconds if now - self._at < self._stale_after else 0.0


class AriRest(Protocol):
    """The REST calls the call service makes."""

    async def originate(
        self,
        endpoint: str,
        *,
        app: str,
        app_args: str | None = None,
        caller_id: str | None = None,
        channel_id: str | None = None,
        variables: Mapping[str, str] | None = None,
        timeout: int | None = None,
        originator: str | None = None,
    ) -> object: ...
    async def answer(self, channel_id: str) -> None: ...
    async def ring(self, channel_id: str) -> None: ...
    async def hangup(self, channel_id: str, reason: str | None = None) -> None: ...
    async def play(self, channel_id: str, media: str, playback_id: str | None = None) -> object: ...
    async def continue_in_dialplan(
        self, channel_id: str, context: str, extension: str, priority: int
    ) -> None: ...
    async def create_bridge(
        self, bridge_type: str = "mixing", bridge_id: str | None = None
    ) -> object: ...
    async def add_to_bridge(self, bridge_id: str, channel_ids: list[str]) -> None: ...
    async def destroy_bridge(self, bridge_id: str) -> None: ...
    async def list_bridges(self) -> list[Bridge]: ...


class CallService:
    def __init__(
        self,
        ari: AriRest,
        snapshot: Callable[[], Snapshot],
        health: Callable[[], TrunkHealth],
        record: Callable[[CallRecord], Awaitable[None]],
        unknown_number: UnknownNumberPolicy,
        dial_timeout: int,
        *,
        handoff_after: float = 0.5,
    ) -> None:
        self._ari = ari
        self._snapshot = snapshot
        self._health = health
        self._record = record
        self._unknown = unknown_number
        self._dial_timeout = dial_timeout
        #: Seconds behind (a new caller waited for us, or Asterisk took to start
        #: a leg) from which new callers go to the fallback dialplan (overload).
        self.handoff_after = handoff_after
        self._handoffs = _Tally()
        self.lag = Lag()
        self.calls: dict[str, Call] = {}
        #: Calls this process ended recently: their late events need no orphan check.
        self._ended: OrderedDict[str, None] = OrderedDict()

    # -- caller side -----------------------------------------------------
    async def caller_entered(
        self,
        channel_id: str,
        dialed: str,
        caller_number: str,
        caller_name: str,
        waited: float = 0.0,
    ) -> None:
        """A caller entered Stasis; its StasisStart waited ``waited`` seconds for us."""
        if channel_id in self.calls:  # already taken over by a resync
            return
        plan = plan_route(self._snapshot(), dialed, self._health(), dt.datetime.now(dt.UTC))
        call = Call(channel_id, dialed, caller_number, caller_name, plan)
        self.calls[channel_id] = call
        behind = max(waited, self.lag.current())
        if plan.known and behind >= self.handoff_after:
            await self._hand_to_fallback(call, behind)
            return
        await self._route(call)

    async def _route(self, call: Call) -> None:
        plan = call.plan
        log.debug(  # the one INFO line per call is at its end
            "call %s from %s to %s: %s via %s",
            call.caller_id,
            call.caller_number or "unknown",
            call.dialed,
            plan.reason.value,
            " > ".join(str(d) for d in plan.destinations[call.step + 1 :]) or "nothing",
        )
        if plan.known:
            await self._dial_next(call)
            return
        call.outcome = "unknown_number"
        log.warning(
            "call %s to %s: not a tracking number we route; %s",
            call.caller_id,
            call.dialed,
            self._unknown,
        )
        if self._unknown.action == "announce":
            call.state = CallState.ANNOUNCING
            await self._ari.answer(call.caller_id)
            await self._ari.play(
                call.caller_id,
                f"sound:{self._unknown.value}",
                playback_id=f"{call.caller_id}~announce",
            )
        else:
            await self._end(call, reason=self._unknown.value)

    # -- calls of another run (see continuity.core.takeover) ------------------
    def owned(self) -> frozenset[str]:
        """The calls this run routes, and those it ended lately (their channels may linger)."""
        return frozenset(self.calls) | frozenset(self._ended)

    def owns(self, call_id: str) -> bool:
        """This run routes the call, or ended it lately (and wrote or is writing its record)."""
        return call_id in self.calls or call_id in self._ended

    def _taken(self, channel_id: str, dialed: str, number: str, name: str) -> Call | None:
        if channel_id in self.calls or channel_id in self._ended:
            return None  # ours meanwhile (its StasisStart was on its way)
        plan = plan_route(self._snapshot(), dialed, self._health(), dt.datetime.now(dt.UTC))
        call = Call(channel_id, dialed, number, name, plan, path=RoutedBy.TAKEN_OVER)
        self.calls[channel_id] = call
        return call

    async def resume(
        self,
        channel_id: str,
        dialed: str,
        number: str,
        name: str,
        step: int,
        interrupted: int | None,
    ) -> None:
        """Route a caller another run left waiting in Stasis, from plan step ``step``."""
        call = self._taken(channel_id, dialed, number, name)
        if call is None:
            return
        log.warning(
            "call %s to %s: taken over from another run of the app (its attempt at step %s"
            " abandoned); routing it on from step %d",
            channel_id,
            dialed,
            interrupted,
            step,
        )
        call.resume_at(step, interrupted)
        await self._route(call)

    async def adopt(
        self,
        channel_id: str,
        dialed: str,
        number: str,
        name: str,
        leg_id: str,
        destination: Destination | None,
        bridged: bool,
    ) -> None:
        """Own a call another run had answered: bridged already, or to bridge now."""
        call = self._taken(channel_id, dialed, number, name)
        if call is None:
            return
        index = int(leg_id.rsplit(ID_SEP, 1)[1]) if leg_id.rsplit(ID_SEP, 1)[1].isdigit() else -1
        steps = call.plan.steps
        step = steps[index] if 0 <= index < len(steps) else None
        if destination is not None and (step is None or step.destination != destination):
            step = RouteStep(destination)
        if step is None:
            step = RouteStep(Destination(DestinationKind.PRIMARY, dialed))
        call.adopt_leg(leg_id, step)
        log.warning(
            "call %s to %s: taken over from another run of the app, %s with %s",
            channel_id,
            dialed,
            "bridged" if bridged else "answered",
            step.destination,
        )
        if bridged:
            call.leg_answered()
            call.state = CallState.BRIDGED
            return
        call.state = CallState.DIALING
        await self.leg_answered(leg_id)

    async def hang_up_stray(self, channel_id: str, why: str) -> None:
        log.warning("channel %s of another run of the app hung up: %s", channel_id, why)
        await self._ignore_gone(self._ari.hangup(channel_id))

    async def _hand_to_fallback(self, call: Call, behind: float) -> None:
        """We are behind: the generated fallback dialplan routes this call instead.
        It dials the same chain (it is rewritten on every state and health change);
        the record says where the call went, Asterisk's CDR what happened next."""
        count = self._handoffs.add()
        if count:
            log.warning(
                "overloaded: %d call(s) handed to the fallback dialplan (the app or"
                " Asterisk %.2f s behind, more than %.2f s)",
                count,
                behind,
                self.handoff_after,
            )
        call.state = CallState.HANDED_OVER
        call.outcome = "handed_to_fallback"
        call.path = RoutedBy.HANDED_TO_FALLBACK  # the call trace completes the record
        try:
            await self._ari.continue_in_dialplan(call.caller_id, names.CTX_FALLBACK, call.dialed, 1)
        except AriNotFound:
            await self._end(call, hang_up=False)
        except (AriConflict, AriServerError, AriConnectionError) as exc:
            log.warning("call %s: hand-off failed (%s); routing it here", call.caller_id, exc)
            call.state, call.outcome, call.path = CallState.ROUTING, "", RoutedBy.APP
            await self._dial_next(call)

    async def announcement_finished(self, channel_id: str) -> None:
        call = self.calls.get(call_key(channel_id))
        if call is not None and call.state is CallState.ANNOUNCING:
            await self._end(call)

    # -- outbound leg ----------------------------------------------------
    def _current(self, leg_id: str) -> Call | None:
        call = self.calls.get(call_key(leg_id))
        if call is None or call.leg is None or call.leg.channel_id != leg_id:
            return None
        return call

    async def leg_ringing(self, leg_id: str) -> None:
        call = self._current(leg_id)
        if call is not None and call.leg is not None and not call.leg.ringing:
            call.leg.ringing = True
            await self._ignore_gone(self._ari.ring(call.caller_id))

    def leg_sip_response(self, leg_id: str, tech_cause: str) -> None:
        """The leg's hangup handler reported the SIP response that ended it."""
        call = self._current(leg_id)
        if call is not None and call.leg is not None:
            call.leg.sip_code = sip_code(tech_cause)

    async def leg_answered(self, leg_id: str) -> None:
        """The destination answered (its leg entered Stasis): answer the caller and
        bridge the two."""
        call = self._current(leg_id)
        if call is None or call.state is not CallState.DIALING or call.leg is None:
            await self._ignore_gone(self._ari.hangup(leg_id))
            return
        if call.leg.answered:
            return
        call.leg_answered()
        try:
            await self._ari.answer(call.caller_id)
            await self._ari.create_bridge("mixing", call.bridge_id)
            await self._ari.add_to_bridge(call.bridge_id, [call.caller_id, leg_id])
        except (AriNotFound, AriBadRequest, AriUnprocessable) as exc:
            # addChannel answers 400 "Channel not found" for a channel that hung up.
            log.info("call %s: a side hung up while bridging (%s)", call.caller_id, exc)
            await self._end(call)
            return
        call.state = CallState.BRIDGED
        log.debug("call %s to %s answered by %s", call.caller_id, call.dialed, call.leg.destination)

    async def leg_gone(self, leg_id: str, cause: int | None) -> None:
        call = self._current(leg_id)
        if call is None or call.leg is None:
            return
        if call.state is CallState.BRIDGED:
            await self._end(call, gone=leg_id)  # the answering side hung up
            return
        step = call.leg.step
        result = cause_result(cause)
        log.info(
            "call %s: %s failed (%s, cause %s)", call.caller_id, step.destination, result, cause
        )
        call.leg_failed(result, cause)
        if step.hands_on(cause):
            await self._dial_next(call)
        else:
            call.outcome = result
            await self._end(call, reason=HANGUP_REASON.get(cause or 0, "normal"))

    # -- either side gone --------------------------------------------------
    async def channel_gone(self, channel_id: str, cause: int | None) -> None:
        call = self.calls.get(call_key(channel_id))
        if call is None:
            if call_key(channel_id) not in self._ended:
                await self._release_orphans({call_key(channel_id)})
            return
        if channel_id != call.caller_id:
            await self.leg_gone(channel_id, cause)
            return
        if call.state is CallState.HANDED_OVER:
            await self._end(call, hang_up=False)
            return
        if call.state is not CallState.BRIDGED and not call.outcome:
            call.outcome = "caller_hangup"
        await self._end(call, gone=channel_id)  # it left Stasis: hung up

    async def forget_missing(self, live: Mapping[str, bool]) -> None:
        """After a reconnect, given every live channel (True: answered and in our app):
        end each call whose caller is gone, and catch up with what its leg did while we
        could not hear it. A leg that ended moves the call on (as unanswered), one that
        answered is bridged, and a bridged call whose other side left is ended."""
        for key in [k for k in self.calls if k not in live]:
            log.warning("call %s vanished while disconnected from Asterisk", key)
            await self._end(self.calls[key])
        for call in list(self.calls.values()):
            leg = call.leg
            if leg is None or call.state not in (CallState.DIALING, CallState.BRIDGED):
                continue
            if leg.channel_id not in live:
                log.warning(
                    "call %s: its leg to %s ended while disconnected from Asterisk",
                    call.caller_id,
                    leg.destination,
                )
                await self.leg_gone(leg.channel_id, NO_ANSWER_CAUSE)
            elif call.state is CallState.DIALING and live[leg.channel_id]:
                log.warning(
                    "call %s: %s answered while disconnected from Asterisk",
                    call.caller_id,
                    leg.destination,
                )
                await self.leg_answered(leg.channel_id)

    async def _release_orphans(self, keys: set[str] | None) -> None:
        """Hang up the lone survivor of a bridge of ours that no call of this run owns
        (the app restarted while the call was up, then one side hung up)."""
        for bridge in await self._ari.list_bridges():
            key = call_key(bridge.id)
            if (
                bridge.id != f"{key}{ID_SEP}bridge"
                or key in self.calls
                or (keys is not None and key not in keys)
                or len(bridge.channels) > 1
            ):
                continue
            log.warning(
                "call %s: releasing %d channel(s) left alone in its bridge",
                key,
                len(bridge.channels),
            )
            for channel_id in bridge.channels:
                await self._ignore_gone(self._ari.hangup(channel_id))
            await self._ignore_gone(self._ari.destroy_bridge(bridge.id))

    # -- internals -----------------------------------------------------------
    async def _dial_next(self, call: Call) -> None:
        step = call.next_step()
        if step is None:
            log.warning("call %s to %s: every destination failed", call.caller_id, call.dialed)
            await self._end(call, reason="congestion")
            return
        if step.destination.kind is DestinationKind.VOICEMAIL:
            call.state = CallState.HANDED_OVER
            call.handed_to = step.destination
            log.info(
                "call %s to %s: to voicemail box %s",
                call.caller_id,
                call.dialed,
                step.destination.target,
            )
            try:
                await self._ari.continue_in_dialplan(
                    call.caller_id, names.CTX_VOICEMAIL, step.destination.target, 1
                )
            except AriNotFound:
                await self._end(call, hang_up=False)
            return
        leg = call.new_leg(step)
        call.state = CallState.DIALING
        # One request creates and dials the leg; the app is subscribed to it from the
        # start (Dial RINGING/ANSWER, ChannelDestroyed) and it enters Stasis once answered.
        asked = time.monotonic()
        try:
            await self._ari.originate(
                dial_string(step.destination),
                app=names.ARI_APP,
                app_args=names.ARI_LEG_ARG,
                channel_id=leg.channel_id,
                originator=call.caller_id,
                timeout=step.timeout or self._dial_timeout,
                variables={
                    **leg_variables(call, step),
                    names.VAR_DESTINATION: destination_token(step.destination),
                    "CHANNEL(hangup_handler_push)": f"{names.CTX_LEG_HANGUP},s,1",
                },
            )
        except (AriNotFound, AriConflict, AriServerError, AriConnectionError) as exc:
            await self._not_placed(call, exc)
        self.lag.observe(time.monotonic() - asked)

    async def _not_placed(self, call: Call, exc: AriError) -> None:
        """The leg could not be created or dialed (e.g. the trunk has no reachable
        contact: ARI answers 500 "Allocation failed"). That is a transport failure."""
        if call.leg is None:
            return
        step = call.leg.step
        log.warning("call %s: could not place %s: %s", call.caller_id, step.destination, exc)
        call.leg_failed(cause_result(UNREACHABLE_CAUSE), UNREACHABLE_CAUSE)
        if step.hands_on(UNREACHABLE_CAUSE):
            await self._dial_next(call)
        else:
            await self._end(call, reason="congestion")

    async def _end(
        self, call: Call, reason: str | None = None, hang_up: bool = True, gone: str | None = None
    ) -> None:
        """Tear the call down and record it. ``gone`` is a channel already hung up:
        no request is spent on it."""
        if call.state is CallState.ENDED or call.caller_id not in self.calls:
            return
        call.state = CallState.ENDED
        del self.calls[call.caller_id]
        self._ended[call.caller_id] = None
        while len(self._ended) > 10_000:
            self._ended.popitem(last=False)
        if call.leg is not None and call.leg.channel_id != gone:
            await self._ignore_gone(self._ari.hangup(call.leg.channel_id))
        if hang_up and call.caller_id != gone:
            await self._ignore_gone(self._ari.hangup(call.caller_id, reason=reason))
        if call.answered_at is not None:  # only an answered call ever had a bridge
            await self._ignore_gone(self._ari.destroy_bridge(call.bridge_id))
        await self._record(call.record())

    @staticmethod
    async def _ignore_gone(request: Awaitable[object]) -> None:
        with contextlib.suppress(AriNotFound):
            await request
