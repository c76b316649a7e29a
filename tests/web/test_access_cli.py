"""`continuity token …` and `continuity user …` as an admin types them."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import httpx
import psycopg


def continuity(database_url: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "CONTINUITY_DATABASE_URL": database_url,
        "CONTINUITY_LOG_LEVEL": "ERROR",
        "SUDO_USER": "ops",
    }
    return subprocess.run(
        [sys.executable, "-m", "continuity", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def test_a_token_is_printed_once_kept_as_a_hash_listed_without_it_and_revoked(
    product_db: str, web_service: str
) -> None:
    made = continuity(product_db, "token", "create", "--name", "grafana", "--role", "viewer")
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip()
    assert token.startswith("ctk_") and "shown only now" in made.stderr
    with psycopg.connect(product_db) as conn:
        stored = conn.execute("SELECT token_hash FROM api_tokens WHERE name = 'grafana'").fetchone()
        assert stored is not None and token.encode() not in bytes(stored[0])
        actor = conn.execute(
            "SELECT actor FROM audit_log WHERE action = 'token.create' AND subject = 'grafana'"
        ).fetchone()
    assert actor == ("cli:ops",)
    headers = {"Authorization": f"Bearer {token}"}
    assert httpx.get(f"{web_service}/api/status", headers=headers).status_code == 200

    listed = json.loads(continuity(product_db, "token", "list", "--json").stdout)
    [row] = [t for t in listed if t["name"] == "grafana"]
    assert row["role"] == "viewer" and row["last_used_at"] is not None
    assert token not in json.dumps(listed)

    again = continuity(product_db, "token", "create", "--name", "grafana", "--role", "admin")
    assert again.returncode == 1 and "already exists" in again.stderr

    assert continuity(product_db, "token", "revoke", "grafana").returncode == 0
    assert httpx.get(f"{web_service}/api/status", headers=headers).status_code == 401
    missing = continuity(product_db, "token", "revoke", "grafana")
    assert missing.returncode == 1 and "No token named 'grafana'" in missing.stderr


def test_users_get_a_memory_hard_hash_and_bad_input_writes_nothing(product_db: str) -> None:
    added = continuity(
        product_db,
        "user",
        "add",
        "carol",
        "--role",
        "admin",
        "--password-stdin",
        stdin="a long enough secret\n",
    )
    assert added.returncode == 0, added.stderr
    with psycopg.connect(product_db) as conn:
        row = conn.execute("SELECT password_hash FROM web_users WHERE name = 'carol'").fetchone()
    assert row is not None and row[0].startswith("scrypt$16384$8$1$")
    assert "a long enough secret" not in row[0]

    short = continuity(
        product_db, "user", "add", "dave", "--role", "viewer", "--password-stdin", stdin="short\n"
    )
    assert short.returncode == 1 and "at least 10 characters" in short.stderr
    bad = continuity(
        product_db,
        "user",
        "add",
        "<b>",
        "--role",
        "viewer",
        "--password-stdin",
        stdin="a long enough secret\n",
    )
    assert bad.returncode == 1 and "cannot be a user name" in bad.stderr
    users = json.loads(continuity(product_db, "user", "list", "--json").stdout)
    assert "dave" not in {u["name"] for u in users} and "carol" in {u["name"] for u in users}
    assert continuity(product_db, "user", "remove", "carol").returncode == 0
    for command in (["token", "--help"], ["user", "add", "--help"], ["web", "--help"]):
        assert continuity(product_db, *command).returncode == 0
