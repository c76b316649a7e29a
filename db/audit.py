"""The audit row: who changed what, from which value to which. Every audited write
in this package writes it with :func:`audit`, inside the change's own transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

Conn = psycopg.AsyncConnection[Any]


def _jsonable(values: Mapping[str, Any] | None) -> Jsonb | None:
    if values is None:
        return None
    return Jsonb(
        {k: (v.isoformat() if isinstance(v, dt.datetime) else v) for k, v in values.items()}
    )


async def audit(
    conn: Conn,
    actor: str,
    action: str,
    subject: str,
    old: Mapping[str, Any] | None,
    new: Mapping[str, Any] | None,
) -> None:
    """One ``audit_log`` row; ``old`` and ``new`` are ``None`` for "nothing" (an add, a
    removal), and datetimes in them are stored as ISO 8601 text."""
    await conn.execute(
        "INSERT INTO audit_log (actor, action, subject, old_value, new_value)"
        " VALUES (%s, %s, %s, %s, %s)",
        (actor, action, subject, _jsonable(old), _jsonable(new)),
    )
