"""What can go wrong delivering a notice or placing a test call."""

from __future__ import annotations

from continuity.errors import ContinuityError


class DeliveryFailed(Exception):
    """A notice did not reach its channel this time; it stays queued and is retried."""


class TestCallFailed(ContinuityError):
    """A test call could not be placed at all (not: it was placed and nobody answered)."""
