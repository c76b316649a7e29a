"""A property fuzz over the OpenAPI document: whatever is sent, no 500, and a 4xx writes nothing.

Requests are drawn from each operation's own schema (valid values, values just outside
their bounds, and junk of the wrong type), sent with an admin token to `continuity web`.
"""

from __future__ import annotations

import string
from typing import Any
from urllib.parse import quote

import httpx
import psycopg
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.web.conftest import Team

MAIN = "+12125550101"
LINE = "sales"
#: Values path parameters take: existing ones, near misses, and junk.
PATH_VALUES = [LINE, MAIN, "main", "+12125550199", "nope", "x" * 50, "%00", "..", "msg0000"]
JSON_JUNK = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)


def _resolve(schema: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = spec["components"]["schemas"][name]
    return schema


def from_schema(schema: dict[str, Any], spec: dict[str, Any], depth: int = 0) -> Any:
    """A strategy for ``schema``, with values just outside it and junk mixed in."""
    schema = _resolve(schema, spec)
    if depth > 4:
        return st.none()
    choices = schema.get("anyOf") or schema.get("oneOf")
    if choices:
        return st.one_of([from_schema(c, spec, depth + 1) for c in choices])
    if "enum" in schema:
        return st.sampled_from(schema["enum"]) | st.text(max_size=10)
    kind = schema.get("type")
    if kind == "string":
        limit = schema.get("maxLength", 40)
        return (
            st.text(max_size=min(limit + 5, 60))
            | st.sampled_from([MAIN, "+13125550150", LINE, "agent-endpoint", "a@b.example"])
            | st.text(string.printable, min_size=limit, max_size=limit + 2)
        )
    if kind == "integer":
        low, high = schema.get("minimum", -(2**40)), schema.get("maximum", 2**40)
        return st.integers(low - 2, high + 2) | st.integers()
    if kind == "number":
        return st.floats(allow_nan=False, allow_infinity=False)
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    if kind == "array":
        return st.lists(from_schema(schema.get("items", {}), spec, depth + 1), max_size=4)
    if kind == "object" or "properties" in schema:
        properties = schema.get("properties", {})
        required = set(schema.get("required", []))
        return st.fixed_dictionaries(
            {k: from_schema(v, spec, depth + 1) for k, v in properties.items() if k in required},
            optional={
                k: from_schema(v, spec, depth + 1)
                for k, v in properties.items()
                if k not in required
            },
        )
    return JSON_JUNK


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, op)
        for path, item in spec["paths"].items()
        if path.startswith("/api/") and path != "/api/test-calls"  # needs a running Asterisk
        for method, op in item.items()
    ]


def fingerprint(conn: psycopg.Connection[Any]) -> tuple[int, int, int]:
    """Everything a write leaves behind: audit rows, the routing state version, override rows."""
    row = conn.execute(
        "SELECT (SELECT count(*) FROM audit_log), (SELECT version FROM routing_state),"
        " (SELECT count(*) FROM outage_override)"
    ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1]), int(row[2])


def test_no_request_drawn_from_the_spec_gets_a_500_and_no_4xx_writes_anything(
    web_service: str, team: Team, empty_account: None, product_db: str
) -> None:
    with (
        httpx.Client(base_url=web_service, trust_env=False, timeout=30) as client,
        psycopg.connect(product_db, autocommit=True) as conn,
    ):
        spec = client.get("/api/openapi.json").json()
        seed = client.post(
            "/api/lines", json={"id": LINE, "kind": "department"}, headers=team.as_admin
        )
        assert seed.status_code == 201
        seed = client.post(
            "/api/numbers", json={"number": MAIN, "line": LINE}, headers=team.as_admin
        )
        assert seed.status_code == 201
        ops = operations(spec)
        seen: dict[int, int] = {}

        @settings(
            max_examples=120,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        )
        @given(st.data())
        def check(data: st.DataObject) -> None:
            method, path, op = data.draw(st.sampled_from(ops), label="operation")
            query: dict[str, Any] = {}
            for param in op.get("parameters", []):
                if param["in"] == "path":
                    value = data.draw(st.sampled_from(PATH_VALUES) | st.text(max_size=12))
                    path = path.replace("{" + param["name"] + "}", quote(value, safe="+") or "x")
                elif param["in"] == "query" and data.draw(st.booleans()):
                    value = data.draw(from_schema(param.get("schema", {}), spec))
                    if value is not None and not isinstance(value, dict | list):
                        query[param["name"]] = (
                            str(value).lower() if isinstance(value, bool) else str(value)
                        )
            body = None
            content = op.get("requestBody", {}).get("content", {})
            if "application/json" in content:
                schema = content["application/json"]["schema"]
                body = data.draw(from_schema(schema, spec) | JSON_JUNK, label="body")
            before = fingerprint(conn)
            response = client.request(method, path, params=query, json=body, headers=team.as_admin)
            seen[response.status_code] = seen.get(response.status_code, 0) + 1
            assert response.status_code < 500, (method, path, query, body, response.text)
            if response.status_code >= 400:
                assert fingerprint(conn) == before, (method, path, body, response.text)

        check()
    print(f"statuses seen over {sum(seen.values())} requests: {dict(sorted(seen.items()))}")
    assert {200, 422, 404} <= set(seen)
