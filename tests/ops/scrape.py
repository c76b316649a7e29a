"""Reading the app's /metrics as Prometheus does: over HTTP, in the text format."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from prometheus_client.parser import text_string_to_metric_families

from continuity.compose import App
from continuity.metrics_http import MetricsServer

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


class Scraper:
    def __init__(self, url: str) -> None:
        self.url = url

    async def text(self) -> bytes:
        async with httpx.AsyncClient(trust_env=False) as http:
            response = await http.get(self.url)
        response.raise_for_status()
        assert response.headers["content-type"].startswith("text/plain")
        return response.content

    async def scrape(self) -> Samples:
        found: Samples = {}
        for family in text_string_to_metric_families((await self.text()).decode()):
            for sample in family.samples:
                found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
        return found

    async def value(self, name: str, **labels: str) -> float:
        return (await self.scrape()).get((name, tuple(sorted(labels.items()))), 0.0)


@asynccontextmanager
async def metrics_endpoint(app: App) -> AsyncIterator[Scraper]:
    """The app's /metrics on an ephemeral loopback port (what metrics_listen serves)."""
    async with MetricsServer(app.metrics.render, "127.0.0.1:0") as server:
        yield Scraper(f"http://127.0.0.1:{server.port}/metrics")


def delta(before: Samples, after: Samples, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    """How much each labelled series of ``name`` moved (series that did not move left out)."""
    moved = {}
    for key, value in after.items():
        if key[0] == name and value != before.get(key, 0.0):
            moved[key[1]] = value - before.get(key, 0.0)
    return moved
