"""Plain data the routing core works on. Immutable, no I/O."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class DestinationKind(enum.StrEnum):
    """Where a continuity step sends the call."""

    PRIMARY = "primary"
    EXTERNAL = "external"
    VOICE_AGENT = "voice_agent"
    SIP = "sip"
    VOICEMAIL = "voicemail"


@dataclass(frozen=True, slots=True)
class Destination:
    """One place a call can be sent: a kind and its target.

    ``target`` is an E.164 number for ``external``/``primary``, a SIP URI or
    endpoint for ``voice_agent``/``sip`` and a mailbox for ``voicemail``.
    """

    kind: DestinationKind
    target: str


@dataclass(frozen=True, slots=True)
class TrackingNumber:
    """A number the business advertises and our Asterisk terminates."""

    number: str
    label: str = ""
    #: What the primary trunk is asked to reach; the tracking number itself by default.
    primary_target: str | None = None
    #: Per-number continuity switch; ``None`` means "inherit".
    continuity_enabled: bool | None = None
    #: Per-number continuity destination; ``None`` means "inherit".
    continuity_destination: Destination | None = None

    @property
    def primary(self) -> Destination:
        return Destination(DestinationKind.PRIMARY, self.primary_target or self.number)


@dataclass(frozen=True, slots=True)
class AccountSettings:
    """Account-wide defaults."""

    continuity_enabled: bool = False
    default_destination: Destination | None = None


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Everything routing needs, as of one moment. Built by the store."""

    account: AccountSettings = field(default_factory=AccountSettings)
    numbers: dict[str, TrackingNumber] = field(default_factory=dict)
    #: Monotonic version of the data, for logs and staleness checks.
    version: int = 0

    def lookup(self, number: str) -> TrackingNumber | None:
        return self.numbers.get(number)
