"""Voicemail settings in PostgreSQL: each line's notice address, with its audit entry."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from continuity.db.audit import audit as _audit
from continuity.db.pool import Pool


class VoicemailStore:
    def __init__(self, pool: Pool) -> None:
        self.pool = pool

    async def emails(self) -> dict[str, str]:
        """Line id -> notice address, for the lines that have one."""
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                "SELECT line_id, email FROM voicemail_boxes WHERE email IS NOT NULL"
            )
            return {line: email for line, email in await cur.fetchall()}

    async def set_email(self, actor: str, line: str, email: str | None) -> None:
        """Set (or with None, clear) a line's notice address."""
        async with self.pool.connection() as conn, conn.transaction():
            cur = await conn.execute(
                "SELECT email FROM voicemail_boxes WHERE line_id = %s FOR UPDATE", (line,)
            )
            row = await cur.fetchone()
            await conn.execute(
                "INSERT INTO voicemail_boxes (line_id, email) VALUES (%s, %s)"
                " ON CONFLICT (line_id) DO UPDATE SET email = EXCLUDED.email, updated_at = now()",
                (line, email),
            )
            old = {"email": row[0]} if row is not None else None
            await _audit(conn, actor, "voicemail.email", line, old, {"email": email})

    async def pins(self) -> dict[str, str]:
        """Line id -> voicemail PIN, for the lines that have one."""
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                "SELECT line_id, pin FROM voicemail_boxes WHERE pin IS NOT NULL"
            )
            return {line: pin for line, pin in await cur.fetchall()}

    async def set_pin(self, actor: str, line: str, pin: str) -> None:
        """Set a line's PIN; the audit entry says it changed, never what it is."""
        async with self.pool.connection() as conn, conn.transaction():
            await conn.execute(
                "INSERT INTO voicemail_boxes (line_id, pin) VALUES (%s, %s)"
                " ON CONFLICT (line_id) DO UPDATE SET pin = EXCLUDED.pin, updated_at = now()",
                (line, pin),
            )
            await _audit(conn, actor, "voicemail.pin", line, None, {"pin": "changed"})

    async def audit(
        self,
        actor: str,
        action: str,
        subject: str,
        old: Mapping[str, Any] | None,
        new: Mapping[str, Any] | None,
    ) -> None:
        """An audit entry for a change made outside the database (a prompt file)."""
        async with self.pool.connection() as conn:
            await _audit(conn, actor, action, subject, old, new)
