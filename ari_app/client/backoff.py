"""The reconnect backoff of the event stream: the project's one backoff, set by policy."""

from __future__ import annotations

from continuity.ari_app.client.config import ReconnectPolicy
from continuity.backoff import Backoff as _Backoff
from continuity.backoff import Jitter


class Backoff(_Backoff):
    """Exponential backoff with full jitter, bounded by a :class:`ReconnectPolicy`."""

    def __init__(self, policy: ReconnectPolicy, jitter: Jitter | None = None) -> None:
        super().__init__(base=policy.base, cap=policy.cap, jitter=jitter)


__all__ = ["Backoff", "Jitter"]
