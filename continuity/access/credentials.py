"""Token and password hashing. Tokens are random, so SHA-256 suffices; passwords are not,
so they get scrypt (memory-hard: 16 MiB per hash), from the standard library."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from continuity.access.errors import InvalidName, InvalidRole

#: Every token starts with this, so a leaked one is recognisable in logs and scanners.
TOKEN_PREFIX: Final = "ctk_"  # noqa: S105 - a prefix, not a secret
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}\Z")
#: scrypt cost: N=2**14, r=8 -> 16 MiB and about 50 ms per hash.
_N, _R, _P = 2**14, 8, 1
_MAXMEM = 64 * 1024 * 1024
MIN_PASSWORD = 10


class Role(StrEnum):
    ADMIN = "admin"
    VIEWER = "viewer"

    @classmethod
    def parse(cls, text: str) -> Role:
        try:
            return cls(text)
        except ValueError:
            raise InvalidRole(text) from None


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is asking: a token or a user, by name, with a role."""

    kind: str  # "token" or "user"
    name: str
    role: Role

    @property
    def actor(self) -> str:
        """How the audit log names them."""
        return f"{self.kind}:{self.name}"

    @property
    def can_write(self) -> bool:
        return self.role is Role.ADMIN


def check_name(what: str, name: str) -> str:
    if not _NAME.match(name):
        raise InvalidName(what, name)
    return name


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def new_session_id() -> str:
    return secrets.token_urlsafe(32)


def digest(secret: str) -> bytes:
    """What the database keeps of a token or session id."""
    return hashlib.sha256(secret.encode()).digest()


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    key = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, maxmem=_MAXMEM)
    return "$".join(["scrypt", str(_N), str(_R), str(_P), _b64(salt), _b64(key)])


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, key = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(key)
        found = hashlib.scrypt(
            password.encode(),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            maxmem=_MAXMEM,
            dklen=len(expected),
        )
    except ValueError:
        return False
    return hmac.compare_digest(found, expected)


@functools.cache
def dummy_hash() -> str:
    """Checked when the user does not exist, so a login costs the same either way."""
    return hash_password("no such user")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
