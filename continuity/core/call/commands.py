"""What :func:`~.machine.step` asks the adapter to do: plain data, no I/O.

The ARI adapter runs a step's commands in order. When one fails it stops and
steps :class:`~.events.CommandFailed`, except for the best-effort requests
(:data:`BEST_EFFORT`: hang-ups, ringing, destroying the bridge), whose failure
most often means the channel is gone already: nothing is left to do.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from continuity.core.records import CallRecord
from continuity.core.routing import RouteStep


@dataclass(frozen=True, slots=True)
class Originate:
    """Create and dial the leg ``leg_id``; it enters our app once answered."""

    leg_id: str
    caller_id: str
    step: RouteStep
    endpoint: str
    timeout: int
    variables: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Ring:
    """Tell the caller its call rings."""

    channel_id: str


@dataclass(frozen=True, slots=True)
class Answer:
    channel_id: str


@dataclass(frozen=True, slots=True)
class BridgeInDialplan:
    """Send the caller on to the generated bridge context, which answers it and
    bridges it with the answered leg ``leg_id`` (``names.CTX_BRIDGE``). Asterisk
    hangs up the other side whichever side leaves first; no ARI bridge to create,
    fill or destroy. The leg's end (its ``ChannelDestroyed``) ends the call."""

    caller_id: str
    leg_id: str


@dataclass(frozen=True, slots=True)
class Watch:
    """Subscribe the app to the channel's events: a leg this run did not dial (a call
    taken over), or after a reconnection, so that its end still reaches us."""

    channel_id: str


@dataclass(frozen=True, slots=True)
class HangUp:
    channel_id: str
    #: The ARI hangup reason (what Asterisk sends back as cause); ``None``: normal.
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class ContinueInDialplan:
    """Send the channel on to dialplan: the fallback's, or a voicemail box."""

    channel_id: str
    context: str
    extension: str
    priority: int = 1


@dataclass(frozen=True, slots=True)
class Play:
    channel_id: str
    media: str
    playback_id: str


@dataclass(frozen=True, slots=True)
class DestroyBridge:
    """Destroy the ARI bridge of a call another run bridged that way (an older version)."""

    bridge_id: str


@dataclass(frozen=True, slots=True)
class Record:
    """Write the call's record: the call ended."""

    record: CallRecord


Command = (
    Originate
    | Ring
    | Answer
    | BridgeInDialplan
    | Watch
    | HangUp
    | ContinueInDialplan
    | Play
    | DestroyBridge
    | Record
)

#: Best-effort requests: when one fails (most often "not found": the channel is gone
#: already) the adapter logs it and runs the rest, so the record is always written.
BEST_EFFORT = (HangUp, Ring, DestroyBridge)
