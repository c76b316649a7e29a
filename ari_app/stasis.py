"""The event translator: the only code that reads ARI events.

It turns each event into one call-service operation. Events reach ``handle``
in order per call (the dispatcher keys them with :func:`event_key`).
"""

from __future__ import annotations

import logging
import time

from continuity import names
from continuity.ari_app.call import call_key
from continuity.ari_app.client.events import (
    AriEvent,
    ChannelDestroyed,
    Dial,
    PlaybackFinished,
    StasisEnd,
    StasisStart,
    UnknownEvent,
)
from continuity.ari_app.services import CallService

log = logging.getLogger(__name__)


#: The event types ``StasisTranslator`` acts on; Asterisk is asked for these only
#: (``AriClient(event_types=...)``), which spares ~45 events per call. Not Dial: the
#: generated dialplan rings the caller (``Ringing()`` before ``Stasis()``), so the
#: three Dial events of every leg would only ask for a redundant ring request.
HANDLED_EVENTS = (
    "StasisStart",
    "StasisEnd",
    "ChannelDestroyed",
    "ChannelUserevent",
    "PlaybackFinished",
)


def event_key(event: AriEvent) -> str | None:
    """All events of one call share a key, so they are handled in order."""
    channel_id = event.channel_id
    return call_key(channel_id) if channel_id else None


class StasisTranslator:
    def __init__(self, service: CallService) -> None:
        self._service = service

    async def handle(self, event: AriEvent) -> None:
        service = self._service
        match event:
            case StasisStart(channel=channel, args=args) if args and args[0] == names.ARI_LEG_ARG:
                await service.leg_answered(channel.id)  # an originated leg enters on answer
            case StasisStart(channel=channel, received=received):
                waited = time.monotonic() - received if received else 0.0
                await service.caller_entered(
                    channel.id, channel.exten, channel.caller_number, channel.caller_name, waited
                )
            case Dial(peer=peer, dialstatus=status) if status in ("RINGING", "PROGRESS"):
                await service.leg_ringing(peer.id)
            case ChannelDestroyed(channel=channel, cause=cause):
                await service.channel_gone(channel.id, cause)
            case StasisEnd(channel=channel) if call_key(channel.id) == channel.id:
                await service.channel_gone(channel.id, None)
            case UnknownEvent(raw=raw) if (
                raw.get("type") == "ChannelUserevent"
                and raw.get("eventname") == names.USEREVENT_LEG_CAUSE
                and event.channel_id
            ):
                userevent = raw.get("userevent") or {}
                service.leg_sip_response(event.channel_id, str(userevent.get("tech_cause", "")))
            case PlaybackFinished() if event.channel_id:
                await service.announcement_finished(event.channel_id)
            case _:
                log.debug("ignoring %s", event.type)
