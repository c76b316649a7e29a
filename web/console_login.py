"""Console login and logout: a session cookie, CSRF on the login form, a rate limit."""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from continuity.web.auth import (
    CSRF_FIELD,
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    backend,
    console_session,
    csrf_ok,
)
from continuity.web.console_base import forbidden, render
from continuity.web.console_forms import field

router = APIRouter(include_in_schema=False)


# -- login -------------------------------------------------------------------------------
@router.get("/login")
async def login_page(request: Request) -> Response:
    token = secrets.token_urlsafe(24)
    response = render(request, None, "login.html", {"login_csrf": token, "error": None})
    _set_cookie(request, response, LOGIN_CSRF_COOKIE, token, path="/login")
    return response


def _set_cookie(request: Request, response: Response, name: str, value: str, path: str) -> None:
    response.set_cookie(
        name,
        value,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path=path,
    )


@router.post("/login")
async def login(request: Request) -> Response:
    form = await request.form(max_files=0, max_fields=10)
    name, password = field(form, "username"), form.get("password")
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not csrf_ok(cookie, form.get(CSRF_FIELD)):
        return forbidden(request, None, "The login form's CSRF token is missing. Reload the page.")
    limiter = request.app.state.login_limiter
    client = request.client.host if request.client else "?"
    keys = (f"ip:{client}", f"user:{name}")
    wait = limiter.retry_after(*keys)
    if wait is not None:
        response: Response = render(
            request,
            None,
            "login.html",
            {
                "login_csrf": cookie,
                "error": f"Too many failed logins. Try again in {int(wait) + 1} s.",
            },
            429,
        )
        response.headers["Retry-After"] = str(int(wait) + 1)
        return response
    session = None
    if isinstance(password, str):
        session = await backend(request).access.login(name, password)
    if session is None:
        limiter.failed(*keys)
        return render(
            request,
            None,
            "login.html",
            {"login_csrf": cookie, "error": "Wrong user name or password.", "username": name},
            401,
        )
    limiter.succeeded(*keys)
    response = RedirectResponse("/", status_code=303)
    _set_cookie(request, response, SESSION_COOKIE, session.id, path="/")
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    session = await console_session(request)
    form = await request.form(max_files=0, max_fields=5)
    if session is not None:
        if not csrf_ok(session.csrf_token, form.get(CSRF_FIELD)):
            return forbidden(request, session, "The CSRF token is missing. Reload the page.")
        await backend(request).access.logout(session.id)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
