"""After every (re)connection: take over the calls in our Stasis app nobody routes.

Lists what Asterisk has, lets :func:`continuity.core.takeover.take_over` decide,
and carries the decision out through the call service. See that module for
what happens to each kind of channel.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Protocol

from continuity import names
from continuity.ari_app.bridges import ours
from continuity.ari_app.client.errors import AriNotFound
from continuity.ari_app.client.models import Bridge, Channel
from continuity.ari_app.services import CallService
from continuity.core.call.state import ID_SEP, call_key
from continuity.core.call_trace import parse_destination_token
from continuity.core.takeover import Adopt, HangUp, Listed, Resume, take_over

log = logging.getLogger(__name__)


class TakeoverRest(Protocol):
    async def list_channels(self) -> list[Channel]: ...
    async def list_bridges(self) -> list[Bridge]: ...
    async def get_variable(self, channel_id: str, name: str) -> str: ...
    async def destroy_bridge(self, bridge_id: str) -> None: ...


def _in_our_app(channel: Channel) -> bool:
    return channel.app_name == "Stasis" and channel.app_data.split(",")[0] == names.ARI_APP


def listed(channel: Channel, bridged: set[str]) -> Listed:
    """``channel`` as the takeover decision reads it."""
    key = call_key(channel.id)
    suffix = channel.id[len(key) + len(ID_SEP) :] if channel.id != key else ""
    return Listed(
        id=channel.id,
        call_id=key,
        step=int(suffix) if suffix.isdigit() else None,
        in_app=_in_our_app(channel),
        up=channel.state == "Up",
        bridged=channel.id in bridged,
        dialed=channel.exten,
        caller_number=channel.caller_number,
        caller_name=channel.caller_name,
        in_bridge_context=channel.context == names.CTX_BRIDGE,
    )


async def take_over_strays(rest: TakeoverRest, service: CallService) -> int:
    """Take over, resume or hang up every channel of a call this run does not own;
    return how many calls were taken over."""
    channels = await rest.list_channels()
    pool = service.bridges
    known = pool.known()
    bridges = [bridge for bridge in await rest.list_bridges() if ours(bridge.id)]
    gone = pool.keep_only({bridge.id for bridge in bridges}, among=known)
    if gone:
        log.warning("%d bridge(s) of this run are gone from Asterisk: forgotten", len(gone))
    bridge_of = {channel: bridge.id for bridge in bridges for channel in bridge.channels}
    in_bridges = set(bridge_of)
    actions = take_over([listed(c, in_bridges) for c in channels], service.owned())
    taken = 0
    for action in actions:
        match action:
            case Adopt(caller=caller, leg=leg):
                token = ""
                with contextlib.suppress(AriNotFound):
                    token = await rest.get_variable(leg.id, names.VAR_DESTINATION)
                dialed = caller.dialed
                if action.in_dialplan:  # its extension is the leg's step there
                    try:
                        dialed = await rest.get_variable(caller.id, names.VAR_TRACKING_NUMBER)
                    except AriNotFound:
                        # The caller hung up since the list: the call ended before this
                        # run took it over, and Asterisk's trace of it is its record (one
                        # adopted now said it dialed the bridge context's "0"; issue 18).
                        await service.hang_up_stray(leg.id, "its caller hung up")
                        continue
                elif action.bridged:  # in another run's bridge, released at the call's end
                    pool.adopt(bridge_of[caller.id], [caller.id, leg.id], caller.id)
                await service.adopt(
                    caller.id,
                    dialed,
                    caller.caller_number,
                    caller.caller_name,
                    leg.id,
                    parse_destination_token(token),
                    action.bridged,
                    action.in_dialplan,
                )
                taken += 1
            case Resume(caller=caller, step=step, interrupted=interrupted):
                await service.resume(
                    caller.id,
                    caller.dialed,
                    caller.caller_number,
                    caller.caller_name,
                    step,
                    interrupted,
                )
                taken += 1
            case HangUp(channel_id=channel_id, why=why):
                await service.hang_up_stray(channel_id, why)
    for bridge in bridges:
        if not pool.knows(bridge.id):  # another run's, no call of ours in it
            log.warning("destroying bridge %s, which no run of the app owns", bridge.id)
            with contextlib.suppress(AriNotFound):
                await rest.destroy_bridge(bridge.id)
    if taken:
        log.warning("took over %d call(s) another run of the app left in Stasis", taken)
    return taken
