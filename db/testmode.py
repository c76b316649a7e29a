"""The automatic end of timed failover tests: one conditional update and its audit row.

The update only matches a test that is still on with the same end time, so
when two processes (or two passes) notice the same expiry, one writes the
stop and its audit row and the other writes nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from psycopg import sql

from continuity.core.testmode import SubjectKind, TimedTest
from continuity.db.audit import audit
from continuity.db.pool import Pool

#: Who the audit log names for a test that ended at its end time.
AUTOMATIC_ACTOR = "continuity:automatic"
_TABLES: dict[SubjectKind, tuple[str, str]] = {
    SubjectKind.LINE: ("lines", "id"),
    SubjectKind.NUMBER: ("tracking_numbers", "number"),
}


class TimedTestStore:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def stop_expired(self, test: TimedTest, now: dt.datetime) -> bool:
        """Stop ``test`` if it is still on with that end time, which ``now`` has reached.

        Returns whether this call stopped it (and wrote the audit row)."""
        if test.until > now:
            return False
        table, key = _TABLES[test.kind]
        query = sql.SQL(
            "UPDATE {} SET test_mode = false, test_until = NULL, updated_at = now()"
            " WHERE {} = %s AND test_mode AND test_until = %s RETURNING version"
        ).format(sql.Identifier(table), sql.Identifier(key))
        async with self._pool.connection() as conn, conn.transaction():
            cur = await conn.execute(query, (test.subject, test.until))
            row = await cur.fetchone()
            if row is None:
                return False
            version = int(row[0])  # the database bumped it by one (migration 0005)
            old: dict[str, Any] = {
                "test_mode": True,
                "test_until": test.until.isoformat(),
                "version": version - 1,
            }
            new: dict[str, Any] = {
                "test_mode": False,
                "test_until": None,
                "ended": "at its end time",
                "version": version,
            }
            await audit(
                conn, AUTOMATIC_ACTOR, f"{test.kind.value}.test-end", test.subject, old, new
            )
        return True
