"""The API that `continuity serve` serves, against the real stack: test calls, forwarding."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from continuity.core.model import LineKind
from tests.scenario import Scenario, external
from tests.web.conftest import Team

MAIN = "+12125550101"
JDOE = "+12125550104"
ANSWERING_SERVICE = "+13125550150"
FORWARD_OLD = "+13125550161"
FORWARD_NEW = "+13125550162"


@pytest.fixture
async def api(served: str, team: Team) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        base_url=served, trust_env=False, timeout=30, headers=team.as_admin
    ) as client:
        yield client


async def finished(api: httpx.AsyncClient, call_id: str) -> dict[str, Any]:
    async with asyncio.timeout(30):
        while True:
            result: dict[str, Any] = (await api.get(f"/api/test-calls/{call_id}")).json()
            if result["status"] != "running":
                return result
            await asyncio.sleep(0.2)


async def test_a_test_call_started_over_the_api_reports_where_it_landed(
    scenario: Scenario, api: httpx.AsyncClient
) -> None:
    await scenario.tracking_number(MAIN, on=True, destination=external(ANSWERING_SERVICE))
    started = await api.post("/api/test-calls", json={"number": MAIN})
    assert started.status_code == 202, started.text
    result = await finished(api, started.json()["id"])
    assert result["status"] == "done" and result["answered"] is True
    assert result["destination"] == f"external:{ANSWERING_SERVICE}"
    assert result["route"] == "continuity"
    assert (await scenario.reached(ANSWERING_SERVICE)).role == "pstn"
    unknown = await api.post("/api/test-calls", json={"number": "+12125550177"})
    assert unknown.status_code == 404


async def test_a_users_verified_forwarding_number_takes_the_calls_once_verified(
    scenario: Scenario, api: httpx.AsyncClient
) -> None:
    await scenario.line("jdoe", LineKind.USER, on=True)
    await scenario.tracking_number(JDOE, line="jdoe")
    for number in (FORWARD_OLD, FORWARD_NEW):
        added = await api.post("/api/lines/jdoe/forwarding", json={"number": number})
        assert added.status_code == 201, added.text
    line = (await api.get("/api/lines/jdoe")).json()
    assert [f["verified_at"] for f in line["forwarding"]] == [None, None]
    assert line["effective_destination"] is None  # unverified numbers are never dialed

    verified = await api.post(f"/api/lines/jdoe/forwarding/{FORWARD_NEW}/verify")
    assert verified.status_code == 200
    assert verified.json()["effective_destination"] == {"kind": "external", "target": FORWARD_NEW}
    await scenario.synced()
    call = await scenario.call(JDOE)
    await call.wait_answered()
    assert (await scenario.reached(FORWARD_NEW)).role == "pstn"
    await call.hangup()

    assert (await api.delete(f"/api/lines/jdoe/forwarding/{FORWARD_OLD}")).status_code == 204
    sixth = [
        await api.post("/api/lines/jdoe/forwarding", json={"number": n})
        for n in ("+13125550163", "+13125550164", "+13125550165", "+13125550166")
    ]
    assert [r.status_code for r in sixth] == [201, 201, 201, 201]
    over = await api.post("/api/lines/jdoe/forwarding", json={"number": "+13125550167"})
    assert over.status_code == 422 and "already keeps 5" in over.json()["detail"][0]["message"]
