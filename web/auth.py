"""Who is asking: a bearer token on /api, a session cookie on the console; CSRF on its forms."""

from __future__ import annotations

import hmac

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from continuity.access.credentials import Principal
from continuity.access.service import Session
from continuity.web.backend import Backend

SESSION_COOKIE = "continuity_session"
LOGIN_CSRF_COOKIE = "continuity_login_csrf"
CSRF_FIELD = "csrf"


#: Documents the bearer scheme in OpenAPI (the docs' Authorize button); checked below.
_BEARER = HTTPBearer(auto_error=False, description="an API token: continuity token create")


def backend(request: Request) -> Backend:
    found: Backend = request.app.state.backend
    return found


async def api_principal(
    request: Request,
    _documented: HTTPAuthorizationCredentials | None = Depends(_BEARER),  # noqa: B008
) -> Principal:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise HTTPException(
            401,
            "Send an API token: Authorization: Bearer <token> "
            "(create one with `continuity token create`).",
            headers={"WWW-Authenticate": "Bearer"},
        )
    principal = await backend(request).access.token(token.strip())
    if principal is None:
        raise HTTPException(
            401, "This token is unknown or revoked.", headers={"WWW-Authenticate": "Bearer"}
        )
    request.state.principal = principal
    return principal


async def api_writer(principal: Principal = Depends(api_principal)) -> Principal:  # noqa: B008
    if not principal.can_write:
        raise HTTPException(
            403, f"Token {principal.name!r} is a viewer token: it reads, an admin token changes."
        )
    return principal


async def console_session(request: Request) -> Session | None:
    session_id = request.cookies.get(SESSION_COOKIE, "")
    if not session_id:
        return None
    return await backend(request).access.session(session_id)


def csrf_ok(expected: str, given: object) -> bool:
    return isinstance(given, str) and bool(expected) and hmac.compare_digest(expected, given)
