"""Failed verification calls in the audit log: the number stays unverified, with the reason."""

from __future__ import annotations

from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool


class VerificationLog:
    def __init__(self, pool: AsyncConnectionPool) -> None:
        self._pool = pool

    async def failed(
        self, actor: str, line: str, number: str, outcome: str, reason: str, call_id: str
    ) -> None:
        async with self._pool.connection() as conn:
            await conn.execute(
                "INSERT INTO audit_log (actor, action, subject, old_value, new_value)"
                " VALUES (%s, 'forwarding.verify-failed', %s, NULL, %s)",
                (
                    actor,
                    line,
                    Jsonb(
                        {"number": number, "outcome": outcome, "reason": reason, "call": call_id}
                    ),
                ),
            )
