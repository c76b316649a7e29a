"""Voicemail PINs: what VoiceMailMain asks a line's owner for. Never logged."""

from __future__ import annotations

import re
import secrets

from continuity.errors import InvalidSetting

_PIN = re.compile(r"[0-9]{4,12}\Z")
#: Digits of a PIN made by `continuity voicemail pin reset`.
NEW_PIN_DIGITS = 6


def check_pin(pin: str) -> str:
    if not _PIN.match(pin):
        raise InvalidSetting(
            "a voicemail PIN is 4 to 12 digits (0-9) and nothing else: VoiceMailMain "
            "reads it from the phone's keypad"
        )
    return pin


def new_pin() -> str:
    """A random PIN (from the system's strong random source)."""
    return f"{secrets.randbelow(10**NEW_PIN_DIGITS):0{NEW_PIN_DIGITS}d}"
