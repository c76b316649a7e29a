"""Outage notices as an HTTP POST of JSON, with an ``Idempotency-Key`` header."""

from __future__ import annotations

import httpx

from continuity.core.notices import Notice
from continuity.outage.errors import DeliveryFailed


class WebhookSender:
    def __init__(self, http: httpx.AsyncClient, url: str, timeout: float = 5.0) -> None:
        self._http = http
        self._url = url
        self._timeout = timeout

    def __repr__(self) -> str:
        return f"<WebhookSender {httpx.URL(self._url).copy_with(query=None, userinfo=b'')}>"

    async def send(self, notice: Notice) -> None:
        try:
            response = await self._http.post(
                self._url,
                json=notice.payload,
                headers={"Idempotency-Key": notice.idempotency_key},
                timeout=self._timeout,
            )
        except httpx.HTTPError as exc:
            raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from exc
        if not response.is_success:
            raise DeliveryFailed(f"HTTP {response.status_code} {response.reason_phrase}")
