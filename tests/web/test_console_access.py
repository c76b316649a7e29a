"""Console login, sessions and uploads over plain HTTP against `continuity web`."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from continuity.db.pool import Pool
from tests.voicemail.sounds import tone
from tests.web.conftest import ADMIN_PASSWORD, VIEWER_PASSWORD, Team


@pytest.fixture
async def browserless(
    web_service: str, team: Team, empty_account: None
) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=web_service, trust_env=False, timeout=30) as client:
        yield client


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html
    return found.group(1)


async def login(client: httpx.AsyncClient, user: str, password: str) -> httpx.Response:
    page = await client.get("/login")
    return await client.post(
        "/login", data={"csrf": _csrf(page.text), "username": user, "password": password}
    )


async def test_a_login_sets_a_strict_httponly_session_cookie_and_logout_ends_it(
    browserless: httpx.AsyncClient, team: Team
) -> None:
    assert (await browserless.get("/")).headers["location"] == "/login"
    response = await login(browserless, team.admin, ADMIN_PASSWORD)
    assert response.status_code == 303 and response.headers["location"] == "/"
    cookie = next(
        c for c in response.headers.get_list("set-cookie") if c.startswith("continuity_session=")
    )
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # plain HTTP here; set under TLS
    home = await browserless.get("/")
    assert home.status_code == 200 and "alice (admin)" in home.text
    assert home.headers["content-security-policy"].startswith("default-src 'self'")
    await browserless.post("/logout", data={"csrf": _csrf(home.text)})
    assert (await browserless.get("/")).status_code == 303


async def test_failed_logins_are_rate_limited_even_for_the_right_password_then(
    browserless: httpx.AsyncClient, team: Team
) -> None:
    for _ in range(5):
        wrong = await login(browserless, team.viewer, "not the password")
        assert wrong.status_code == 401 and "Wrong user name or password" in wrong.text
    limited = await login(browserless, team.viewer, VIEWER_PASSWORD)
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) > 0
    assert "continuity_session" not in limited.headers.get("set-cookie", "")
    # Another user at the same address still logs in.
    assert (await login(browserless, team.admin, ADMIN_PASSWORD)).status_code == 303


async def test_a_login_without_its_csrf_token_is_refused(
    browserless: httpx.AsyncClient, team: Team
) -> None:
    response = await browserless.post(
        "/login", data={"username": team.admin, "password": ADMIN_PASSWORD}
    )
    assert response.status_code == 403
    assert "continuity_session" not in response.headers.get("set-cookie", "")


async def test_prompt_uploads_are_type_sniffed_and_size_limited_and_a_good_one_is_taken(
    browserless: httpx.AsyncClient,
    team: Team,
    product_pool: Pool,
    tmp_path: Path,
) -> None:
    api = team.as_admin
    created = await browserless.post(
        "/api/lines", json={"id": "sales", "kind": "department"}, headers=api
    )
    assert created.status_code == 201
    await login(browserless, team.admin, ADMIN_PASSWORD)
    csrf = _csrf((await browserless.get("/voicemail")).text)

    async def upload(name: str, data: bytes) -> httpx.Response:
        return await browserless.post(
            "/voicemail/sales/prompt",
            data={"csrf": csrf},
            files={"prompt": (name, data, "audio/wav")},
        )

    fake = await upload("greeting.wav", b"MZ\x90\x00 this is an executable, not audio" * 10)
    assert fake.status_code == 422
    assert "neither WAV nor MP3" in fake.text and 'data-field="prompt"' in fake.text
    huge = await upload("long.wav", b"RIFF\x00\x00\x00\x00WAVE" + b"\x00" * (13 * 1024 * 1024))
    assert huge.status_code == 413
    status = (await browserless.get("/api/lines/sales/voicemail", headers=api)).json()
    assert status["prompt"] == "default"

    good = tone(tmp_path / "greeting.mp3", 2.0, 440)
    taken = await upload("whatever.bin", good.read_bytes())
    assert taken.status_code == 303
    status = (await browserless.get("/api/lines/sales/voicemail", headers=api)).json()
    assert status["prompt"] == "custom" and 1.8 <= status["prompt_seconds"] <= 2.2
    page = await browserless.get("/voicemail")
    assert "now plays the uploaded prompt" in page.text
    audit = (await browserless.get("/api/audit", params={"limit": 1}, headers=api)).json()
    assert audit["items"][0]["action"] == "voicemail.prompt.set"
    assert audit["items"][0]["actor"] == "user:alice"
