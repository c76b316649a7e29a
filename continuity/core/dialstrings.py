"""How a destination is reached from Asterisk: one definition for ARI, AGI and dialplan."""

from __future__ import annotations

from continuity import names
from continuity.core.model import Destination, DestinationKind


class NotDialable(ValueError):
    """Voicemail is an application, not something to Dial()."""


def dial_string(dest: Destination) -> str:
    """The channel technology/resource Asterisk dials for ``dest``."""
    if dest.kind is DestinationKind.PRIMARY:
        return f"PJSIP/{dest.target}@{names.ENDPOINT_PRIMARY}"
    if dest.kind is DestinationKind.EXTERNAL:
        return f"PJSIP/{dest.target}@{names.ENDPOINT_PSTN}"
    if dest.kind in (DestinationKind.SIP, DestinationKind.VOICE_AGENT):
        # A bare endpoint name, or endpoint/sip:uri, exactly as PJSIP dials it.
        return f"PJSIP/{dest.target}"
    raise NotDialable(f"{dest.kind} destinations are not dialed")
