"""Typed, validated settings for one ARI connection.

Credentials travel only in an ``Authorization: Basic`` header; they never
appear in a URL, a log line or a ``repr``.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from continuity.ari_app.client.errors import AriConfigError


@dataclass(frozen=True)
class AriCredentials:
    """The ARI user from ``ari.conf``; the password is hidden from ``repr``."""

    username: str
    password: str

    def __post_init__(self) -> None:
        if not self.username:
            raise AriConfigError("ARI username is empty; set the user from ari.conf")
        if ":" in self.username:
            raise AriConfigError("ARI username must not contain ':' (Basic auth cannot carry it)")

    def __repr__(self) -> str:
        return f"AriCredentials(username={self.username!r}, password=<hidden>)"

    __str__ = __repr__

    def authorization(self) -> str:
        """The value of the ``Authorization`` header."""
        token = base64.b64encode(f"{self.username}:{self.password}".encode()).decode("ascii")
        return f"Basic {token}"


@dataclass(frozen=True)
class ReconnectPolicy:
    """Exponential backoff with full jitter for the event WebSocket.

    ``base`` and ``cap`` bound the delay ceiling (``min(cap, base * 2**n)``);
    the backoff resets only after a connection delivered an event or stayed
    up for ``stable_after`` seconds, so a server that accepts and closes at
    once is still retried with growing delays.
    """

    base: float = 0.5
    cap: float = 30.0
    stable_after: float = 10.0

    def __post_init__(self) -> None:
        if self.base <= 0:
            raise AriConfigError(f"reconnect base delay must be > 0 s, got {self.base}")
        if self.cap < self.base:
            raise AriConfigError(f"reconnect cap ({self.cap} s) must be >= base ({self.base} s)")
        if self.stable_after < 0:
            raise AriConfigError(f"stable_after must be >= 0 s, got {self.stable_after}")


@dataclass(frozen=True)
class AriConfig:
    """Where ARI lives, who we are, and which Stasis app we register."""

    base_url: str
    credentials: AriCredentials
    app: str
    #: Seconds a REST request may take (connect, send, read) before failing.
    http_timeout: float = 10.0
    #: Seconds the WebSocket connect + upgrade may take before it is retried.
    ws_open_timeout: float = 10.0
    #: Ping every N seconds; a connection without a pong within N s is dropped.
    ws_ping_interval: float = 20.0

    def __post_init__(self) -> None:
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise AriConfigError(
                "ARI base_url must look like http://127.0.0.1:8088 "
                f"(scheme http or https and a host), got scheme {parts.scheme!r}"
            )
        if parts.username is not None or parts.password is not None:
            raise AriConfigError(
                "ARI base_url must not contain credentials; pass them as AriCredentials"
            )
        if parts.query or parts.fragment:
            raise AriConfigError("ARI base_url must not have a query string or fragment")
        if not self.app or "," in self.app:
            raise AriConfigError(
                f"ARI app name must be one non-empty name without commas, got {self.app!r}"
            )
        for name in ("http_timeout", "ws_open_timeout", "ws_ping_interval"):
            value = getattr(self, name)
            if value <= 0:
                raise AriConfigError(f"ARI {name} must be > 0 s, got {value}")

    @property
    def ari_root(self) -> str:
        """The REST root, e.g. ``http://127.0.0.1:8088/ari``."""
        return self.base_url.rstrip("/") + "/ari"

    @property
    def events_url(self) -> str:
        """The event WebSocket URL; it carries the app name, never credentials."""
        parts = urlsplit(self.ari_root)
        scheme = "wss" if parts.scheme == "https" else "ws"
        query = urlencode({"app": self.app, "subscribeAll": "false"})
        return f"{scheme}://{parts.netloc}{parts.path}/events?{query}"

    def auth_headers(self) -> dict[str, str]:
        """Headers for both REST requests and the WebSocket upgrade."""
        return {"Authorization": self.credentials.authorization()}
