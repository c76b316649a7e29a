"""Builds the FastAGI server from the configuration; the composition root calls it."""

from __future__ import annotations

from continuity import names
from continuity.agi.route import ContinuityRoute
from continuity.agi.server import AgiServer
from continuity.config import Config
from continuity.logsetup import with_call_id
from continuity.router import Router


def make_agi_server(config: Config, router: Router) -> AgiServer | None:
    """The ``continuity_route`` server, or ``None`` when ``agi_port`` is 0 (off)."""
    if config.agi_port == 0:
        return None
    route = ContinuityRoute(router, config.dial_timeout)
    # Lines logged while routing a call carry its id: the channel's uniqueid.
    handle = with_call_id(route.handle, lambda request: request.headers.get("agi_uniqueid"))
    return AgiServer(
        config.agi_host,
        config.agi_port,
        {names.AGI_ROUTE: handle},
        session_timeout=config.agi_session_timeout,
        max_connections=config.agi_max_connections,
    )
