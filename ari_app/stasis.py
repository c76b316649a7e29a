"""The event translator: the only code that reads ARI events.

It turns each ARI event into one core call event (:mod:`continuity.core.call.events`)
for the call service. Events reach ``handle`` in order per call (the dispatcher
keys them with :func:`event_key`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

from continuity import names
from continuity.ari_app.client.events import (
    AriEvent,
    PlaybackFinished,
    StasisEnd,
    StasisStart,
    UnknownEvent,
)
from continuity.ari_app.services import CallService
from continuity.core.call import call_key
from continuity.core.call.events import (
    AnnouncementFinished,
    CallerGone,
    LegAnswered,
    LegGone,
)
from continuity.core.causes import sip_code

log = logging.getLogger(__name__)


#: The event types ``StasisTranslator`` acts on; Asterisk is asked for these only
#: (``AriClient(event_types=...)``), which spares ~45 events per call. No Dial
#: events: the dialplan rings the caller (``Ringing()`` before ``Stasis()``), so the
#: app has nothing to do when a leg rings (3 events and a request fewer per call).
#: No ChannelDestroyed: a caller's end is its StasisEnd, an answered leg's too, and
#: a leg that never answered reports its end, cause and SIP response from its hangup
#: handler (``names.USEREVENT_LEG_CAUSE``): one event per channel, not two.
HANDLED_EVENTS = (
    "StasisStart",
    "StasisEnd",
    "ChannelUserevent",
    "PlaybackFinished",
)


def event_key(event: AriEvent) -> str | None:
    """All events of one call share a key, so they are handled in order."""
    channel_id = event.channel_id
    return call_key(channel_id) if channel_id else None


def _is_caller(channel_id: str) -> bool:
    return call_key(channel_id) == channel_id


def _leg_ended(leg_id: str, raw: Mapping[str, Any]) -> LegGone:
    """The leg's hangup handler's report: its Q.850 cause and SIP response."""
    userevent = raw.get("userevent")
    fields = userevent if isinstance(userevent, dict) else {}
    cause = str(fields.get("cause", "")).strip()
    code = sip_code(str(fields.get("tech_cause", "")))
    log.debug(
        "call %s: leg %s ended unanswered, cause %s, SIP %s", call_key(leg_id), leg_id, cause, code
    )
    return LegGone(leg_id, int(cause) if cause.isdigit() else None, code)


class StasisTranslator:
    def __init__(self, service: CallService) -> None:
        self._service = service

    async def handle(self, event: AriEvent) -> None:
        service = self._service
        match event:
            case StasisStart(channel=channel, args=args) if args and args[0] == names.ARI_LEG_ARG:
                # An originated leg enters on answer.
                await service.on_event(channel.id, LegAnswered(channel.id))
            case StasisStart(channel=channel, received=received):
                waited = time.monotonic() - received if received else 0.0
                await service.caller_entered(
                    channel.id, channel.exten, channel.caller_number, channel.caller_name, waited
                )
            case StasisEnd(channel=channel):
                # Out of our app, out of its bridge too.
                service.bridges.left(channel.id)
                gone = CallerGone() if _is_caller(channel.id) else LegGone(channel.id, None)
                await service.on_event(channel.id, gone)
            case UnknownEvent(raw=raw) if (
                raw.get("type") == "ChannelUserevent"
                and raw.get("eventname") == names.USEREVENT_LEG_CAUSE
                and event.channel_id
            ):
                await service.on_event(event.channel_id, _leg_ended(event.channel_id, raw))
            case PlaybackFinished() if event.channel_id:
                await service.on_event(event.channel_id, AnnouncementFinished())
            case _:
                log.debug("ignoring %s", event.type)
