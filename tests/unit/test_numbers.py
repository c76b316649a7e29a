"""Phone numbers an admin types, and the reasons bad ones are refused."""

from __future__ import annotations

import pytest

from continuity.core.numbers import parse_e164
from continuity.errors import InvalidNumber


@pytest.mark.parametrize(
    ("typed", "e164"),
    [
        ("+1 212 555 0101", "+12125550101"),
        ("(212) 555-0101", "+12125550101"),
        ("+44 20 7946 0958", "+442079460958"),
    ],
)
def test_numbers_are_stored_in_e164(typed: str, e164: str) -> None:
    assert parse_e164(typed) == e164


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("", "empty"),
        ("12", "wrong number of digits"),
        ("+1 555 123 0001", "no such number"),
        ("call me", "did not seem to be a phone number"),
    ],
)
def test_invalid_numbers_are_refused_with_the_reason(typed: str, reason: str) -> None:
    with pytest.raises(InvalidNumber, match=reason):
        parse_e164(typed)
