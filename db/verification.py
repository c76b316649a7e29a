"""Failed verification calls in the audit log: the number stays unverified, with the reason."""

from __future__ import annotations

from continuity.db.audit import audit
from continuity.db.pool import Pool


class VerificationLog:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def failed(
        self, actor: str, line: str, number: str, outcome: str, reason: str, call_id: str
    ) -> None:
        async with self._pool.connection() as conn:
            await audit(
                conn,
                actor,
                "forwarding.verify-failed",
                line,
                None,
                {"number": number, "outcome": outcome, "reason": reason, "call": call_id},
            )
