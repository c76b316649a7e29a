"""The call service: keeps this run's calls and steps each through the core.

Every operation finds the call, steps it with one core event
(:func:`continuity.core.call.step`), keeps the state it returns and has the
:class:`~continuity.ari_app.executor.Executor` carry out the commands. A failed
command comes back as an event and is stepped the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace

from continuity.ari_app.bridges import DRAIN_AFTER
from continuity.ari_app.client.errors import AriError, AriNotFound
from continuity.ari_app.executor import Executor
from continuity.ari_app.orphans import release_orphans
from continuity.ari_app.rest import CallRest
from continuity.config import UnknownNumberPolicy
from continuity.core.call import Call, Phase, Policy, call_key, new_call, step
from continuity.core.call.events import (
    Adopt,
    CallerEntered,
    CallerGone,
    CaughtUp,
    Event,
    LegAnswered,
    LegGone,
    Resume,
    Traced,
)
from continuity.core.model import Destination
from continuity.core.records import CallRecord, RoutedBy
from continuity.router import Router

log = logging.getLogger(__name__)

#: Calls ended lately that are remembered: their late events need no orphan check.
ENDED_REMEMBERED = 10_000
#: Seconds between checks for calls the dialplan dialed whose trace never came.
IN_DIALPLAN_CHECK = 60.0


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


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class CallService:
    def __init__(
        self,
        ari: CallRest,
        router: Router,
        record: Callable[[CallRecord], Awaitable[None]],
        unknown_number: UnknownNumberPolicy,
        dial_timeout: int,
        *,
        handoff_after: float = 0.5,
        dialplan_label: Callable[[], str | None] | None = None,
    ) -> None:
        self._ari = ari
        self._router = router
        #: ``dialing = dialplan``: the label of the loaded fallback's entry for the state
        #: this run routes with, or None while Asterisk holds another (the app dials).
        self._dialplan_label = dialplan_label
        self._executor = Executor(ari, record)
        #: This run's mixing bridges, kept from call to call (``ari_app.bridges``).
        self.bridges = self._executor.bridges
        self._policy = Policy(
            dial_timeout, unknown_number.action, unknown_number.value, handoff_after
        )
        self._handoffs = _Tally()
        self.calls: dict[str, Call] = {}
        #: Calls this process ended recently: their late events need no orphan check.
        self._ended: OrderedDict[str, None] = OrderedDict()

    @property
    def handoff_after(self) -> float:
        """Seconds behind (a new caller waited for us, or Asterisk took to start a
        leg) from which new callers go to the fallback dialplan (overload)."""
        return self._policy.handoff_after

    @handoff_after.setter
    def handoff_after(self, seconds: float) -> None:
        self._policy = replace(self._policy, handoff_after=seconds)

    def lag(self) -> float:
        """How long Asterisk recently took to start a leg, seconds."""
        return self._executor.lag.current(time.monotonic())

    # -- stepping ------------------------------------------------------------------
    async def _step(self, call_id: str, event: Event) -> None:
        """Step the call with ``event``, then each failure of the commands it gave."""
        while (before := self.calls.get(call_id)) is not None:
            call, commands = step(before, event, _now())
            self._keep(call)
            failed = await self._executor.run(commands)
            if failed is None:
                return
            event = failed

    def _keep(self, call: Call) -> None:
        if not call.ended:
            self.calls[call.caller_id] = call
            return
        self.calls.pop(call.caller_id, None)
        self._ended[call.caller_id] = None
        while len(self._ended) > ENDED_REMEMBERED:
            self._ended.popitem(last=False)

    async def _start(self, call: Call, event: Event) -> None:
        self.calls[call.caller_id] = call
        await self._step(call.caller_id, event)

    # -- the caller ------------------------------------------------------------------
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
        now = _now()
        plan = self._router.plan(dialed, now)
        call = new_call(channel_id, dialed, caller_number, caller_name, plan, now, self._policy)
        lag = self.lag()
        label = self._dialplan_label() if self._dialplan_label is not None else None
        log.debug("call %s from %s to %s: %s", channel_id, caller_number, dialed, plan.reason)
        await self._start(call, CallerEntered(waited, lag, label))
        handed = self.calls.get(channel_id)
        if handed is not None and handed.path is RoutedBy.HANDED_TO_FALLBACK:
            self._handed_off(max(waited, lag))

    def _handed_off(self, behind: float) -> None:
        count = self._handoffs.add()
        if count:
            log.warning(
                "overloaded: %d call(s) handed to the fallback dialplan (the app or"
                " Asterisk %.2f s behind, more than %.2f s)",
                count,
                behind,
                self.handoff_after,
            )

    async def on_event(self, channel_id: str, event: Event) -> None:
        """``event`` about channel ``channel_id`` (a caller or one of its legs)."""
        key = call_key(channel_id)
        if key in self.calls:
            await self._step(key, event)
        elif isinstance(event, LegAnswered):  # a leg of no call of ours: not wanted
            with contextlib.suppress(AriNotFound):
                await self._ari.hangup(channel_id)
        elif isinstance(event, LegGone | CallerGone) and key not in self._ended:
            await release_orphans(self._ari, self.calls, {key})

    # -- calls of another run (see continuity.core.takeover) ------------------------
    def owned(self) -> frozenset[str]:
        """The calls this run routes, and those it ended lately (their channels may linger)."""
        return frozenset(self.calls) | frozenset(self._ended)

    def owns(self, call_id: str) -> bool:
        """This run routes the call, or ended it lately (and wrote or is writing its record)."""
        return self.routes(call_id) or self.ended(call_id)

    def routes(self, call_id: str) -> bool:
        return call_id in self.calls

    def ended(self, call_id: str) -> bool:
        return call_id in self._ended

    def _taken(self, channel_id: str, dialed: str, number: str, name: str) -> Call | None:
        if self.owns(channel_id):
            return None  # ours meanwhile (its StasisStart was on its way)
        now = _now()
        plan = self._router.plan(dialed, now)
        return new_call(
            channel_id, dialed, number, name, plan, now, self._policy, RoutedBy.TAKEN_OVER
        )

    async def resume(
        self, channel_id: str, dialed: str, number: str, name: str, at: int, interrupted: int | None
    ) -> None:
        """Route a caller another run left waiting in Stasis, from plan step ``at``."""
        call = self._taken(channel_id, dialed, number, name)
        if call is None:
            return
        log.warning(
            "call %s to %s: taken over from another run of the app (its attempt at step %s"
            " abandoned); routing it on from step %d",
            channel_id,
            dialed,
            interrupted,
            at,
        )
        await self._start(call, Resume(at, interrupted))

    async def adopt(
        self,
        channel_id: str,
        dialed: str,
        number: str,
        name: str,
        leg_id: str,
        destination: Destination | None,
        bridged: bool,
        in_dialplan: bool = False,
    ) -> None:
        """Own a call another run had answered: bridged already (in dialplan, or in
        an ARI bridge), or to bridge now."""
        call = self._taken(channel_id, dialed, number, name)
        if call is None:
            return
        log.warning(
            "call %s to %s: taken over from another run of the app, %s (leg %s)",
            channel_id,
            dialed,
            "bridged in dialplan" if in_dialplan else "bridged" if bridged else "answered",
            leg_id,
        )
        await self._start(call, Adopt(leg_id, destination, bridged, in_dialplan))

    async def sweep_bridges(self, every: float = DRAIN_AFTER) -> None:
        """Until cancelled: hang up what is left in bridges that did not empty after
        their call's end, and destroy them (see :mod:`continuity.ari_app.bridges`).
        Cancelled (the app stops), it destroys those no call holds: Asterisk would
        list the stopped app (inactive) for as long as its bridges remain."""
        try:
            while True:
                await asyncio.sleep(every)
                await self._executor.sweep()
        except asyncio.CancelledError:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(2.0):
                    await self._executor.destroy_unheld()
            raise

    async def hang_up_stray(self, channel_id: str, why: str) -> None:
        log.warning("channel %s of another run of the app hung up: %s", channel_id, why)
        with contextlib.suppress(AriNotFound):
            await self._ari.hangup(channel_id)

    async def live_channels(self) -> dict[str, bool]:
        """Every channel Asterisk has, True when answered and in an ARI app (as
        :class:`CaughtUp` reads them)."""
        return {
            channel.id: channel.state == "Up" and channel.app_name == "Stasis"
            for channel in await self._ari.list_channels()
        }

    async def forget_missing(self, live: Mapping[str, bool]) -> None:
        """After a reconnect, given every live channel (True: answered and in our app):
        each call catches up with what it missed (:class:`CaughtUp`)."""
        for key in list(self.calls):
            if key not in live:
                log.warning("call %s vanished while disconnected from Asterisk", key)
            await self._step(key, CaughtUp(live))

    async def traced(self, call_ids: list[str]) -> set[str]:
        """Asterisk's trace of these calls is recorded: those the generated dialplan
        dialed for this run end, the trace their record. Return the ones that did."""
        done = set()
        for key in call_ids:
            if key in self.calls:
                await self._step(key, Traced())
                if key not in self.calls:
                    done.add(key)
        return done

    async def sweep_in_dialplan(self, every: float = IN_DIALPLAN_CHECK) -> None:
        """Until cancelled: every ``every`` seconds, the calls the dialplan has dialed for
        longer than that, and whose trace never came, catch up with Asterisk: one whose
        caller is gone (its trace line lost, or Asterisk restarted) gets the app's record."""
        while True:
            await asyncio.sleep(every)
            since = _now() - dt.timedelta(seconds=every)
            waiting = [
                key
                for key, call in self.calls.items()
                if call.phase is Phase.IN_DIALPLAN and call.started_at < since
            ]
            await self.ended_in_asterisk(waiting)

    async def ended_in_asterisk(self, call_ids: list[str]) -> None:
        """Asterisk's call trace says these calls ended, and their end never reached
        this run: each catches up with the channels Asterisk has (:class:`CaughtUp`)."""
        stuck = [key for key in call_ids if self.routes(key)]
        if not stuck:
            return
        try:
            live = await self.live_channels()
        except AriError as exc:  # Asterisk's trace records them meanwhile
            log.warning("could not list Asterisk's channels to end %s: %s", stuck, exc)
            return
        for key in stuck:
            log.warning("call %s: its caller hung up and the end never reached us", key)
            await self._step(key, CaughtUp(live))
