"""E.164 parsing and formatting. Pure: phonenumbers does no I/O."""

from __future__ import annotations

import phonenumbers

from continuity.errors import InvalidNumber


def parse_e164(text: str, default_region: str = "US") -> str:
    """Return ``text`` as an E.164 string, or raise :class:`InvalidNumber`."""
    cleaned = text.strip()
    if not cleaned:
        raise InvalidNumber(text, "it is empty")
    try:
        parsed = phonenumbers.parse(cleaned, default_region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidNumber(text, str(exc).split(") ", 1)[-1].rstrip(".").lower()) from exc
    if not phonenumbers.is_possible_number(parsed):
        raise InvalidNumber(text, "it has the wrong number of digits")
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidNumber(text, "no such number range exists")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
