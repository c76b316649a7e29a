"""The FastAGI route: the same routing decision as the ARI app, as channel variables.

``AGI(agi://host:port/continuity_route[,number])`` from an admin's own dialplan
sets the variables below (names in :mod:`continuity.names`); that dialplan then
dials them. The decision comes from :func:`plan_route` and :func:`dial_string`
through :func:`static_route`, exactly as the ARI app and the generated
fallback make it.

=============================  ================================================
CONTINUITY_ROUTE_KIND          primary, external, sip, voice_agent, voicemail;
                               ``unknown`` for a number we do not route
CONTINUITY_ROUTE_REASON        normal, continuity, outage, test_mode, ...
CONTINUITY_DIAL_STRING         the first Dial() resource (empty: voicemail only)
CONTINUITY_DIAL_TIMEOUT        its ring timeout, seconds
CONTINUITY_FAILOVER_CAUSES     Q.850 causes, ``-``-separated, after which the
                               call moves on (empty: any failure does)
CONTINUITY_FALLBACK_DIAL       the continuity destination to try next, if any
CONTINUITY_FALLBACK_TIMEOUT    its ring timeout
CONTINUITY_MAILBOX             the box (extension of continuity-voicemail) last
CONTINUITY_DIAL_REDIRECT       arguments of the redirecting pre-dial handler
                               for the first dial (empty for the primary)
CONTINUITY_FALLBACK_REDIRECT   the same for the fallback dial; append
                               ``^<Q.850 cause of the first dial>``
=============================  ================================================

Continuity legs carry the redirecting identity (Diversion / History-Info:
the tracking number and why the call moved) and the account's caller-ID
policy through the generated pre-dial handler ``continuity-redirect``, run
with Dial's ``b()`` option; with empty arguments it does nothing.

A dialplan using it, in outline (``tests/agi/entrance.py`` has the full one)::

    exten => _X.,1,AGI(agi://127.0.0.1:4573/continuity_route)
     same => n,Dial(${CONTINUITY_DIAL_STRING},${CONTINUITY_DIAL_TIMEOUT},
                    b(continuity-redirect^s^1(${CONTINUITY_DIAL_REDIRECT})))
     same => n,GotoIf($[${FIELDNUM(CONTINUITY_FAILOVER_CAUSES,-,${HANGUPCAUSE})}]?next:end)
     same => n(next),Dial(${CONTINUITY_FALLBACK_DIAL},${CONTINUITY_FALLBACK_TIMEOUT},
                    b(continuity-redirect^s^1(${CONTINUITY_FALLBACK_REDIRECT}^${HANGUPCAUSE})))
     same => n,Goto(continuity-voicemail,${CONTINUITY_MAILBOX},1)
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Mapping
from typing import Any, Protocol

from continuity import names
from continuity.agi.commands import set_variable
from continuity.agi.errors import AgiCommandFailed
from continuity.core.static_route import StaticRoute, static_route
from continuity.router import Router

log = logging.getLogger(__name__)

#: A dialed number we echo back as a variable: digits only (the URI may hold anything).
_NUMBER = re.compile(r"\+?[0-9]{1,20}\Z")


class AgiRequest(Protocol):
    """What the route needs of a panoramisk ``fast_agi.Request``."""

    headers: Mapping[str, str]

    async def send_command(self, command: str) -> Any: ...


def route_variables(route: StaticRoute) -> dict[str, str]:
    """The channel variables for ``route``; empty strings for what does not apply.

    plan_route dials at most two destinations (the primary, then the continuity
    destination), so a dial string and one fallback cover every chain.
    """
    first = route.dials[0] if route.dials else None
    second = route.dials[1] if len(route.dials) > 1 else None
    if len(route.dials) > 2:
        log.warning(
            "route for %s has %d dial steps; AGI passes the first two",
            route.number,
            len(route.dials),
        )
    return {
        names.VAR_TRACKING_NUMBER: route.number if _NUMBER.match(route.number) else "",
        names.VAR_ROUTE_KIND: route.kind,
        names.VAR_ROUTE_REASON: route.reason.value,
        names.VAR_DIAL_STRING: first.dial if first else "",
        names.VAR_DIAL_TIMEOUT: str(first.timeout) if first else "",
        names.VAR_FAILOVER_CAUSES: (first.failover_causes or "") if first else "",
        names.VAR_FALLBACK_DIAL: second.dial if second else "",
        names.VAR_FALLBACK_TIMEOUT: str(second.timeout) if second else "",
        names.VAR_MAILBOX: route.mailbox or "",
        names.VAR_DIAL_REDIRECT: first.redirect if first else "",
        names.VAR_FALLBACK_REDIRECT: second.redirect if second else "",
    }


def dialed_number(headers: Mapping[str, str]) -> str:
    """The number to route: the AGI's first argument if given, else the extension."""
    return headers.get("agi_arg_1") or headers.get("agi_extension", "")


class ContinuityRoute:
    """The ``continuity_route`` handler (:meth:`handle`; async: panoramisk's sync path is gone)."""

    def __init__(
        self,
        router: Router,
        dial_timeout: int,
    ) -> None:
        self._router = router
        self._dial_timeout = dial_timeout

    def route(self, dialed: str) -> StaticRoute:
        plan = self._router.plan(dialed, dt.datetime.now(dt.UTC))
        return static_route(plan, self._dial_timeout)

    async def handle(self, request: AgiRequest) -> None:
        dialed = dialed_number(request.headers)
        route = self.route(dialed)
        for name, value in route_variables(route).items():
            command = set_variable(name, value)
            result = await request.send_command(command)
            if result.get("error") == "AGIResultHangup":
                log.info("AGI %s: the caller hung up", request.headers.get("agi_channel", "?"))
                return
            if "error" in result:
                raise AgiCommandFailed(command, result)
        log.info(
            "AGI %s: %s to %s via %s",
            request.headers.get("agi_channel", "?"),
            dialed if _NUMBER.match(dialed) else repr(dialed),
            route.reason.value,
            " > ".join(step.dial for step in route.dials) or route.mailbox or "nothing",
        )
