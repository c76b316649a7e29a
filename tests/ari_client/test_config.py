"""Configuration is validated up front, with messages that say how to fix it."""

from __future__ import annotations

import pytest

from continuity.ari_app.client import (
    AriConfig,
    AriConfigError,
    AriCredentials,
    Backoff,
    ReconnectPolicy,
)

from .fakes import PASSWORD, make_config

CREDS = AriCredentials("continuity", PASSWORD)


def test_urls_are_derived_from_the_base_url_without_credentials() -> None:
    config = make_config("http://127.0.0.1:8088/")
    assert config.ari_root == "http://127.0.0.1:8088/ari"
    assert config.events_url == "ws://127.0.0.1:8088/ari/events?app=continuity&subscribeAll=false"
    secure = AriConfig("https://pbx.example:8089", CREDS, "continuity")
    assert secure.events_url.startswith("wss://pbx.example:8089/ari/events?")


def test_the_app_name_is_url_encoded() -> None:
    config = AriConfig("http://127.0.0.1:8088", CREDS, "my app&x=1")
    assert config.events_url.endswith("/ari/events?app=my+app%26x%3D1&subscribeAll=false")


@pytest.mark.parametrize(
    ("base_url", "app", "message"),
    [
        ("127.0.0.1:8088", "continuity", "ARI base_url must look like http://127.0.0.1:8088"),
        ("ws://127.0.0.1:8088", "continuity", "scheme http or https"),
        (
            f"http://continuity:{PASSWORD}@127.0.0.1:8088",
            "continuity",
            "ARI base_url must not contain credentials; pass them as AriCredentials",
        ),
        ("http://127.0.0.1:8088?api_key=x", "continuity", "must not have a query string"),
        ("http://127.0.0.1:8088", "", "ARI app name must be one non-empty name"),
        ("http://127.0.0.1:8088", "a,b", "without commas"),
    ],
)
def test_bad_settings_are_rejected_with_a_clear_message(
    base_url: str, app: str, message: str
) -> None:
    with pytest.raises(AriConfigError, match=message) as raised:
        AriConfig(base_url, CREDS, app)
    assert PASSWORD not in str(raised.value)


def test_timeouts_must_be_positive() -> None:
    with pytest.raises(AriConfigError, match="ARI ws_ping_interval must be > 0 s, got 0"):
        AriConfig("http://127.0.0.1:8088", CREDS, "continuity", ws_ping_interval=0)


def test_credentials_are_validated_and_never_printed() -> None:
    with pytest.raises(AriConfigError, match="ARI username is empty"):
        AriCredentials("", PASSWORD)
    with pytest.raises(AriConfigError, match="must not contain ':'"):
        AriCredentials("a:b", PASSWORD)
    assert repr(CREDS) == "AriCredentials(username='continuity', password=<hidden>)"
    assert f"{CREDS}" == repr(CREDS)


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        ({"base": 0.0}, "reconnect base delay must be > 0 s, got 0.0"),
        ({"base": 2.0, "cap": 1.0}, r"reconnect cap \(1.0 s\) must be >= base \(2.0 s\)"),
        ({"stable_after": -1.0}, "stable_after must be >= 0 s, got -1.0"),
    ],
)
def test_a_bad_reconnect_policy_is_rejected(policy: dict[str, float], message: str) -> None:
    with pytest.raises(AriConfigError, match=message):
        ReconnectPolicy(**policy)


def test_backoff_ceilings_double_up_to_the_cap_and_reset() -> None:
    backoff = Backoff(ReconnectPolicy(base=0.5, cap=4.0), jitter=lambda ceiling: ceiling)
    assert [backoff.next_delay() for _ in range(6)] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    backoff.reset()
    assert backoff.next_delay() == 0.5


def test_full_jitter_stays_within_the_ceiling() -> None:
    backoff = Backoff(ReconnectPolicy(base=0.5, cap=4.0))
    for _ in range(2000):
        ceiling = backoff.ceiling
        assert 0.0 <= backoff.next_delay() <= ceiling
    assert backoff.ceiling == 4.0, "the exponent saturates instead of overflowing"
