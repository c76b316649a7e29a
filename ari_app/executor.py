"""Carries out a call step's commands against ARI REST, in order.

ARI's errors become core events: the first command that fails stops the rest and
comes back as a :class:`~continuity.core.call.events.CommandFailed`, which the
service steps. Best-effort requests (hang-ups, ringing, releasing a bridge)
never stop a step: when the channel is gone there is nothing left to do, and the
call's record must still be written.

Calls are bridged in mixing bridges of :class:`~continuity.ari_app.bridges.BridgePool`,
kept from call to call: a bridge is created only when none is free, and destroyed
only when it could not be emptied.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Sequence

from continuity import names
from continuity.ari_app.bridges import BridgePool
from continuity.ari_app.client.errors import (
    AriBadRequest,
    AriError,
    AriNotFound,
    AriUnprocessable,
)
from continuity.ari_app.rest import CallRest
from continuity.core.call.commands import (
    BEST_EFFORT,
    Answer,
    Bridge,
    Command,
    ContinueInDialplan,
    HangUp,
    Originate,
    Play,
    Record,
    ReleaseBridge,
    Ring,
    Watch,
)
from continuity.core.call.events import CommandFailed, Failure
from continuity.core.overload import Lag
from continuity.core.records import CallRecord

log = logging.getLogger(__name__)

#: What ARI answers when a channel a request names is gone: 404, and 400/422
#: "Channel not found" from addChannel.
GONE = (AriNotFound, AriBadRequest, AriUnprocessable)


def _no_label(command: Command, exc: AriError) -> bool:
    """``continue`` to a label the loaded dialplan lacks (ARI 404 "Requested label can
    not be found"): the app dials the chain itself. A caller that is gone instead (404
    too) also left Stasis, and its ``StasisEnd`` ends the call."""
    return (
        isinstance(command, ContinueInDialplan)
        and command.label is not None
        and isinstance(exc, AriNotFound)
    )


class Executor:
    def __init__(
        self,
        ari: CallRest,
        record: Callable[[CallRecord], Awaitable[None]],
        bridges: BridgePool | None = None,
    ) -> None:
        self._ari = ari
        self._record = record
        self.bridges = bridges if bridges is not None else BridgePool()
        #: How long Asterisk recently took to start a leg (see ``core.overload``).
        self.lag = Lag()

    async def run(self, commands: Sequence[Command]) -> CommandFailed | None:
        """Run ``commands``; the failure of the first that failed, if any."""
        for command in commands:
            try:
                await self._do(command)
            except AriError as exc:
                if isinstance(command, BEST_EFFORT):
                    if not isinstance(exc, AriNotFound):
                        log.warning("%s failed: %s", type(command).__name__, exc)
                    continue
                gone = isinstance(exc, GONE) and not _no_label(command, exc)
                failure = Failure.GONE if gone else Failure.REFUSED
                log.info("%s failed (%s): %s", type(command).__name__, failure.value, exc)
                return CommandFailed(command, failure, str(exc))
        return None

    async def _do(self, command: Command) -> None:
        ari = self._ari
        match command:
            case Originate():
                await self._originate(command)
            case Ring(channel_id=channel):
                await ari.ring(channel)
            case Answer(channel_id=channel):
                await ari.answer(channel)
            case Bridge(call_id=call, channel_ids=channels):
                await self._bridge(call, channels)
            case Watch(channel_id=channel):
                await ari.subscribe(names.ARI_APP, f"channel:{channel}")
            case HangUp(channel_id=channel, reason=reason):
                await ari.hangup(channel, reason=reason)
            case ContinueInDialplan(channel_id=channel, context=context, extension=exten):
                await ari.continue_in_dialplan(
                    channel, context, exten, command.priority, label=command.label
                )
            case Play(channel_id=channel, media=media, playback_id=playback):
                await ari.play(channel, media, playback_id=playback)
            case ReleaseBridge(call_id=call):
                self.bridges.release(call)
            case Record(record=record):
                await self._record(record)

    async def _bridge(self, call: str, channels: Sequence[str]) -> None:
        pool = self.bridges
        bridge, new = pool.take(call)
        if new:
            try:
                await self._ari.create_bridge("mixing", bridge)
            except AriError:
                pool.lost(call)
                raise
        pool.joined(bridge, channels)  # not free again until they have left
        try:
            await self._ari.add_to_bridge(bridge, list(channels))
        except AriNotFound:  # addChannel's 404 is the bridge's: gone behind our back
            if new:
                raise
            log.warning(
                "bridge %s is gone from Asterisk; bridging call %s in a new one", bridge, call
            )
            pool.lost(call)
            await self._bridge(call, channels)

    async def sweep(self) -> None:
        """Hang up what is left in each released bridge that did not empty in time,
        and destroy it: no channel stays alone in a bridge, none is reused unclean."""
        for bridge, left in self.bridges.sweep():
            log.warning(
                "bridge %s still held %s after its call ended: hanging up, destroying it",
                bridge,
                ", ".join(sorted(left)) or "a channel",
            )
            for channel in sorted(left):
                await self._best_effort(self._ari.hangup(channel), f"hanging up {channel}")
            await self._best_effort(self._ari.destroy_bridge(bridge), f"destroying {bridge}")

    async def destroy_unheld(self) -> None:
        """Destroy the bridges no call holds (the app is stopping); a call still up
        keeps its bridge, for the next run to take over."""
        for bridge in self.bridges.unheld():
            self.bridges.forget(bridge)
            await self._best_effort(self._ari.destroy_bridge(bridge), f"destroying {bridge}")

    @staticmethod
    async def _best_effort(request: Awaitable[None], what: str) -> None:
        try:
            await request
        except AriNotFound:
            pass  # gone already
        except AriError as exc:
            log.warning("%s failed: %s", what, exc)

    async def _originate(self, command: Originate) -> None:
        # One request creates and dials the leg; the app is subscribed to it from the
        # start (its hangup handler's UserEvent) and it enters Stasis once answered.
        asked = time.monotonic()
        try:
            await self._ari.originate(
                command.endpoint,
                app=names.ARI_APP,
                app_args=names.ARI_LEG_ARG,
                channel_id=command.leg_id,
                originator=command.caller_id,
                timeout=command.timeout,
                variables=command.variables,
            )
        finally:
            now = time.monotonic()
            self.lag = self.lag.observe(now - asked, now)
