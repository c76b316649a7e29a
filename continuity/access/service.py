"""Tokens, users and sessions: what the CLI and the web adapter call. Hashes only are stored."""

from __future__ import annotations

import asyncio
import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Protocol

from continuity.access.credentials import (
    MIN_PASSWORD,
    TOKEN_PREFIX,
    Principal,
    Role,
    check_name,
    digest,
    dummy_hash,
    hash_password,
    new_session_id,
    new_token,
    verify_password,
)
from continuity.access.errors import WeakPassword

#: How long a console login lasts.
SESSION_LIFETIME = dt.timedelta(hours=8)


class SessionRow(Protocol):
    @property
    def user(self) -> str: ...
    @property
    def role(self) -> Role: ...
    @property
    def csrf_token(self) -> str: ...


class UserRow(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def role(self) -> Role: ...
    @property
    def password_hash(self) -> str: ...


class Store(Protocol):
    async def add_token(self, actor: str, name: str, role: Role, token_hash: bytes) -> None: ...
    async def revoke_token(self, actor: str, name: str) -> None: ...
    async def token_by_hash(self, token_hash: bytes) -> tuple[str, Role] | None: ...
    async def add_user(self, actor: str, name: str, role: Role, password_hash: str) -> None: ...
    async def set_password(self, actor: str, name: str, password_hash: str) -> None: ...
    async def remove_user(self, actor: str, name: str) -> None: ...
    async def user(self, name: str) -> UserRow | None: ...
    async def add_session(
        self, id_hash: bytes, user: str, csrf_token: str, expires_at: dt.datetime
    ) -> None: ...
    async def session(self, id_hash: bytes) -> SessionRow | None: ...
    async def end_session(self, id_hash: bytes) -> None: ...


@dataclass(frozen=True, slots=True)
class Session:
    id: str
    principal: Principal
    csrf_token: str


def _password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise WeakPassword(MIN_PASSWORD)
    return password


class Access:
    def __init__(self, store: Store) -> None:
        self._store = store

    # -- tokens ------------------------------------------------------------------
    async def create_token(self, actor: str, name: str, role: Role) -> str:
        """A new token; the caller shows it once, only its hash is kept."""
        check_name("token", name)
        token = new_token()
        await self._store.add_token(actor, name, role, digest(token))
        return token

    async def revoke_token(self, actor: str, name: str) -> None:
        await self._store.revoke_token(actor, name)

    async def token(self, token: str) -> Principal | None:
        if not token.startswith(TOKEN_PREFIX) or len(token) > 100:
            return None
        found = await self._store.token_by_hash(digest(token))
        return None if found is None else Principal("token", found[0], found[1])

    # -- users -------------------------------------------------------------------
    async def add_user(self, actor: str, name: str, role: Role, password: str) -> None:
        check_name("user", name)
        hashed = await asyncio.to_thread(hash_password, _password(password))
        await self._store.add_user(actor, name, role, hashed)

    async def set_password(self, actor: str, name: str, password: str) -> None:
        hashed = await asyncio.to_thread(hash_password, _password(password))
        await self._store.set_password(actor, name, hashed)

    async def remove_user(self, actor: str, name: str) -> None:
        await self._store.remove_user(actor, name)

    # -- sessions ----------------------------------------------------------------
    async def login(self, name: str, password: str) -> Session | None:
        user = await self._store.user(name) if len(name) <= 64 else None
        stored = user.password_hash if user is not None else dummy_hash()
        good = await asyncio.to_thread(verify_password, password[:1024], stored)
        if user is None or not good:
            return None
        session_id, csrf = new_session_id(), secrets.token_urlsafe(24)
        expires = dt.datetime.now(dt.UTC) + SESSION_LIFETIME
        await self._store.add_session(digest(session_id), user.name, csrf, expires)
        return Session(session_id, Principal("user", user.name, user.role), csrf)

    async def session(self, session_id: str) -> Session | None:
        if not session_id or len(session_id) > 100:
            return None
        found = await self._store.session(digest(session_id))
        if found is None:
            return None
        return Session(session_id, Principal("user", found.user, found.role), found.csrf_token)

    async def logout(self, session_id: str) -> None:
        await self._store.end_session(digest(session_id))
