"""A route plan as plain dial steps, for executors that cannot ask again mid-call.

The ARI app walks a :class:`RoutePlan` step by step. The generated fallback
dialplan and the FastAGI route cannot come back to Python between steps, so
they get the same plan flattened: what to dial, for how long, after which
causes to move on, and the mailbox that ends the chain. All three read it
from :func:`plan_route` and :func:`dial_string`, so they decide alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from continuity.core.call_trace import destination_token
from continuity.core.causes import NO_ANSWER_CAUSE
from continuity.core.dialstrings import dial_string
from continuity.core.model import DestinationKind, TrunkHealth
from continuity.core.redirecting import Redirect
from continuity.core.routing import PlanReason, RoutePlan

#: The cause a dialplan executor assumes when Dial() fails without one (the
#: channel could not even be created): unavailable, which always moves on.
UNAVAILABLE_CAUSE = 20
#: Dial() reports a ring timeout as DIALSTATUS=NOANSWER with no hangup cause.
RING_TIMEOUT_CAUSE = NO_ANSWER_CAUSE
#: Separates the causes of a failover list in dialplan (no comma: that splits arguments).
CAUSE_SEPARATOR = "-"
#: Separates the arguments of a pre-dial handler in Dial()'s ``b()`` option.
ARG_SEPARATOR = "^"


def dialplan_label(version: int, health: TrunkHealth) -> str:
    """The label of the generated tracking context's entry into the fallback for calls
    the ARI app planned (``dialing = dialplan``). It names what the fallback was rendered
    from, the routing state and the primary's health, so Asterisk refuses a caller the
    app sends there while it holds another (the app then dials the chain itself).
    Starts with a letter: ARI reads a label of digits as a priority."""
    return f"v{version}-primary-{'down' if health.primary_down else 'up'}"


def redirect_args(redirect: Redirect | None) -> str:
    """The arguments of the redirecting pre-dial handler, before the previous cause.

    ``from^reason^to^number^prefix``: the redirecting-from number, the reason
    (empty: the previous step's cause, appended by the dialplan, decides), the
    redirecting-to number, the caller number to present (empty: the caller's)
    and the caller-name prefix URI-encoded, so that only ``[A-Za-z0-9%+._^-]``
    ever reaches dialplan. Empty for a leg that carries no redirect.
    """
    if redirect is None:
        return ""
    return ARG_SEPARATOR.join(
        [
            redirect.from_number,
            redirect.reason.value if redirect.reason is not None else "",
            redirect.to_number or "",
            redirect.caller_number or "",
            quote(redirect.name_prefix, safe=""),
        ]
    )


@dataclass(frozen=True, slots=True)
class DialStep:
    """One Dial(): the channel to dial, seconds to ring, and the causes that move on."""

    dial: str
    timeout: int
    #: Q.850 causes after which the next step is tried; ``None``: any failure.
    moves_on: frozenset[int] | None
    #: The destination kind, e.g. ``primary`` or ``external``.
    kind: str
    #: The redirecting pre-dial handler's arguments (:func:`redirect_args`); empty
    #: for the primary.
    redirect: str = ""
    #: The destination as the call trace names it (``call_trace.destination_token``).
    token: str = ""

    @property
    def failover_causes(self) -> str | None:
        """``moves_on`` as dialplan reads it with FIELDNUM(): ``-``-separated, ascending."""
        if self.moves_on is None:
            return None
        return CAUSE_SEPARATOR.join(str(cause) for cause in sorted(self.moves_on))


@dataclass(frozen=True, slots=True)
class StaticRoute:
    number: str
    reason: PlanReason
    dials: tuple[DialStep, ...]
    #: The mailbox (an extension of the voicemail context) that ends the chain, if any.
    mailbox: str | None

    @property
    def known(self) -> bool:
        return self.reason is not PlanReason.UNKNOWN_NUMBER

    @property
    def kind(self) -> str:
        """What the call reaches first: a destination kind, or ``unknown``/``none``."""
        if not self.known:
            return "unknown"
        if self.dials:
            return self.dials[0].kind
        return DestinationKind.VOICEMAIL.value if self.mailbox else "none"


def static_route(plan: RoutePlan, default_timeout: int) -> StaticRoute:
    """Flatten ``plan``: dial steps up to the first voicemail step, which ends it."""
    dials: list[DialStep] = []
    mailbox = None
    for step in plan.steps:
        dest = step.destination
        if dest.kind is DestinationKind.VOICEMAIL:
            mailbox = dest.target
            break
        dials.append(
            DialStep(
                dial_string(dest),
                int(step.timeout or default_timeout),
                step.moves_on,
                dest.kind.value,
                redirect_args(step.redirect),
                destination_token(dest),
            )
        )
    return StaticRoute(plan.tracking_number, plan.reason, tuple(dials), mailbox)
