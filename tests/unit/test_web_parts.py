"""The web adapter's pure parts: login limits, resource versions, upload sniffing, settings."""

from __future__ import annotations

import pytest

from continuity.access.credentials import hash_password, verify_password
from continuity.config import load_config
from continuity.errors import ConfigError
from continuity.web.errors import PreconditionFailed
from continuity.web.ratelimit import LoginLimiter
from continuity.web.uploads import sniff
from continuity.web.versions import check_if_match, etag


def test_five_failed_logins_for_a_user_wait_out_the_window_and_a_success_resets() -> None:
    now = [0.0]
    limiter = LoginLimiter(max_failures=5, window=300, clock=lambda: now[0])
    for _ in range(5):
        assert limiter.retry_after("user:alice") is None
        limiter.failed("user:alice")
    assert limiter.retry_after("user:alice") == pytest.approx(300)
    assert limiter.retry_after("user:bob") is None
    now[0] = 301
    assert limiter.retry_after("user:alice") is None
    limiter.failed("user:bob")
    limiter.succeeded("user:bob")
    assert limiter.retry_after("user:bob") is None


def test_an_address_gets_more_tries_than_one_user() -> None:
    limiter = LoginLimiter(max_failures=2, max_per_address=4, clock=lambda: 0.0)
    for _ in range(3):
        limiter.failed("ip:10.0.0.1")
    assert limiter.retry_after("ip:10.0.0.1") is None
    limiter.failed("ip:10.0.0.1")
    assert limiter.retry_after("ip:10.0.0.1") is not None


def test_a_stale_if_match_is_refused_and_a_current_or_absent_one_passes() -> None:
    resource = {"continuity": "off", "primary_timeout": 20}
    tag = etag(resource)
    check_if_match(None, resource)
    check_if_match(tag, resource)
    check_if_match(f'W/{tag}, "other"', resource)
    with pytest.raises(PreconditionFailed):
        check_if_match(etag({**resource, "primary_timeout": 15}), resource)


def test_uploads_are_judged_by_their_first_bytes() -> None:
    assert sniff(b"RIFF\x24\x08\x00\x00WAVEfmt ") == ".wav"
    assert sniff(b"ID3\x04\x00") == ".mp3"
    assert sniff(b"\xff\xfb\x90\x64") == ".mp3"
    assert sniff(b"MZ\x90\x00") is None
    assert sniff(b"<html>") is None


def test_passwords_verify_only_against_their_own_scrypt_hash() -> None:
    stored = hash_password("correct horse battery")
    assert stored.startswith("scrypt$")
    assert verify_password("correct horse battery", stored)
    assert not verify_password("correct horse batterz", stored)
    assert not verify_password("x", "garbage")


def test_web_listen_is_host_and_port_or_empty_and_tls_needs_both_files() -> None:
    assert load_config(environ={}).web_listen == "127.0.0.1:8089"
    assert load_config(environ={"CONTINUITY_WEB_LISTEN": ""}).web_listen == ""
    assert load_config(environ={"CONTINUITY_WEB_LISTEN": "[::1]:9000"}).web_listen == "[::1]:9000"
    with pytest.raises(ConfigError) as bad:
        load_config(
            environ={"CONTINUITY_WEB_LISTEN": "8089", "CONTINUITY_WEB_TLS_CERT": "cert.pem"}
        )
    assert len(bad.value.problems) == 2
