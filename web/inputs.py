"""Input text to domain values, each failure naming its field. Shared by the API and console."""

from __future__ import annotations

from collections.abc import Iterable

from continuity.admin import KEEP, Keep, SettingsChange
from continuity.core.model import Destination, DestinationKind, Snapshot
from continuity.core.numbers import parse_e164
from continuity.errors import InvalidNumber
from continuity.web.errors import FieldError

MODES: dict[str, bool | None] = {"on": True, "off": False, "inherit": None}
FAILOVERS: dict[str, bool | None] = {"enabled": True, "disabled": False, "inherit": None}
KINDS = ("external", "voice_agent", "sip", "voicemail")
#: Longest label or name kept; longer text is refused, not cut.
MAX_TEXT = 200


def e164(field: str, text: str, region: str) -> str:
    try:
        return parse_e164(text, region)
    except InvalidNumber as exc:
        raise FieldError(field, str(exc)) from exc


def text(field: str, value: str, limit: int = MAX_TEXT) -> str:
    if len(value) > limit:
        raise FieldError(field, f"is {len(value)} characters long; at most {limit} are kept")
    if any(ord(c) < 32 and c not in "\t" for c in value):
        raise FieldError(field, "must not contain control characters (newlines, NUL…)")
    return value


def choice(field: str, value: str, options: dict[str, bool | None]) -> bool | None:
    if value not in options:
        raise FieldError(field, f"must be one of {', '.join(options)}")
    return options[value]


def destination(field: str, kind: str, target: str, snapshot: Snapshot, region: str) -> Destination:
    """``kind`` and ``target`` as a destination; the voice agent needs no target."""
    if kind == "external":
        return Destination(DestinationKind.EXTERNAL, e164(f"{field}.target", target, region))
    if kind == "voice_agent":
        agent = snapshot.account.voice_agent
        if agent is None:
            raise FieldError(
                f"{field}.kind",
                "no voice agent is configured, so it cannot be a destination; configure "
                "one first (account voice_agent)",
            )
        return Destination(DestinationKind.VOICE_AGENT, agent)
    if kind == "sip":
        return Destination(DestinationKind.SIP, text(f"{field}.target", target))
    if kind == "voicemail":
        if target not in snapshot.lines:
            raise FieldError(
                f"{field}.target", f"no line {target!r} exists, so it has no voicemail box"
            )
        return Destination(DestinationKind.VOICEMAIL, target)
    raise FieldError(f"{field}.kind", f"must be one of {', '.join(KINDS)}")


def settings_change(
    continuity: str | None,
    failover: str | None,
    dest: Destination | Keep | None,
) -> SettingsChange:
    """None for ``continuity``/``failover`` leaves them as they are."""
    return SettingsChange(
        on=KEEP if continuity is None else choice("continuity", continuity, MODES),
        enabled=KEEP if failover is None else choice("failover", failover, FAILOVERS),
        destination=dest,
    )


def sip_codes(field: str, codes: Iterable[int]) -> frozenset[int]:
    found = frozenset(codes)
    if not found or any(not 400 <= c <= 699 for c in found):
        raise FieldError(field, "give one or more SIP failure codes, each 400-699 (e.g. 408,503)")
    return found


def sip_codes_text(field: str, value: str) -> frozenset[int]:
    try:
        return sip_codes(field, [int(c) for c in value.split(",") if c.strip()])
    except ValueError:
        raise FieldError(field, "give SIP codes separated by commas, like 408,480,503") from None


def positive(field: str, value: int, limit: int = 600) -> int:
    if not 0 < value <= limit:
        raise FieldError(field, f"must be a whole number of seconds, 1-{limit}")
    return value
