"""The leader lease and the node registry in PostgreSQL.

Leadership is a session advisory lock held on a dedicated connection with TCP
keepalives: when the leader's process dies, PostgreSQL ends its session and
frees the lock at once. The lease row beside it carries the holder, its
backend pid and a fencing token that grows at every change of leader; the
leader renews it every interval. A node that finds the lease expired (a hung
leader whose connection still stands) ends that backend, which frees the lock.
Leader-only writes check the token in their own transaction (:func:`check_fence`).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import psycopg

from continuity.core.nodes import NodeInfo
from continuity.db.pool import Pool
from continuity.errors import NotLeader, StoreUnavailable

log = logging.getLogger(__name__)

#: Arbitrary but fixed: the advisory lock key of leadership.
LEADER_LOCK_KEY = 0x0C0472
Conn = psycopg.AsyncConnection[Any]


async def check_fence(conn: Conn, token: int | None) -> None:
    """Inside a write's transaction: ``NotLeader`` unless ``token`` is the current lease's."""
    if token is None:
        raise NotLeader("this node does not lead")
    cur = await conn.execute("SELECT 1 FROM leader_lease WHERE token = %s FOR SHARE", (token,))
    if await cur.fetchone() is None:
        raise NotLeader(f"fencing token {token} is stale: another node leads now")


class LeaderLease:
    """One node's side of the lease, on its own connection (not the pool's)."""

    def __init__(self, conninfo: str, node: str, ttl: float) -> None:
        self._conninfo = conninfo
        self._node = node
        self._ttl = ttl
        self._conn: Conn | None = None

    async def _connection(self) -> Conn:
        if self._conn is None or self._conn.closed or self._conn.broken:
            self._conn = await psycopg.AsyncConnection.connect(
                self._conninfo,
                autocommit=True,
                connect_timeout=5,
                keepalives=1,
                keepalives_idle=2,
                keepalives_interval=1,
                keepalives_count=2,
                application_name=f"continuity-lease-{self._node}",
            )
        return self._conn

    async def try_acquire(self) -> int | None:
        """Take the lock if free (or its lease expired); the new fencing token, else None."""
        try:
            conn = await self._connection()
            cur = await conn.execute("SELECT pg_try_advisory_lock(%s)", (LEADER_LOCK_KEY,))
            row = await cur.fetchone()
            if row is None or not row[0]:
                await self._end_expired(conn)
                return None
            cur = await conn.execute(
                "UPDATE leader_lease SET holder = %s, backend_pid = pg_backend_pid(),"
                " token = token + 1, renewed_at = now() RETURNING token",
                (self._node,),
            )
            taken = await cur.fetchone()
        except (psycopg.Error, OSError) as exc:
            await self.release()
            raise StoreUnavailable(f"leader lease: {exc}") from exc
        return int(taken[0]) if taken else None

    async def _end_expired(self, conn: Conn) -> None:
        cur = await conn.execute(
            "SELECT holder, backend_pid FROM leader_lease"
            " WHERE renewed_at < now() - make_interval(secs => %s) AND backend_pid IS NOT NULL",
            (self._ttl,),
        )
        row = await cur.fetchone()
        if row is not None:
            log.warning("leader %s stopped renewing its lease: ending its session", row[0])
            # Wait (up to 5 s) until it is gone, so the lock is free for the next round.
            await conn.execute("SELECT pg_terminate_backend(%s, 5000)", (row[1],))

    async def renew(self, token: int) -> bool:
        """Extend the lease; False when this node no longer holds it."""
        try:
            conn = await self._connection()
            cur = await conn.execute(
                "UPDATE leader_lease SET renewed_at = now()"
                " WHERE token = %s AND backend_pid = pg_backend_pid()",
                (token,),
            )
        except (psycopg.Error, OSError) as exc:
            await self.release()
            raise StoreUnavailable(f"leader lease: {exc}") from exc
        return cur.rowcount == 1

    async def release(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None and not conn.closed:
            try:
                await conn.close()
            except (psycopg.Error, OSError) as exc:
                log.debug("closing the lease connection: %s", exc)


class NodeRegistry:
    """Every node's heartbeat row, and the current leader, read by status."""

    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def heartbeat(self, node: str, sip_uri: str, started_at: dt.datetime) -> None:
        try:
            async with self._pool.connection() as conn:
                await conn.execute(
                    "INSERT INTO nodes (name, sip_uri, started_at, last_seen)"
                    " VALUES (%s, %s, %s, now()) ON CONFLICT (name) DO UPDATE"
                    " SET sip_uri = excluded.sip_uri, started_at = excluded.started_at,"
                    " last_seen = now()",
                    (node, sip_uri, started_at),
                )
        except StoreUnavailable as exc:
            raise StoreUnavailable(f"node heartbeat: {exc.detail}") from exc
        except OSError as exc:
            raise StoreUnavailable(f"node heartbeat: {exc}") from exc

    async def nodes(self) -> list[NodeInfo]:
        try:
            async with self._pool.connection() as conn:
                cur = await conn.execute(
                    "SELECT n.name, n.sip_uri, n.started_at, n.last_seen, now() - n.last_seen,"
                    " l.holder IS NOT DISTINCT FROM n.name AND l.backend_pid IN"
                    " (SELECT pid FROM pg_stat_activity)"
                    " FROM nodes n CROSS JOIN leader_lease l ORDER BY n.name"
                )
                rows = await cur.fetchall()
        except StoreUnavailable as exc:
            raise StoreUnavailable(f"nodes: {exc.detail}") from exc
        except OSError as exc:
            raise StoreUnavailable(f"nodes: {exc}") from exc
        return [
            NodeInfo(name, uri, started, seen, age.total_seconds(), bool(leads))
            for name, uri, started, seen, age, leads in rows
        ]
