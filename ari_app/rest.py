"""The ARI REST calls the call service makes (:class:`continuity.ari_app.client.AriRest`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from continuity.ari_app.client.models import Bridge, Channel


class CallRest(Protocol):
    async def originate(
        self,
        endpoint: str,
        *,
        app: str,
        app_args: str | None = None,
        caller_id: str | None = None,
        channel_id: str | None = None,
        variables: Mapping[str, str] | None = None,
        timeout: int | None = None,
        originator: str | None = None,
    ) -> object: ...
    async def answer(self, channel_id: str) -> None: ...
    async def ring(self, channel_id: str) -> None: ...
    async def hangup(self, channel_id: str, reason: str | None = None) -> None: ...
    async def play(self, channel_id: str, media: str, playback_id: str | None = None) -> object: ...
    async def continue_in_dialplan(
        self, channel_id: str, context: str, extension: str, priority: int
    ) -> None: ...
    async def destroy_bridge(self, bridge_id: str) -> None: ...
    async def list_bridges(self) -> list[Bridge]: ...
    async def list_channels(self) -> list[Channel]: ...
    async def subscribe(self, app: str, event_source: str) -> None: ...
