"""The primary system's numbers and shared paths, without I/O."""

from __future__ import annotations

import pytest

from continuity import names
from continuity.core.model import (
    AccountSettings,
    ContinuitySettings,
    Destination,
    DestinationKind,
    Snapshot,
)
from continuity.core.primary_numbers import hosting_pattern, parse_pattern
from continuity.core.shared_path import SipHost, shared_path_warnings, sip_host
from continuity.errors import InvalidSetting


def test_entries_are_a_number_or_a_prefix_range_and_the_most_specific_one_is_named() -> None:
    assert parse_pattern("+1 212 555 0150") == "+12125550150"
    assert parse_pattern("+1212555*") == "+1212555*"
    patterns = ("+1212*", "+1212555*", "+16465550100")
    assert hosting_pattern(patterns, "+12125550150") == "+1212555*"
    assert hosting_pattern(patterns, "+12127770150") == "+1212*"
    assert hosting_pattern(patterns, "+16465550100") == "+16465550100"
    assert hosting_pattern(patterns, "+16465550101") is None


@pytest.mark.parametrize("text", ["1212555*", "+*", "+0212*", "+12*12*", "+1212x*"])
def test_malformed_ranges_are_refused(text: str) -> None:
    with pytest.raises(InvalidSetting, match=r"e\.g\. \+1212555\*"):
        parse_pattern(text)


@pytest.mark.parametrize(
    ("uri", "host"),
    [
        ("sip:pbx.example.com", SipHost("pbx.example.com", 5060)),
        ("sips:pbx.example.com", SipHost("pbx.example.com", 5061)),
        ("sip:alice@PBX.Example.com:5080;transport=tcp", SipHost("pbx.example.com", 5080)),
        ("sip:[2001:db8::1]:5062", SipHost("[2001:db8::1]", 5062)),
        ("pbx.example.com", None),
    ],
)
def test_sip_uris_lead_to_a_host_and_port(uri: str, host: SipHost | None) -> None:
    assert sip_host(uri) == host


def test_the_primarys_own_endpoint_as_a_sip_destination_is_a_shared_path() -> None:
    dest = Destination(DestinationKind.SIP, names.ENDPOINT_PRIMARY)
    snapshot = Snapshot(AccountSettings(ContinuitySettings(False, True, dest)))
    (warning,) = shared_path_warnings(snapshot, "sip:pbx.example.com", "sip:carrier.example")
    assert "the account default's SIP destination" in warning
    assert "primary trunk's own endpoint" in warning
