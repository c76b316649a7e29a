"""The console's machinery: templates, the page context, flashes, guarded writes."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.datastructures import FormData

from continuity.access.service import Session
from continuity.errors import ContinuityError
from continuity.web.auth import CSRF_FIELD, backend, console_session, csrf_ok
from continuity.web.backend import Backend
from continuity.web.errors import FieldError, status_of
from continuity.web.uploads import MAX_PROMPT_BYTES

log = logging.getLogger(__name__)

TEMPLATES = Path(__file__).parent / "templates"
#: How long a resolved outage stays on the banner.
RESOLVED_SHOWN = dt.timedelta(hours=1)
#: How long a write waits for Asterisk to confirm the new fallback dialplan.
CONFIRM_WAIT = 10.0
#: Largest request body a console form may send: a prompt and a few fields.
MAX_BODY = MAX_PROMPT_BYTES + 64 * 1024

#: name -> async (request, session) -> the page's template variables
PageContext = Callable[[Request, Session], Awaitable[dict[str, Any]]]
#: (session, form) -> the confirmation to show
Action = Callable[[Session, FormData], Awaitable[str]]


def make_environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


_ENV = make_environment()


def flashes(request: Request, session: Session) -> list[tuple[str, str]]:
    store: dict[str, list[tuple[str, str]]] = request.app.state.flashes
    return store.pop(session.id, [])


def flash(request: Request, session: Session, kind: str, text: str) -> None:
    store: dict[str, list[tuple[str, str]]] = request.app.state.flashes
    store.setdefault(session.id, []).append((kind, text))


async def banner(be: Backend) -> dict[str, Any]:
    trunk = await be.trunk()
    recent, _ = await be.reads.outages(1, 0)
    resolved = None
    last = recent[0] if recent else None
    now = dt.datetime.now(dt.UTC)
    if (
        trunk.outage is None
        and last is not None
        and last.resolved_at is not None
        and now - last.resolved_at < RESOLVED_SHOWN
    ):
        resolved = last
    return {"trunk": trunk, "outage": trunk.outage, "resolved": resolved, "lines": trunk.lines()}


def render(
    request: Request,
    session: Session | None,
    template: str,
    context: Mapping[str, Any],
    status: int = 200,
) -> HTMLResponse:
    page = _ENV.get_template(template).render(
        {
            "session": session,
            "user": session.principal if session else None,
            "can_write": session is not None and session.principal.can_write,
            "csrf": session.csrf_token if session else "",
            "csrf_field": CSRF_FIELD,
            "path": request.url.path,
            **context,
        }
    )
    return HTMLResponse(page, status_code=status)


async def page_response(
    request: Request,
    template: str,
    context: PageContext,
    *,
    errors: Mapping[str, Mapping[str, str]] | None = None,
    values: Mapping[str, Any] | None = None,
    status: int = 200,
) -> Response:
    session = await console_session(request)
    if session is None:
        return RedirectResponse("/login", status_code=303)
    be = backend(request)
    data = await context(request, session)
    return render(
        request,
        session,
        template,
        {
            **data,
            "banner": await banner(be),
            "flashes": flashes(request, session),
            "errors": errors or {},
            "values": values or {},
        },
        status,
    )


def forbidden(request: Request, session: Session | None, why: str) -> HTMLResponse:
    return render(request, session, "forbidden.html", {"why": why}, 403)


async def confirm(be: Backend) -> tuple[str, str]:
    """("ok"|"warn"|"error", text): whether Asterisk holds the dialplan of the new state."""
    if be.dialplan is None:
        return "ok", "Saved. `continuity serve` applies it to Asterisk within moments."
    version = (await be.admin("-").snapshot()).version
    applied = await be.dialplan.wait_for(version, CONFIRM_WAIT)
    if applied is None:
        return "warn", (
            f"Saved, but Asterisk has not confirmed the fallback dialplan of state v{version} "
            f"within {CONFIRM_WAIT:.0f} s; the app still routes calls with the new settings."
        )
    if applied.error is not None:
        return "error", (
            f"Saved and live in the app, but Asterisk refused the new fallback dialplan "
            f"(state v{applied.version}): {applied.error}"
        )
    return "ok", f"Live: Asterisk holds the fallback dialplan of state v{applied.version}."


async def write(
    request: Request,
    *,
    form_id: str,
    template: str,
    context: PageContext,
    action: Action,
    back: str,
) -> Response:
    """A console write: session, CSRF and role checked first; field errors inline; PRG."""
    session = await console_session(request)
    if session is None:
        return RedirectResponse("/login", status_code=303)
    if int(request.headers.get("content-length") or 0) > MAX_BODY:
        return render(
            request,
            session,
            "forbidden.html",
            {"why": f"The upload is too large: at most {MAX_PROMPT_BYTES // 2**20} MiB."},
            413,
        )
    form = await request.form(max_files=1, max_fields=50)
    if not csrf_ok(session.csrf_token, form.get(CSRF_FIELD)):
        return forbidden(
            request, session, "The form's CSRF token is missing or wrong. Reload the page."
        )
    if not session.principal.can_write:
        return forbidden(
            request,
            session,
            f"{session.principal.name} is a viewer: viewers cannot change anything.",
        )
    try:
        message = await action(session, form)
    except FieldError as exc:
        return await page_response(
            request,
            template,
            context,
            errors={form_id: {exc.field or "body": exc.message}},
            values={form_id: dict(form)},
            status=422,
        )
    except ContinuityError as exc:
        return await page_response(
            request,
            template,
            context,
            errors={form_id: {"_": str(exc)}},
            values={form_id: dict(form)},
            status=status_of(exc),
        )
    kind, live = await confirm(backend(request))
    flash(request, session, "ok", message)
    flash(request, session, kind, live)
    return RedirectResponse(back, status_code=303)
