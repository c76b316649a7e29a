"""API tokens, console users and their sessions in PostgreSQL (hashes only), with audit entries."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import psycopg
from psycopg.rows import dict_row

from continuity.access.credentials import Role
from continuity.access.errors import DuplicateName, UnknownName
from continuity.db.audit import audit
from continuity.db.pool import Pool


@dataclass(frozen=True, slots=True)
class TokenInfo:
    name: str
    role: Role
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class UserInfo:
    name: str
    role: Role
    password_hash: str
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class SessionInfo:
    user: str
    role: Role
    csrf_token: str
    expires_at: dt.datetime


class AccessStore:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    # -- tokens ------------------------------------------------------------------
    async def add_token(self, actor: str, name: str, role: Role, token_hash: bytes) -> None:
        async with self._pool.connection() as conn:
            try:
                async with conn.transaction():
                    await conn.execute(
                        "INSERT INTO api_tokens (name, role, token_hash) VALUES (%s, %s, %s)",
                        (name, role.value, token_hash),
                    )
                    await audit(conn, actor, "token.create", name, None, {"role": role.value})
            except psycopg.errors.UniqueViolation as exc:
                raise DuplicateName("token", name) from exc

    async def tokens(self) -> list[TokenInfo]:
        async with self._pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(
                "SELECT name, role, created_at, last_used_at, revoked_at FROM api_tokens"
                " ORDER BY name"
            )
            return [
                TokenInfo(
                    r["name"], Role(r["role"]), r["created_at"], r["last_used_at"], r["revoked_at"]
                )
                for r in await cur.fetchall()
            ]

    async def revoke_token(self, actor: str, name: str) -> None:
        async with self._pool.connection() as conn, conn.transaction():
            cur = await conn.execute(
                "UPDATE api_tokens SET revoked_at = now()"
                " WHERE name = %s AND revoked_at IS NULL RETURNING role",
                (name,),
            )
            if await cur.fetchone() is None:
                raise UnknownName("token", name)
            await audit(conn, actor, "token.revoke", name, {"revoked": False}, {"revoked": True})

    async def token_by_hash(self, token_hash: bytes) -> tuple[str, Role] | None:
        """The live token with this hash (marking it used), or None."""
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                "UPDATE api_tokens SET last_used_at = now()"
                " WHERE token_hash = %s AND revoked_at IS NULL RETURNING name, role",
                (token_hash,),
            )
            row = await cur.fetchone()
        return None if row is None else (row[0], Role(row[1]))

    # -- users -------------------------------------------------------------------
    async def add_user(self, actor: str, name: str, role: Role, password_hash: str) -> None:
        async with self._pool.connection() as conn:
            try:
                async with conn.transaction():
                    await conn.execute(
                        "INSERT INTO web_users (name, role, password_hash) VALUES (%s, %s, %s)",
                        (name, role.value, password_hash),
                    )
                    await audit(conn, actor, "user.add", name, None, {"role": role.value})
            except psycopg.errors.UniqueViolation as exc:
                raise DuplicateName("user", name) from exc

    async def set_password(self, actor: str, name: str, password_hash: str) -> None:
        async with self._pool.connection() as conn, conn.transaction():
            cur = await conn.execute(
                "UPDATE web_users SET password_hash = %s, updated_at = now()"
                " WHERE name = %s RETURNING name",
                (password_hash, name),
            )
            if await cur.fetchone() is None:
                raise UnknownName("user", name)
            await conn.execute("DELETE FROM web_sessions WHERE user_name = %s", (name,))
            await audit(conn, actor, "user.password", name, None, None)

    async def remove_user(self, actor: str, name: str) -> None:
        async with self._pool.connection() as conn, conn.transaction():
            cur = await conn.execute(
                "DELETE FROM web_users WHERE name = %s RETURNING role", (name,)
            )
            row = await cur.fetchone()
            if row is None:
                raise UnknownName("user", name)
            await audit(conn, actor, "user.remove", name, {"role": row[0]}, None)

    async def users(self) -> list[UserInfo]:
        async with self._pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(
                "SELECT name, role, password_hash, created_at FROM web_users ORDER BY name"
            )
            return [
                UserInfo(r["name"], Role(r["role"]), r["password_hash"], r["created_at"])
                for r in await cur.fetchall()
            ]

    async def user(self, name: str) -> UserInfo | None:
        return next((u for u in await self.users() if u.name == name), None)

    # -- sessions ----------------------------------------------------------------
    async def add_session(
        self, id_hash: bytes, user: str, csrf_token: str, expires_at: dt.datetime
    ) -> None:
        async with self._pool.connection() as conn, conn.transaction():
            await conn.execute("DELETE FROM web_sessions WHERE expires_at < now()")
            await conn.execute(
                "INSERT INTO web_sessions (id_hash, user_name, csrf_token, expires_at)"
                " VALUES (%s, %s, %s, %s)",
                (id_hash, user, csrf_token, expires_at),
            )

    async def session(self, id_hash: bytes) -> SessionInfo | None:
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                "SELECT s.user_name, u.role, s.csrf_token, s.expires_at"
                " FROM web_sessions s JOIN web_users u ON u.name = s.user_name"
                " WHERE s.id_hash = %s AND s.expires_at > now()",
                (id_hash,),
            )
            row = await cur.fetchone()
        return None if row is None else SessionInfo(row[0], Role(row[1]), row[2], row[3])

    async def end_session(self, id_hash: bytes) -> None:
        async with self._pool.connection() as conn:
            await conn.execute("DELETE FROM web_sessions WHERE id_hash = %s", (id_hash,))
