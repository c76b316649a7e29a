"""Where and as whom to reach an instance's AMI and ARI (secrets kept out of reprs)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class AmiCredentials:
    """Where and as whom to log in to an instance's Asterisk Manager Interface."""

    host: str
    port: int
    username: str
    secret: str = field(repr=False)


@dataclass(frozen=True)
class AriCredentials:
    """Base URL and user of an instance's ARI (``http://127.0.0.1:<port>/ari``)."""

    url: str
    username: str
    password: str = field(repr=False)

    @property
    def events_url(self) -> str:
        """The WebSocket URL of ``/ari/events`` (add ``?app=...``)."""
        return self.url.replace("http://", "ws://", 1) + "/events"
