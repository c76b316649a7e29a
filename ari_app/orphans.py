"""Bridges of ours that no call of this run owns: the app restarted while the call
was up, then one side hung up. Its lone survivor is released."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Container

from continuity.ari_app.bridges import call_of
from continuity.ari_app.client.errors import AriNotFound
from continuity.ari_app.rest import CallRest

log = logging.getLogger(__name__)


async def release_orphans(ari: CallRest, owned: Container[str], keys: Container[str]) -> None:
    """Hang up the lone channel left in the bridge of each call in ``keys`` this run
    does not own, and destroy the bridge."""
    for bridge in await ari.list_bridges():
        key = call_of(bridge.id, bridge.channels)
        if key is None or key in owned or key not in keys:
            continue
        if len(bridge.channels) > 1:
            continue
        log.warning(
            "call %s: releasing %d channel(s) left alone in its bridge", key, len(bridge.channels)
        )
        for channel_id in bridge.channels:
            with contextlib.suppress(AriNotFound):
                await ari.hangup(channel_id)
        with contextlib.suppress(AriNotFound):
            await ari.destroy_bridge(bridge.id)
