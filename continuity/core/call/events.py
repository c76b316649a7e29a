"""What can happen to a call: the events :func:`~.machine.step` takes.

The ARI adapter translates Asterisk's events (and its own failed requests) into
these; a takeover or a reconnection produces the last few.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum

from continuity.core.call.commands import Command
from continuity.core.model import Destination
from continuity.core.value import value


@value
class CallerEntered:
    """The caller entered our app. ``waited``: seconds its arrival waited for us;
    ``lag``: how long Asterisk recently took to start a leg (see ``core.overload``);
    ``dialplan_label``: with ``dialing = dialplan``, the label of the loaded generated
    dialplan's entry that dials the app's plan (``core.static_route.dialplan_label``),
    when it is of the routing state the plan comes from; ``None``: the app dials."""

    waited: float = 0.0
    lag: float = 0.0
    dialplan_label: str | None = None


@value
class LegRinging:
    leg_id: str


@value
class LegAnswered:
    leg_id: str


@value
class LegGone:
    """The leg hung up or failed, with its Q.850 cause (and SIP code when known): its
    hangup handler's report of a leg that never answered, or an answered leg leaving
    our app (cause not known)."""

    leg_id: str
    cause: int | None
    sip_code: int | None = None


@value
class CallerGone:
    """The caller's channel left our app: it hung up, or dialplan took it on
    (``StasisEnd``)."""


@value
class AnnouncementFinished:
    pass


@value
class Resume:
    """Taken over from another run: route on from plan step ``step``; the attempt
    that run had under way at step ``interrupted`` counts as unanswered."""

    step: int
    interrupted: int | None


@value
class Adopt:
    """Taken over from another run with leg ``leg_id`` answered: already bridged,
    or to bridge now. ``destination``: what the leg said it dialed, if it said.
    ``in_dialplan``: bridged by the generated bridge context, as an older version of
    the app did (``bridged`` alone: in its ARI bridge)."""

    leg_id: str
    destination: Destination | None
    bridged: bool
    in_dialplan: bool = False


@value
class CaughtUp:
    """Back in touch with Asterisk after a disconnection: every live channel id,
    True for one answered and in our app. Whatever the call missed is caught up."""

    live: Mapping[str, bool]


@value
class Traced:
    """Asterisk's call trace of the call is recorded: the call the generated dialplan
    dialed (``dialing = dialplan``) has its record, written from the trace."""


class Failure(Enum):
    #: A channel it named is gone (ARI 404, or 400/422 "Channel not found").
    GONE = "gone"
    #: Asterisk refused or could not be reached (409, 5xx, connection lost).
    REFUSED = "refused"


@value
class CommandFailed:
    """A command the adapter was given failed; the commands after it were not run."""

    command: Command
    failure: Failure
    detail: str = ""


Event = (
    CallerEntered
    | LegRinging
    | LegAnswered
    | LegGone
    | CallerGone
    | AnnouncementFinished
    | Resume
    | Adopt
    | CaughtUp
    | Traced
    | CommandFailed
)
