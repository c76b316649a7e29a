"""Every check on a value an admin stores. Pure: each raises a domain error or returns.

The admin service runs these on every value before anything is written, so
whatever it stores also renders into dialplan. Each error names the field
at fault (``error.field``) and says what to give instead.

Field names, as the HTTP API uses them: ``number``, ``label``, ``line``,
``primary_target``, ``id``, ``kind``, ``name``, ``test_mode``, ``continuity.on``,
``continuity.enabled``, ``destination``, ``voice_agent``, ``failover_sip_codes``,
``primary_timeout``.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from continuity import names
from continuity.core.model import (
    MAX_FORWARDING_NUMBERS,
    ContinuitySettings,
    Destination,
    DestinationKind,
    Line,
    LineKind,
    Snapshot,
)
from continuity.core.numbers import parse_e164
from continuity.core.primary_numbers import check_not_hosted
from continuity.core.redirecting import LINE_NAME, NAME_PREFIX_MAX, clean_name_prefix
from continuity.core.testmode import MAX_TEST_DURATION
from continuity.errors import FailoverLoop, InvalidNumber, InvalidSetting

#: Labels and line names: at most this many characters.
MAX_TEXT = 100
#: Seconds the primary may ring at most before the call moves on.
MAX_PRIMARY_TIMEOUT = 600
#: SIP final responses that can be failure codes.
SIP_FAILURE_CODES = range(400, 700)

_LINE_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,39}\Z")
_E164 = re.compile(r"\+[1-9][0-9]{5,14}\Z")
_ENDPOINT = r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_URI = (
    r"sips?:(?:(?P<user>[A-Za-z0-9+_.-]{1,64})@)?"
    rf"(?P<host>{_LABEL}(?:\.{_LABEL})*)(?::(?P<port>[0-9]{{1,5}}))?"
    r"(?:;[A-Za-z0-9_.-]{1,32}(?:=[A-Za-z0-9_.-]{1,64})?){0,8}"
)
#: A PJSIP endpoint name, or endpoint/sip:[user@]host[:port][;param=value]...
#: Nothing dialplan could read as syntax: Dial() gets it as ``PJSIP/<target>``.
_SIP_TARGET = re.compile(rf"(?P<endpoint>{_ENDPOINT})(?:/{_URI})?\Z")
_SIP_TARGET_MAX = 250
#: The product's own trunks and entrance: dialing them as a "SIP destination" loops.
_OUR_ENDPOINTS = frozenset(
    e.lower() for e in (names.ENDPOINT_PRIMARY, names.ENDPOINT_PSTN, names.ENDPOINT_INBOUND)
)


def _shown(value: str) -> str:
    return repr(value if len(value) <= 40 else value[:37] + "...")


def _text_type(field: str, value: object) -> str:
    if not isinstance(value, str):
        raise InvalidSetting(f"{field} must be text, not {type(value).__name__}", field)
    return value


def _empty(field: str, what: str, example: str) -> InvalidSetting:
    return InvalidSetting(f"{field}: it is empty. Give {what}, for example {example}", field)


def check_text(field: str, value: object, *, limit: int = MAX_TEXT) -> str:
    """A label or display name: printable, one line, at most ``limit`` characters."""
    text = _text_type(field, value)
    if len(text) > limit:
        raise InvalidSetting(
            f"{field} is {len(text)} characters long; keep it to {limit} at most", field
        )
    for char in text:
        category = unicodedata.category(char)
        if category[0] == "C" or category in ("Zl", "Zp"):
            raise InvalidSetting(
                f"{field} {_shown(text)} contains the control character U+{ord(char):04X}; "
                "use printable text on one line",
                field,
            )
    return text


def check_flag(field: str, value: object, *, inherit: bool = True) -> bool | None:
    if value is None and inherit:
        return None
    if not isinstance(value, bool):
        allowed = "on, off or inherit" if inherit else "on or off (this level cannot inherit)"
        raise InvalidSetting(f"{field} must be {allowed}", field)
    return value


def check_e164(field: str, value: object) -> str:
    """An E.164 number exactly as stored: ``+`` and digits of a number range that exists."""
    text = _text_type(field, value)
    if not text:
        raise InvalidNumber(text, "it is empty", field)
    try:
        canonical = parse_e164(text)
    except InvalidNumber as exc:
        raise InvalidNumber(text, exc.reason, field) from None
    if canonical != text or not _E164.match(text):
        raise InvalidNumber(text, f"it is not in E.164 form (that would be {canonical})", field)
    return text


def check_line_id(line_id: object, field: str = "id") -> str:
    text = _text_type(field, line_id)
    if not text:
        raise _empty(field, "a line id", "sales")
    if not _LINE_ID.match(text):
        raise InvalidSetting(
            f"line id {_shown(text)} must be 1-40 lower-case letters, digits or dashes, "
            "starting with a letter or digit (it also names the line's mailbox)",
            field,
        )
    return text


def check_sip_target(target: object, field: str = "destination") -> str:
    """``endpoint`` or ``endpoint/sip:[user@]host[:port][;params]``, never our own trunks."""
    text = _text_type(field, target)
    if not text:
        raise _empty(field, "a PJSIP endpoint name", "backup-pbx or backup/sip:desk@10.0.0.7")
    match = _SIP_TARGET.match(text) if len(text) <= _SIP_TARGET_MAX else None
    port = match.group("port") if match else None
    if match is None or (port is not None and not 1 <= int(port) <= 65535):
        raise InvalidSetting(
            f"SIP target {_shown(text)} must be a PJSIP endpoint name (letters, digits, . _ -), "
            "optionally followed by /sip:user@host[:port], at most "
            f"{_SIP_TARGET_MAX} characters",
            field,
        )
    if match.group("endpoint").lower() in _OUR_ENDPOINTS:
        raise InvalidSetting(
            f"SIP target {_shown(text)} dials through {match.group('endpoint')}, one of the "
            "trunks continuity itself routes with: calls would loop back or bypass the chain. "
            "Name an endpoint of your own pjsip.conf for the backup PBX or agent",
            field,
        )
    return text


def sip_user(target: str) -> str | None:
    """The user part of a valid SIP target's URI, if it has one."""
    match = _SIP_TARGET.match(target)
    return match.group("user") if match else None


def check_failover_codes(codes: object) -> frozenset[int]:
    field = "failover_sip_codes"
    if not isinstance(codes, (set, frozenset, list, tuple)):
        raise InvalidSetting(f"{field} must be a set of SIP codes such as 408,503", field)
    if not codes:
        raise InvalidSetting(
            f"{field}: it is empty. Give at least one SIP failure code, for example 408,503",
            field,
        )
    for code in codes:
        if isinstance(code, bool) or not isinstance(code, int) or code not in SIP_FAILURE_CODES:
            raise InvalidSetting(
                f"{field}: {code!r} is not a SIP failure response; give codes from 400 to 699, "
                "for example 408,480,503,504",
                field,
            )
    return frozenset(codes)


def check_primary_timeout(seconds: object) -> int:
    field = "primary_timeout"
    if (
        isinstance(seconds, bool)
        or not isinstance(seconds, int)
        or not 1 <= seconds <= MAX_PRIMARY_TIMEOUT
    ):
        raise InvalidSetting(
            f"{field} {seconds!r}: give whole seconds from 1 to {MAX_PRIMARY_TIMEOUT} for the "
            "primary to ring before the call moves on",
            field,
        )
    return seconds


def check_line_kind(kind: object) -> LineKind:
    if not isinstance(kind, LineKind):
        choices = ", ".join(k.value for k in LineKind)
        raise InvalidSetting(f"kind must be one of {choices}", "kind")
    return kind


def check_not_ours(snapshot: Snapshot, owner: str, number: str, field: str = "destination") -> None:
    """A failover number that is one of our tracking numbers would loop back in."""
    if number in snapshot.numbers:
        raise FailoverLoop(owner, number, field)


def check_destination(
    snapshot: Snapshot, owner: str, dest: object, field: str = "destination"
) -> Destination:
    if not isinstance(dest, Destination) or not isinstance(dest.kind, DestinationKind):
        raise InvalidSetting(f"{field} must be a destination kind and target", field)
    kind, target = dest.kind, dest.target
    if kind is DestinationKind.PRIMARY:
        raise InvalidSetting(
            f"{field}: the primary is always tried first and cannot be a continuity "
            "destination; choose external, voice agent, SIP or voicemail",
            field,
        )
    if kind is DestinationKind.EXTERNAL:
        check_not_ours(snapshot, owner, check_e164(field, target), field)
    elif kind is DestinationKind.VOICE_AGENT:
        agent = snapshot.account.voice_agent
        if agent is None:
            raise InvalidSetting(
                "no voice agent is configured, so it cannot be a destination. Configure one "
                "first: `continuity default --voice-agent-endpoint ENDPOINT`",
                field,
            )
        if target != agent:
            raise InvalidSetting(
                f"{field}: the voice agent destination is the configured agent {agent!r}, not "
                f"{_shown(_text_type(field, target))}; give it without a target, or change "
                "the agent with `continuity default --voice-agent-endpoint`",
                field,
            )
    elif kind is DestinationKind.SIP:
        user = sip_user(check_sip_target(target, field))
        if user is not None:
            check_not_ours(snapshot, owner, user, field)
    elif kind is DestinationKind.VOICEMAIL and check_line_id(target, field) not in snapshot.lines:
        raise InvalidSetting(
            f"voicemail box {target!r} does not exist: every line has a box named "
            "after its id (`continuity line list`)",
            field,
        )
    return dest


def check_settings(
    snapshot: Snapshot, owner: str, settings: object, *, inherit: bool = True
) -> ContinuitySettings:
    if not isinstance(settings, ContinuitySettings):
        raise InvalidSetting("continuity settings are missing", "continuity")
    check_flag("continuity.on", settings.on, inherit=inherit)
    check_flag("continuity.enabled", settings.enabled, inherit=inherit)
    if settings.destination is not None:
        check_destination(snapshot, owner, settings.destination)
        check_not_primary_hosted(snapshot, owner, settings.destination)
    return settings


def check_new_forwarding(snapshot: Snapshot, line: Line, number: str) -> None:
    if line.kind is not LineKind.USER:
        raise InvalidSetting(
            f"line {line.id!r} is a {line.kind.value} line; only user lines keep forwarding "
            "numbers",
            "line",
        )
    check_e164("number", number)
    if any(f.number == number for f in line.forwarding):
        raise InvalidSetting(
            f"{number} is already a forwarding number of line {line.id!r}", "number"
        )
    if len(line.forwarding) >= MAX_FORWARDING_NUMBERS:
        raise InvalidSetting(
            f"line {line.id!r} already keeps {MAX_FORWARDING_NUMBERS} forwarding numbers; "
            "remove one first (`continuity line forward remove`)",
            "number",
        )
    check_not_ours(snapshot, f"line {line.id}", number, "number")


def check_name_prefix(prefix: str) -> str:
    """A caller-name prefix as typed: display text only, and short; ``{line}`` stands
    for the line's name (which routing cleans the same way when it is used)."""
    bare = prefix.replace(LINE_NAME, "")
    bad = sorted({c for c in bare if c != " " and not clean_name_prefix(c)})
    if bad:
        shown = ", ".join(repr(c) for c in bad)
        raise InvalidSetting(
            f"caller-name prefix {prefix!r} holds {shown}: a prefix reaches the far end's "
            "screen in a SIP header, so use letters, digits, spaces and . ' & + / # @ ! : - "
            f"only ({LINE_NAME} stands for the line's name)",
            "caller_name_prefix",
        )
    if len(" ".join(bare.split())) > NAME_PREFIX_MAX:
        raise InvalidSetting(
            f"caller-name prefix {prefix!r} is longer than {NAME_PREFIX_MAX} characters; "
            "handsets show only the start of a name, so shorten it",
            "caller_name_prefix",
        )
    return " ".join(prefix.split())


def check_test_duration(
    on: bool, duration: dt.timedelta | None, now: dt.datetime
) -> dt.datetime | None:
    """A test's end time from its duration (``None``: until stopped); stops take none."""
    if duration is None:
        return None
    if not on:
        raise InvalidSetting(
            "a duration (--for) goes with `test start`, not with `test stop`", "test_until"
        )
    if duration <= dt.timedelta(0) or duration > MAX_TEST_DURATION:
        raise InvalidSetting(
            f"a test lasts more than zero and at most {MAX_TEST_DURATION.days} days, "
            f"not {duration}",
            "test_until",
        )
    return now + duration


def check_not_primary_hosted(snapshot: Snapshot, owner: str, dest: Destination) -> None:
    """A PSTN destination the primary system hosts would ring into the outage."""
    if dest.kind is DestinationKind.EXTERNAL:
        check_not_hosted(snapshot, owner, dest.target)


def check_forwarding_not_primary_hosted(snapshot: Snapshot, line: Line, number: str) -> None:
    check_not_hosted(snapshot, f"user line {line.id} (forwarding number)", number)
