"""Each tracking number's fallback route as one AstDB value, for ``fallback_store = astdb``.

The generic ``continuity-fallback`` context reads ``${DB(continuity-route/NUMBER)}`` and
walks it, so a change to one number is one ``DBPut``, never a dialplan reload. The
value holds the same checked pieces the per-number dialplan would (see
:func:`continuity.dialplan_templates.render.fallback_routes`), joined by separators
none of them may contain::

    reason|line|mailbox|hours|steps|closed reason|closed mailbox|closed steps

``hours`` names the extension of ``continuity-hours`` that says whether the number's
schedule is open (empty: the chain is the same at all hours); ``steps`` are
``dial#timeout#causes#token#redirect`` joined by ``!``.
"""

from __future__ import annotations

import re

from continuity.core.model import Snapshot, TrunkHealth
from continuity.dialplan_templates.render import (
    FallbackChain,
    FallbackRoute,
    FallbackStep,
    UnsafeValue,
    fallback_routes,
)

FIELD = "|"
STEP = "!"
PART = "#"
#: Every character a value may hold: the render's checks already keep separators,
#: commas, parentheses, ``$`` and whitespace out; this is the last word on it.
_VALUE = re.compile(r"[A-Za-z0-9+@:._/=;%^~|!#-]{0,3000}\Z")


def hours_key(index: int) -> str:
    """The extension of ``continuity-hours`` of the index-th schedule (sorted by name)."""
    return f"hours{index + 1}"


def _step(step: FallbackStep) -> str:
    dial = step.dial.replace("\\;", ";")  # escaped for the config parser; AstDB has none
    return PART.join((dial, str(step.timeout), step.causes or "", step.token, step.redirect))


def _chain(steps: tuple[FallbackStep, ...]) -> str:
    return STEP.join(_step(s) for s in steps)


def encode(route: FallbackRoute, schedules: dict[str, int]) -> str:
    closed: FallbackChain | None = route.hours.closed if route.hours else None
    fields = (
        route.reason,
        route.line or "",
        route.mailbox or "",
        hours_key(schedules[route.hours.schedule]) if route.hours else "",
        _chain(route.steps),
        closed.reason if closed else "",
        (closed.mailbox or "") if closed else "",
        _chain(closed.steps) if closed else "",
    )
    value = FIELD.join(fields)
    if not _VALUE.match(value):
        raise UnsafeValue("AstDB route", value[:80], "only the characters of checked values")
    return value


def schedule_index(snapshot: Snapshot) -> dict[str, int]:
    return {name: i for i, name in enumerate(sorted(snapshot.schedules))}


def route_entries(
    snapshot: Snapshot,
    dial_timeout: int,
    health: TrunkHealth | None = None,
    only: set[str] | None = None,
) -> dict[str, str]:
    """Number -> its AstDB value (``only``: just those numbers)."""
    index = schedule_index(snapshot)
    return {
        route.number: encode(route, index)
        for route in fallback_routes(snapshot, dial_timeout, health, only=only)
    }
