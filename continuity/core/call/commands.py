"""What :func:`~.machine.step` asks the adapter to do: plain data, no I/O.

The ARI adapter runs a step's commands in order. When one fails it stops and
steps :class:`~.events.CommandFailed`, except for the best-effort requests
(:data:`BEST_EFFORT`: hang-ups, ringing, destroying the bridge), whose failure
most often means the channel is gone already: nothing is left to do.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field

from continuity.core.records import CallRecord
from continuity.core.routing import RouteStep
from continuity.core.value import value


@value
class Originate:
    """Create and dial the leg ``leg_id``; it enters our app once answered."""

    leg_id: str
    caller_id: str
    step: RouteStep
    endpoint: str
    timeout: int
    variables: Mapping[str, str] = field(default_factory=dict)


@value
class Ring:
    """Tell the caller its call rings."""

    channel_id: str


@value
class Answer:
    channel_id: str


@value
class Bridge:
    """Put the channels in a mixing bridge of the call's own, both kept in our app.
    No channel is yanked out of Stasis, as the caller's ``Bridge()`` in dialplan did:
    Asterisk 22's masquerade could leave the leg's old channel behind, unkillable (1
    call in 150 under load). The first side's end ends the call: its hangup handler
    hangs up the other side, and the call releases the bridge (:class:`ReleaseBridge`)."""

    call_id: str
    channel_ids: tuple[str, ...]


@value
class Watch:
    """Subscribe the app to the channel's events: the leg of a call bridged in dialplan
    (by an older version of the app) that this run took over, or after a
    reconnection, so that its end still reaches us."""

    channel_id: str


@value
class HangUp:
    channel_id: str
    #: The ARI hangup reason (what Asterisk sends back as cause); ``None``: normal.
    reason: str | None = None


@value
class ContinueInDialplan:
    """Send the channel on to dialplan: the fallback's, or a voicemail box. With a
    ``label``, to that label of the extension in place of ``priority``: Asterisk refuses
    the request when the loaded dialplan has no such label."""

    channel_id: str
    context: str
    extension: str
    priority: int = 1
    label: str | None = None


@value
class Play:
    channel_id: str
    media: str
    playback_id: str


@value
class ReleaseBridge:
    """The call ended: its bridge is done with. The adapter may keep it for another
    call once the channels it held are gone."""

    call_id: str


@value
class Record:
    """Write the call's record: the call ended."""

    record: CallRecord


Command = (
    Originate
    | Ring
    | Answer
    | Bridge
    | Watch
    | HangUp
    | ContinueInDialplan
    | Play
    | ReleaseBridge
    | Record
)

#: Best-effort requests: when one fails (most often "not found": the channel is gone
#: already) the adapter logs it and runs the rest, so the record is always written.
BEST_EFFORT = (HangUp, Ring, ReleaseBridge)
