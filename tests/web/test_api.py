"""The HTTP API against `continuity web` and real PostgreSQL: auth, conventions, versions."""

from __future__ import annotations

import datetime as dt
import re

import httpx

from continuity.core.outcome import Outcome
from continuity.core.records import Attempt, CallRecord
from continuity.db.pool import Pool
from continuity.db.records import CallRecordStore
from tests.web.conftest import Team

MAIN = "+12125550101"
SALES = "+12125550102"
ANSWERING_SERVICE = "+13125550150"


async def audit_count(pool: Pool) -> int:
    async with pool.connection() as conn:
        cur = await conn.execute("SELECT count(*) FROM audit_log")
        row = await cur.fetchone()
    return int(row[0]) if row else 0


async def test_only_health_answers_without_a_token_and_a_revoked_token_stops_working(
    api: httpx.AsyncClient, team: Team, product_pool: Pool
) -> None:
    assert (await api.get("/health")).json() == {"status": "ok"}
    spec = (await api.get("/api/openapi.json")).json()
    paths = [p for p in spec["paths"] if p.startswith("/api/")]
    assert len(paths) >= 15
    for path in paths:
        for method in spec["paths"][path]:
            concrete = re.sub(r"\{[^}]+\}", "x", path)
            response = await api.request(method, concrete)
            assert response.status_code == 401, (method, path, response.text)
            assert response.headers["www-authenticate"] == "Bearer"
    assert (await api.get("/api/account", headers=team.as_admin)).status_code == 200
    wrong = team.bearer(team.admin_token[:-2] + "xx")
    assert (await api.get("/api/account", headers=wrong)).status_code == 401

    from continuity.access.service import Access
    from continuity.db.access import AccessStore

    await Access(AccessStore(product_pool)).revoke_token("test", "ops")
    assert (await api.get("/api/account", headers=team.as_admin)).status_code == 401


async def test_a_viewer_token_reads_everything_and_changes_nothing(
    api: httpx.AsyncClient, team: Team, product_pool: Pool
) -> None:
    before = await audit_count(product_pool)
    for path in (
        "/api/account",
        "/api/lines",
        "/api/numbers",
        "/api/status",
        "/api/audit",
        "/api/calls",
        "/api/outages",
        "/api/voicemail/messages",
    ):
        assert (await api.get(path, headers=team.as_viewer)).status_code == 200, path
    writes = [
        api.patch("/api/account", json={"continuity": "on"}, headers=team.as_viewer),
        api.post("/api/lines", json={"id": "sales", "kind": "department"}, headers=team.as_viewer),
        api.post("/api/numbers", json={"number": MAIN}, headers=team.as_viewer),
        api.put("/api/outages/override", json={"state": "declare"}, headers=team.as_viewer),
    ]
    for pending in writes:
        response = await pending
        assert response.status_code == 403, response.text
        assert "viewer" in response.json()["detail"]
    assert await audit_count(product_pool) == before
    account = (await api.get("/api/account", headers=team.as_viewer)).json()
    assert account["continuity"] == "off"


async def test_an_admin_token_configures_lines_and_numbers_and_the_audit_names_it(
    api: httpx.AsyncClient, team: Team
) -> None:
    h = team.as_admin
    created = await api.post(
        "/api/lines",
        json={
            "id": "sales",
            "kind": "department",
            "name": "Sales",
            "destination": {"kind": "external", "target": ANSWERING_SERVICE},
        },
        headers=h,
    )
    assert created.status_code == 201, created.text
    assert created.json()["effective_destination"] == {
        "kind": "external",
        "target": ANSWERING_SERVICE,
    }
    for number, label in ((MAIN, "Website"), (SALES, "Billboard")):
        response = await api.post(
            "/api/numbers", json={"number": number, "label": label, "line": "sales"}, headers=h
        )
        assert response.status_code == 201, response.text
    page = (await api.get("/api/numbers", params={"limit": 1, "offset": 1}, headers=h)).json()
    assert page["total"] == 2 and [n["number"] for n in page["items"]] == [SALES]
    found = (await api.get("/api/numbers", params={"q": "bill"}, headers=h)).json()
    assert [n["label"] for n in found["items"]] == ["Billboard"]

    on = await api.put("/api/lines/sales/test-mode", json={"on": True}, headers=h)
    assert on.json()["test_mode"] is True
    status = (await api.get("/api/status", headers=h)).json()
    assert status["testing_lines"] == ["sales"]
    assert {n["reason"] for n in status["numbers"]} == {"test_mode"}
    assert status["numbers"][0]["chain"][0] == f"external:{ANSWERING_SERVICE}"

    assert (await api.delete(f"/api/numbers/{SALES}", headers=h)).status_code == 204
    assert (await api.get(f"/api/numbers/{SALES}", headers=h)).status_code == 404
    in_use = await api.delete("/api/lines/sales", headers=h)
    assert in_use.status_code == 409 and "still used by" in in_use.json()["detail"]

    audit = (await api.get("/api/audit", params={"limit": 3}, headers=h)).json()
    assert audit["total"] >= 5
    assert {e["actor"] for e in audit["items"]} == {"token:ops"}
    assert audit["items"][0]["action"] == "number.remove"


async def test_bad_input_gets_422_with_the_field_and_nothing_is_written(
    api: httpx.AsyncClient, team: Team, product_pool: Pool
) -> None:
    h = team.as_admin
    before = await audit_count(product_pool)
    cases = [
        ("post", "/api/numbers", {"number": "12"}, "number"),
        ("post", "/api/numbers", {"number": MAIN, "label": "x\x00y"}, "label"),
        ("post", "/api/lines", {"id": "Bad Id!", "kind": "department"}, "id"),
        ("post", "/api/lines", {"id": "ok", "kind": "nonsense"}, "kind"),
        (
            "patch",
            "/api/account",
            {"destination": {"kind": "external", "target": "abc"}},
            "destination.target",
        ),
        ("patch", "/api/account", {"destination": {"kind": "voice_agent"}}, "destination.kind"),
        ("patch", "/api/account", {"primary_timeout": 0}, "primary_timeout"),
        ("patch", "/api/account", {"failover_sip_codes": [200]}, "failover_sip_codes.0"),
        ("patch", "/api/account", {"continuity": "inherit"}, "continuity.on"),
    ]
    for method, path, body, field in cases:
        response = await api.request(method, path, json=body, headers=h)
        assert response.status_code == 422, (body, response.text)
        [problem] = response.json()["detail"]
        assert problem["field"] == field, (body, problem)
        assert problem["message"]
    assert await audit_count(product_pool) == before
    assert (await api.get("/api/numbers", headers=h)).json()["total"] == 0


async def test_a_write_with_a_stale_etag_gets_412_and_the_current_one_goes_through(
    api: httpx.AsyncClient, team: Team
) -> None:
    h = team.as_admin
    first = await api.get("/api/account", headers=h)
    tag = first.headers["etag"]
    # Someone else changes the account in between.
    other = await api.patch("/api/account", json={"primary_timeout": 15}, headers=h)
    assert other.status_code == 200 and other.headers["etag"] != tag
    stale = await api.patch(
        "/api/account", json={"continuity": "on"}, headers={**h, "If-Match": tag}
    )
    assert stale.status_code == 412
    assert (await api.get("/api/account", headers=h)).json()["continuity"] == "off"
    fresh = await api.patch(
        "/api/account", json={"continuity": "on"}, headers={**h, "If-Match": other.headers["etag"]}
    )
    assert fresh.status_code == 200 and fresh.json()["continuity"] == "on"


async def test_call_records_filter_by_number_and_time_and_page(
    api: httpx.AsyncClient, team: Team, product_pool: Pool
) -> None:
    base = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)
    records = [
        CallRecord(
            call_id=f"c{i}",
            tracking_number=MAIN if i % 2 else SALES,
            caller_number="+13125550111",
            caller_name="",
            reason="normal",
            outcome=Outcome.ANSWERED,
            started_at=base + dt.timedelta(minutes=i),
            ended_at=base + dt.timedelta(minutes=i, seconds=30),
            attempts=(
                Attempt("primary", MAIN, Outcome.CONGESTION, 34, sip_code=503),
                Attempt("external", ANSWERING_SERVICE, Outcome.ANSWERED),
            ),
        )
        for i in range(6)
    ]
    await CallRecordStore(product_pool).insert_call_records(records)
    h = team.as_admin
    main = (await api.get("/api/calls", params={"number": MAIN}, headers=h)).json()
    assert main["total"] == 3 and {r["tracking_number"] for r in main["items"]} == {MAIN}
    window: dict[str, str | int] = {
        "since": (base + dt.timedelta(minutes=2)).isoformat(),
        "until": (base + dt.timedelta(minutes=5)).isoformat(),
        "limit": 2,
    }
    page = (await api.get("/api/calls", params=window, headers=h)).json()
    assert page["total"] == 3 and [r["call_id"] for r in page["items"]] == ["c4", "c3"]
    assert page["items"][0]["attempts"][0]["sip_code"] == 503
    bad = await api.get("/api/calls", params={"since": "yesterday"}, headers=h)
    assert bad.status_code == 422 and bad.json()["detail"][0]["field"] == "since"


async def test_the_openapi_document_and_interactive_docs_load_nothing_from_outside(
    api: httpx.AsyncClient,
) -> None:
    spec = (await api.get("/api/openapi.json")).json()
    assert spec["info"]["title"]
    assert "/api/lines/{line_id}/voicemail/prompt" in spec["paths"]
    problem = spec["components"]["schemas"]["HTTPValidationError"]["properties"]["detail"]
    assert problem["items"]["required"] == ["field", "message"]
    assert "HTTPBearer" in spec["components"]["securitySchemes"]
    docs = await api.get("/api/docs")
    assert docs.status_code == 200
    urls = re.findall(r"""(?:src|href)=["']([^"']+)["']""", docs.text)
    assert urls and all(u.startswith("/") for u in urls), urls
    assert "https://" not in docs.text.replace("https://swagger.io", "")
    for url in urls:
        assert (await api.get(url)).status_code == 200, url
