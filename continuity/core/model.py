"""Plain data the routing core works on. Immutable, no I/O."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field

from continuity.core.hours import Schedule

#: SIP responses from the primary that move the same call on to the next step.
#: Busy (486), not found (404) and declined (603) are answers, not outages.
DEFAULT_FAILOVER_SIP_CODES: frozenset[int] = frozenset({408, 480, 503, 504})
MAX_FORWARDING_NUMBERS = 5


class DestinationKind(enum.StrEnum):
    """Where a step of the chain sends the call."""

    PRIMARY = "primary"
    EXTERNAL = "external"
    VOICE_AGENT = "voice_agent"
    SIP = "sip"
    VOICEMAIL = "voicemail"


class CallerIdPolicy(enum.StrEnum):
    """The caller ID a continuity leg presents to the far end."""

    #: The caller's own number; the Diversion header names the tracking number.
    KEEP = "keep"
    #: The tracking number, for carriers that refuse caller IDs the account does not own.
    TRACKING = "tracking"


class LineKind(enum.StrEnum):
    MAIN = "main"
    DEPARTMENT = "department"
    CONTACT_CENTER = "contact_center"
    USER = "user"


@dataclass(frozen=True, slots=True)
class Destination:
    """One place a call can be sent: a kind and its target.

    ``target`` is an E.164 number for ``external``/``primary``, a PJSIP
    endpoint or ``endpoint/sip:uri`` for ``voice_agent``/``sip``, and a
    mailbox for ``voicemail``.
    """

    kind: DestinationKind
    target: str

    def __str__(self) -> str:
        return f"{self.kind.value}:{self.target}"


@dataclass(frozen=True, slots=True)
class ContinuitySettings:
    """The settings present at every level (account, line, number).

    ``None`` means "inherit from the level above"; the most specific set value wins.
    """

    #: Continuity mode: the primary is skipped and calls go straight to continuity.
    on: bool | None = None
    #: Whether continuity plays any part: off means primary only, whatever else is set.
    enabled: bool | None = None
    destination: Destination | None = None


@dataclass(frozen=True, slots=True)
class ForwardingNumber:
    number: str
    added_at: dt.datetime
    verified_at: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class Line:
    """Main line, department, contact center or user: what a tracking number reaches."""

    id: str
    kind: LineKind
    name: str = ""
    continuity: ContinuitySettings = field(default_factory=ContinuitySettings)
    forwarding: tuple[ForwardingNumber, ...] = ()
    #: Failover test mode: this line's calls go to its continuity chain.
    test_mode: bool = False
    #: When a timed test ends by itself (``None``: it runs until stopped).
    test_until: dt.datetime | None = None
    #: The line's business-hours schedule; ``None`` follows the account's default one.
    schedule: str | None = None
    #: Where continuity calls go out of hours, instead of the in-hours destination.
    after_hours: Destination | None = None
    #: Caller-ID policy and caller-name prefix of this line's continuity legs;
    #: ``None`` follows the account.
    caller_id: CallerIdPolicy | None = None
    caller_name_prefix: str | None = None
    #: Bumped by the database on every write of the line (the HTTP API's ETag).
    version: int = 0

    @property
    def mailbox(self) -> str:
        return self.id

    def failover_number(self) -> str | None:
        """The most recently verified forwarding number. Unverified ones never count."""
        verified = [f for f in self.forwarding if f.verified_at is not None]
        if not verified:
            return None
        return max(verified, key=lambda f: (f.verified_at, f.added_at)).number


@dataclass(frozen=True, slots=True)
class TrackingNumber:
    """A number the business advertises and our Asterisk terminates."""

    number: str
    label: str = ""
    line: str | None = None
    #: What the primary trunk is asked to reach; the tracking number itself by default.
    primary_target: str | None = None
    continuity: ContinuitySettings = field(default_factory=ContinuitySettings)
    #: Failover test mode for this number alone, beside the line's.
    test_mode: bool = False
    #: When a timed test ends by itself (``None``: it runs until stopped).
    test_until: dt.datetime | None = None
    #: Bumped by the database on every write of the number (the HTTP API's ETag).
    version: int = 0

    @property
    def primary(self) -> Destination:
        return Destination(DestinationKind.PRIMARY, self.primary_target or self.number)


@dataclass(frozen=True, slots=True)
class AccountSettings:
    """Account-wide defaults and policies."""

    continuity: ContinuitySettings = field(
        default_factory=lambda: ContinuitySettings(on=False, enabled=True)
    )
    #: The configured voice agent endpoint, if any; ``voice_agent`` destinations need one.
    voice_agent: str | None = None
    failover_sip_codes: frozenset[int] = DEFAULT_FAILOVER_SIP_CODES
    #: Seconds the primary may ring before the call moves on.
    primary_timeout: int = 20
    #: The caller ID continuity legs present, and the prefix put before the
    #: caller's name (``{line}`` stands for the line's name; empty: none).
    caller_id: CallerIdPolicy = CallerIdPolicy.KEEP
    caller_name_prefix: str = ""
    #: Whether the trunks send History-Info (RFC 7044) besides Diversion (RFC 5806).
    send_history_info: bool = False
    #: Bumped by the database on every write of the account settings (the HTTP API's ETag).
    version: int = 0


@dataclass(frozen=True, slots=True)
class TrunkHealth:
    """What outage detection knows of the primary trunk."""

    primary_down: bool = False


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Everything routing needs, as of one moment. Built by the store."""

    account: AccountSettings = field(default_factory=AccountSettings)
    numbers: dict[str, TrackingNumber] = field(default_factory=dict)
    lines: dict[str, Line] = field(default_factory=dict)
    #: Monotonic version of the data, for logs and staleness checks.
    version: int = 0
    #: Numbers and ``prefix*`` ranges the primary system hosts: never failover destinations.
    primary_numbers: tuple[str, ...] = ()
    #: Business-hours schedules by name, and the account's default one.
    schedules: dict[str, Schedule] = field(default_factory=dict)
    default_schedule: str | None = None

    def schedule_of(self, line: Line) -> Schedule | None:
        """The line's own schedule, else the account default."""
        name = line.schedule or self.default_schedule
        return self.schedules.get(name) if name else None

    def lookup(self, number: str) -> TrackingNumber | None:
        return self.numbers.get(number)

    def line_of(self, number: TrackingNumber) -> Line | None:
        """The number's line, or the main line when it names none."""
        if number.line is not None:
            return self.lines.get(number.line)
        return next((ln for ln in self.lines.values() if ln.kind is LineKind.MAIN), None)
