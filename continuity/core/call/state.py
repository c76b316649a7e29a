"""One call's state: plain, immutable data. :mod:`.machine` returns the next one."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any, TypeVar

from continuity import names
from continuity.core.model import Destination
from continuity.core.outcome import Outcome
from continuity.core.records import Attempt, RoutedBy
from continuity.core.routing import RoutePlan, RouteStep
from continuity.core.value import value

#: Separates the caller's channel id from a leg or bridge suffix in our ids.
ID_SEP = names.ID_SEP


def call_key(resource_id: str) -> str:
    """The call a channel, bridge or playback id belongs to: the caller channel's id."""
    return resource_id.split(ID_SEP, 1)[0]


def leg_id(caller_id: str, step: int) -> str:
    """The channel id of the leg dialing plan step ``step``: ``<caller>~<step>``."""
    return f"{caller_id}{ID_SEP}{step}"


def bridge_id(caller_id: str) -> str:
    """The ARI bridge an earlier version of the app made for each call (a takeover
    still finds such calls); bridges now come from the adapter's pool."""
    return f"{caller_id}{ID_SEP}bridge"


def announcement_id(caller_id: str) -> str:
    return f"{caller_id}{ID_SEP}announce"


_T = TypeVar("_T", "Call", "Leg")


def evolve(obj: _T, **changes: Any) -> _T:
    """A copy of ``obj`` with ``changes``, like :func:`dataclasses.replace` but about
    three times faster: a step copies the call once or twice, and the copy was the
    machine's top cost (issue 13). Unknown field names are refused (``TypeError``)."""
    copy: Callable[..., _T] = _COPIERS[type(obj)]
    return copy(obj, **changes)


class Phase(enum.Enum):
    ROUTING = "routing"
    DIALING = "dialing"
    #: Bridged in dialplan, by an older version of the app (a call taken over):
    #: Asterisk ends the other side whichever side hangs up; the leg's end ends the call.
    BRIDGED = "bridged"
    #: In an ARI bridge: the side that hangs up has its hangup handler hang up the
    #: other; its end ends the call, which releases the bridge.
    ARI_BRIDGED = "ari_bridged"
    ANNOUNCING = "announcing"
    #: Sent on to dialplan (fallback or voicemail): no longer ours to hang up.
    HANDED_OVER = "handed_over"
    #: Left our app for the generated dialplan, which dials the app's plan (``dialing =
    #: dialplan``): Asterisk's trace records the call (``Traced``); should it never come,
    #: the app writes the record once the caller is gone from Asterisk (``CaughtUp``).
    IN_DIALPLAN = "in_dialplan"
    ENDED = "ended"


@dataclass(frozen=True, slots=True)
class Policy:
    """What the service was configured with; the same for every call."""

    #: Seconds a leg rings when its step gives no timeout.
    dial_timeout: int = 30
    #: ``reject`` or ``announce``, for a number we do not route.
    unknown_action: str = "reject"
    #: The ARI hangup reason (reject) or sound name (announce).
    unknown_value: str = "unallocated"
    #: Seconds behind from which new callers go to the fallback dialplan.
    handoff_after: float = 0.5


@value
class Leg:
    """One outbound attempt."""

    channel_id: str
    step: RouteStep
    started_at: dt.datetime
    ringing: bool = False
    answered: bool = False
    #: The SIP response that ended the leg, reported by its hangup handler.
    sip_code: int | None = None

    @property
    def destination(self) -> Destination:
        return self.step.destination


@value
class Call:
    caller_id: str
    dialed: str
    caller_number: str
    caller_name: str
    plan: RoutePlan
    started_at: dt.datetime
    policy: Policy = Policy()
    phase: Phase = Phase.ROUTING
    answered_at: dt.datetime | None = None
    #: The plan step last started (-1: none yet).
    step: int = -1
    leg: Leg | None = None
    attempts: tuple[Attempt, ...] = ()
    outcome: Outcome | None = None
    #: Set when the call was sent on to dialplan (the line's voicemail).
    handed_to: Destination | None = None
    #: Which path routes it: this run from the start, or this run after another's.
    path: RoutedBy = RoutedBy.APP

    @property
    def ended(self) -> bool:
        return self.phase is Phase.ENDED

    @property
    def talking(self) -> bool:
        """The leg answered and the two are (being) bridged."""
        return self.phase in _TALKING

    def leg_is(self, channel_id: str) -> bool:
        return self.leg is not None and self.leg.channel_id == channel_id

    def with_leg(self, **changes: object) -> Call:
        assert self.leg is not None
        return evolve(self, leg=evolve(self.leg, **changes))


_TALKING = frozenset({Phase.BRIDGED, Phase.ARI_BRIDGED})


def _copier(cls: type[_T]) -> Callable[..., _T]:
    """``copy(obj, *, field=...)`` for ``cls``, written out field by field the way
    :mod:`dataclasses` writes ``__init__``: no loop, no dict of changes (the copy is
    new, so setting its slots keeps the ``@value`` promise)."""
    names = [f.name for f in fields(cls)]
    env: dict[str, Any] = {"_new": object.__new__, "_cls": cls, "_KEEP": _KEEP}
    lines = [f"def copy(obj, /, *, {', '.join(f'{n}=_KEEP' for n in names)}):"]
    lines.append("    new = _new(_cls)")
    for name in names:
        lines.append(f"    new.{name} = obj.{name} if {name} is _KEEP else {name}")
    lines.append("    return new")
    exec("\n".join(lines), env)  # noqa: S102  (our own field names only)
    copy: Callable[..., _T] = env["copy"]
    return copy


_KEEP: Any = object()
_COPIERS: dict[type, Callable[..., Any]] = {cls: _copier(cls) for cls in (Call, Leg)}


def new_call(
    caller_id: str,
    dialed: str,
    caller_number: str,
    caller_name: str,
    plan: RoutePlan,
    now: dt.datetime,
    policy: Policy = Policy(),
    path: RoutedBy = RoutedBy.APP,
) -> Call:
    """A call not yet routed; step it with :class:`~.events.CallerEntered` (or a takeover)."""
    return Call(caller_id, dialed, caller_number, caller_name, plan, now, policy, path=path)
