"""/metrics over HTTP from the app's event loop, and the ASGI app the web console mounts."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from continuity.errors import ConfigError
from continuity.metrics import Metrics
from continuity.metrics_http import MetricsServer, asgi_app, serving
from tests.unit.quiet_app import quiet_probes


async def test_metrics_listen_serves_the_text_format_and_nothing_else() -> None:
    metrics = Metrics(quiet_probes())
    async with (
        MetricsServer(metrics.render, "127.0.0.1:0") as server,
        httpx.AsyncClient(trust_env=False, base_url=f"http://127.0.0.1:{server.port}") as http,
    ):
        ok = await http.get("/metrics")
        head = await http.head("/metrics")
        other = await http.get("/")
        post = await http.post("/metrics")
    assert ok.status_code == 200
    assert ok.headers["content-type"].startswith("text/plain; version=")
    assert "continuity_ari_connected 1.0" in ok.text
    assert head.status_code == 200 and head.content == b""
    assert other.status_code == 404
    assert post.status_code == 405


async def test_an_empty_metrics_listen_serves_nothing() -> None:
    async with serving(lambda: b"", "") as server:
        assert server is None


async def test_the_asgi_app_answers_the_same_metrics() -> None:
    metrics = Metrics(quiet_probes())
    app: Any = asgi_app(metrics.registry)
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "GET",
        "path": "/metrics",
        "query_string": b"",
        "headers": [],
    }
    await app(scope, receive, send)
    assert sent[0]["status"] == 200
    assert b"continuity_routing_state_version 1.0" in b"".join(m.get("body", b"") for m in sent)


async def test_a_metrics_listen_address_in_use_is_a_clear_error() -> None:
    metrics = Metrics(quiet_probes())
    async with MetricsServer(metrics.render, "127.0.0.1:0") as taken:
        with pytest.raises(ConfigError, match=r"metrics_listen 127\.0\.0\.1:\d+: cannot listen"):
            async with MetricsServer(metrics.render, f"127.0.0.1:{taken.port}"):
                pass
