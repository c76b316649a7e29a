"""The console's pages and forms. Every change goes through the same services as the API."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData, UploadFile

from continuity.access.service import Session
from continuity.admin import KEEP, Keep
from continuity.core.model import (
    Destination,
    Line,
    LineKind,
    Snapshot,
    TrackingNumber,
)
from continuity.core.records import CallRecord
from continuity.core.routing import plan_route
from continuity.errors import ContinuityError
from web import inputs, views
from web.api_activity import OVERRIDES, message_audio
from web.auth import (
    CSRF_FIELD,
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    backend,
    console_session,
    csrf_ok,
)
from web.console_base import PageContext, forbidden, page_response, render, write
from web.errors import FieldError, UploadRejected
from web.uploads import prompt_file, read_limited

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50


def _str(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _page(request: Request) -> int:
    text = request.query_params.get("page", "1")
    return max(1, min(int(text), 100_000)) if text.isdigit() else 1


def _form_destination(
    form: FormData, snapshot: Snapshot, region: str, *, allow_inherit: bool
) -> Destination | Keep | None:
    """The destination radios: external + number, voice agent, voicemail + box, or none."""
    kind = _str(form, "destination.kind")
    if kind in ("", "keep"):
        return KEEP
    if kind == "inherit" and allow_inherit:
        return None
    target = {"external": "external", "voicemail": "voicemail", "sip": "sip"}.get(kind)
    value = _str(form, target) if target else ""
    return inputs.destination("destination", kind, value, snapshot, region)


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
    name, password = _str(form, "username"), form.get("password")
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


# -- continuity (the account default) ------------------------------------------------------
async def continuity_context(request: Request, session: Session) -> dict[str, Any]:
    snapshot = await backend(request).admin("-").snapshot()
    acc = snapshot.account
    return {
        "title": "Continuity",
        "account": views.account(acc),
        "lines": sorted(snapshot.lines),
        "voice_agent_reason": None
        if acc.voice_agent
        else "No voice agent is configured: set its endpoint under Advanced below.",
    }


@router.get("/")
async def continuity_page(request: Request) -> Response:
    return await page_response(request, "continuity.html", continuity_context)


@router.post("/continuity")
async def continuity_save(request: Request) -> Response:
    be = backend(request)

    async def action(session: Session, form: FormData) -> str:
        admin = be.admin(session.principal.actor)
        snapshot = await admin.snapshot()
        dest = _form_destination(form, snapshot, be.region, allow_inherit=False)
        change = inputs.settings_change(
            "on" if form.get("enabled") == "on" else "off",
            "enabled" if form.get("failover") == "on" else "disabled",
            dest,
        )
        agent = _str(form, "voice_agent")
        codes = _str(form, "failover_codes")
        timeout = _str(form, "primary_timeout")
        if timeout and not timeout.isdigit():
            raise FieldError("primary_timeout", "must be a whole number of seconds")
        await admin.change_account(
            change,
            voice_agent=(agent or None) if "voice_agent" in form else KEEP,
            failover_sip_codes=inputs.sip_codes_text("failover_codes", codes) if codes else KEEP,
            primary_timeout=inputs.positive("primary_timeout", int(timeout)) if timeout else KEEP,
        )
        acc = (await admin.snapshot()).account
        state = "enabled: calls go to" if acc.continuity.on else "off: calls go to the primary,"
        return f"Call Continuity {state} {acc.continuity.destination or 'no destination'}"

    return await write(
        request,
        form_id="continuity",
        template="continuity.html",
        context=continuity_context,
        action=action,
        back="/",
    )


# -- tracking numbers -------------------------------------------------------------------------
async def numbers_context(request: Request, session: Session) -> dict[str, Any]:
    be = backend(request)
    snapshot = await be.admin("-").snapshot()
    health = (await be.trunk()).health
    q = request.query_params.get("q", "")[:100]
    rows = [
        views.number(snapshot, n, health)
        for n in sorted(snapshot.numbers.values(), key=lambda n: n.number)
        if not q or q.lower() in n.number.lower() or q.lower() in n.label.lower()
    ]
    return {
        "title": "Tracking numbers",
        "numbers": rows,
        "q": q,
        "lines": sorted(snapshot.lines),
        "voice_agent_reason": _voice_agent_reason(snapshot),
    }


def _voice_agent_reason(snapshot: Snapshot) -> str | None:
    if snapshot.account.voice_agent:
        return None
    return "No voice agent is configured (Continuity page, Advanced)."


@router.get("/numbers")
async def numbers_page(request: Request) -> Response:
    return await page_response(request, "numbers.html", numbers_context)


async def _numbers_write(request: Request, form_id: str, action: Any) -> Response:
    return await write(
        request,
        form_id=form_id,
        template="numbers.html",
        context=numbers_context,
        action=action,
        back="/numbers",
    )


@router.post("/numbers/add")
async def number_add(request: Request) -> Response:
    be = backend(request)

    async def action(session: Session, form: FormData) -> str:
        admin = be.admin(session.principal.actor)
        line = _str(form, "line") or None
        number = TrackingNumber(
            inputs.e164("number", _str(form, "number"), be.region),
            label=inputs.text("label", _str(form, "label")),
            line=line,
        )
        await admin.add_number(number)
        return f"Added tracking number {number.number}"

    return await _numbers_write(request, "add", action)


@router.post("/numbers/{number}/destination")
async def number_destination(request: Request, number: str) -> Response:
    be = backend(request)

    async def action(session: Session, form: FormData) -> str:
        admin = be.admin(session.principal.actor)
        snapshot = await admin.snapshot()
        wanted = inputs.e164("number", number, be.region)
        dest = _form_destination(form, snapshot, be.region, allow_inherit=True)
        await admin.change_number(wanted, inputs.settings_change(None, None, dest))
        return f"{wanted}: custom destination {'cleared' if dest is None else dest}"

    return await _numbers_write(request, f"dest:{number}", action)


@router.post("/numbers/{number}/remove")
async def number_remove(request: Request, number: str) -> Response:
    be = backend(request)

    async def action(session: Session, form: FormData) -> str:
        wanted = inputs.e164("number", number, be.region)
        await be.admin(session.principal.actor).remove_number(wanted)
        return f"Removed tracking number {wanted}"

    return await _numbers_write(request, f"dest:{number}", action)


# -- lines ----------------------------------------------------------------------------------
async def lines_context(request: Request, session: Session) -> dict[str, Any]:
    snapshot = await backend(request).admin("-").snapshot()
    rows = [views.line(snapshot, ln) for ln in sorted(snapshot.lines.values(), key=lambda x: x.id)]
    return {
        "title": "Lines",
        "lines": rows,
        "kinds": [k.value for k in LineKind],
        "voice_agent_reason": _voice_agent_reason(snapshot),
    }


@router.get("/lines")
async def lines_page(request: Request) -> Response:
    return await page_response(request, "lines.html", lines_context)


async def _lines_write(request: Request, form_id: str, action: Any) -> Response:
    return await write(
        request,
        form_id=form_id,
        template="lines.html",
        context=lines_context,
        action=action,
        back="/lines",
    )


@router.post("/lines/add")
async def line_add(request: Request) -> Response:
    be = backend(request)

    async def action(session: Session, form: FormData) -> str:
        kind = _str(form, "kind")
        if kind not in {k.value for k in LineKind}:
            raise FieldError("kind", "choose main, department, contact_center or user")
        line = Line(_str(form, "id"), LineKind(kind), inputs.text("name", _str(form, "name")))
        await be.admin(session.principal.actor).add_line(line)
        return f"Added {kind} line {line.id}"

    return await _lines_write(request, "add", action)


@router.post("/lines/{line_id}/configure")
async def line_configure(request: Request, line_id: str) -> Response:
    be = backend(request)

    async def action(session: Session, form: FormData) -> str:
        admin = be.admin(session.principal.actor)
        snapshot = await admin.snapshot()
        dest = _form_destination(form, snapshot, be.region, allow_inherit=True)
        await admin.change_line(
            line_id,
            inputs.settings_change(None, None, dest),
            name=inputs.text("name", _str(form, "name")) if "name" in form else KEEP,
        )
        return f"Line {line_id} configured"

    return await _lines_write(request, f"line:{line_id}", action)


@router.post("/lines/{line_id}/test")
async def line_test(request: Request, line_id: str) -> Response:
    be = backend(request)

    async def action(session: Session, form: FormData) -> str:
        start = _str(form, "mode") == "start"
        await be.admin(session.principal.actor).set_test_mode(line_id, start)
        return f"Failover test {'started' if start else 'stopped'} on line {line_id}"

    return await _lines_write(request, f"line:{line_id}", action)


@router.post("/lines/{line_id}/remove")
async def line_remove(request: Request, line_id: str) -> Response:
    be = backend(request)

    async def action(session: Session, form: FormData) -> str:
        await be.admin(session.principal.actor).remove_line(line_id)
        return f"Removed line {line_id}"

    return await _lines_write(request, f"line:{line_id}", action)


@router.post("/lines/{line_id}/forwarding/{verb}")
async def line_forwarding(request: Request, line_id: str, verb: str) -> Response:
    be = backend(request)

    async def action(session: Session, form: FormData) -> str:
        admin = be.admin(session.principal.actor)
        number = inputs.e164("number", _str(form, "number"), be.region)
        if verb == "add":
            await admin.add_forwarding(line_id, number)
        elif verb == "verify":
            await admin.verify_forwarding(line_id, number)
        elif verb == "remove":
            await admin.remove_forwarding(line_id, number)
        else:
            raise FieldError("number", f"unknown action {verb!r}")
        return f"Forwarding number {number} of line {line_id}: {verb} done"

    return await _lines_write(request, f"fwd:{line_id}", action)


# -- voicemail ------------------------------------------------------------------------------
async def voicemail_context(request: Request, session: Session) -> dict[str, Any]:
    vm = backend(request).voicemail("-")
    boxes = await vm.boxes()
    messages = await vm.messages()
    by_box: dict[str, list[dict[str, Any]]] = {}
    for m in messages:
        data = m.to_json()
        data["audio_url"] = f"/voicemail/{m.box}/{m.msg_id}.wav"
        by_box.setdefault(m.box, []).append(data)
    return {
        "title": "Voicemail",
        "boxes": [{**b.to_json(), "messages": by_box.get(b.line, [])} for b in boxes],
    }


@router.get("/voicemail")
async def voicemail_page(request: Request) -> Response:
    return await page_response(request, "voicemail.html", voicemail_context)


async def _voicemail_write(request: Request, form_id: str, action: Any) -> Response:
    return await write(
        request,
        form_id=form_id,
        template="voicemail.html",
        context=voicemail_context,
        action=action,
        back="/voicemail",
    )


@router.post("/voicemail/{line_id}/prompt")
async def voicemail_prompt(request: Request, line_id: str) -> Response:
    be = backend(request)

    async def action(session: Session, form: FormData) -> str:
        vm = be.voicemail(session.principal.actor)
        await vm.line(line_id)
        upload = form.get("prompt")
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise FieldError("prompt", "choose a WAV or MP3 file to upload")
        try:
            async with prompt_file(await read_limited(upload)) as path:
                prompt = await vm.set_prompt(line_id, path)
        except UploadRejected as exc:
            raise FieldError("prompt", str(exc)) from exc
        except ContinuityError as exc:
            raise FieldError("prompt", str(exc).replace(str(path), "the upload")) from exc
        return f"Line {line_id} now plays the uploaded prompt ({prompt.seconds:.1f} s)"

    return await _voicemail_write(request, f"vm:{line_id}", action)


@router.post("/voicemail/{line_id}/prompt/reset")
async def voicemail_prompt_reset(request: Request, line_id: str) -> Response:
    be = backend(request)

    async def action(session: Session, form: FormData) -> str:
        await be.voicemail(session.principal.actor).reset_prompt(line_id)
        return f"Line {line_id} plays the default prompt"

    return await _voicemail_write(request, f"vm:{line_id}", action)


@router.post("/voicemail/{line_id}/email")
async def voicemail_email(request: Request, line_id: str) -> Response:
    be = backend(request)

    async def action(session: Session, form: FormData) -> str:
        email = _str(form, "email") or None
        try:
            await be.voicemail(session.principal.actor).set_email(line_id, email)
        except ContinuityError as exc:
            if "not an email address" in str(exc):
                raise FieldError("email", str(exc)) from exc
            raise
        return f"Voicemail notices of line {line_id} go to {email or 'nobody'}"

    return await _voicemail_write(request, f"vm:{line_id}", action)


@router.get("/voicemail/{line_id}/{msg_id}.wav")
async def voicemail_audio(request: Request, line_id: str, msg_id: str) -> Response:
    session = await console_session(request)
    if session is None:
        return RedirectResponse("/login", status_code=303)
    data = await message_audio(backend(request), line_id, msg_id)
    return Response(data, media_type="audio/wav")


# -- outages --------------------------------------------------------------------------------
async def outages_context(request: Request, session: Session) -> dict[str, Any]:
    be = backend(request)
    page = _page(request)
    found, total = await be.reads.outages(PAGE_SIZE, (page - 1) * PAGE_SIZE)
    trunk = await be.trunk()
    now = dt.datetime.now(dt.UTC)
    return {
        "title": "Outages",
        "outages": [{**views.outage(o), "lasted": f"{o.duration(now):.0f} s"} for o in found],
        "total": total,
        "page": page,
        "pages": max(1, -(-total // PAGE_SIZE)),
        "override": trunk.override,
        "report": trunk.to_json(),
    }


@router.get("/outages")
async def outages_page(request: Request) -> Response:
    return await page_response(request, "outages.html", outages_context)


@router.post("/outages/override")
async def outages_override(request: Request) -> Response:
    be = backend(request)

    async def action(session: Session, form: FormData) -> str:
        state = _str(form, "state")
        if state not in OVERRIDES:
            raise FieldError("state", "choose declare, clear or auto")
        reason = inputs.text("reason", _str(form, "reason"))
        await be.overrides.set_override(session.principal.actor, OVERRIDES[state], reason)
        return {
            "declare": "Outage declared: calls skip the primary until Auto",
            "clear": "Primary forced up: calls go to it until Auto",
            "auto": "Override removed: outage detection decides again",
        }[state]

    return await write(
        request,
        form_id="override",
        template="outages.html",
        context=outages_context,
        action=action,
        back="/outages",
    )


# -- call records and audit --------------------------------------------------------------------
def _when(field: str, text: str) -> dt.datetime | None:
    if not text:
        return None
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        raise FieldError(field, "give a time like 2026-12-01T09:30") from None
    return when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when


async def calls_context(request: Request, session: Session) -> dict[str, Any]:
    be = backend(request)
    query = request.query_params
    page = _page(request)
    errors: dict[str, str] = {}
    number = since = until = None
    try:
        number = inputs.e164("number", query["number"], be.region) if query.get("number") else None
        since = _when("since", query.get("since", ""))
        until = _when("until", query.get("until", ""))
    except FieldError as exc:
        errors[exc.field] = exc.message
    found: list[CallRecord] = []
    total = 0
    if not errors:
        found, total = await be.reads.call_records(
            PAGE_SIZE, (page - 1) * PAGE_SIZE, number, since, until
        )
    return {
        "title": "Call records",
        "records": [views.call_record(r) for r in found],
        "total": total,
        "page": page,
        "pages": max(1, -(-total // PAGE_SIZE)),
        "filter": {k: query.get(k, "")[:40] for k in ("number", "since", "until")},
        "filter_errors": errors,
    }


@router.get("/calls")
async def calls_page(request: Request) -> Response:
    return await page_response(request, "calls.html", calls_context)


async def audit_context(request: Request, session: Session) -> dict[str, Any]:
    page = _page(request)
    found, total = await backend(request).reads.audit(PAGE_SIZE, (page - 1) * PAGE_SIZE)
    return {
        "title": "Audit log",
        "entries": found,
        "total": total,
        "page": page,
        "pages": max(1, -(-total // PAGE_SIZE)),
    }


@router.get("/audit")
async def audit_page(request: Request) -> Response:
    return await page_response(request, "audit.html", audit_context)


# -- test call ----------------------------------------------------------------------------------
def _test_context(result: dict[str, Any] | None) -> PageContext:
    async def context(request: Request, session: Session) -> dict[str, Any]:
        be = backend(request)
        snapshot = await be.admin("-").snapshot()
        health = (await be.trunk()).health
        return {
            "title": "Test call",
            "numbers": [
                {
                    "number": n,
                    "label": snapshot.numbers[n].label,
                    "expected": [str(d) for d in plan_route(snapshot, n, health).destinations],
                }
                for n in sorted(snapshot.numbers)
            ],
            "available": be.test_call is not None,
            "result": result,
        }

    return context


@router.get("/test-call")
async def test_call_page(request: Request) -> Response:
    return await page_response(request, "testcall.html", _test_context(None))


@router.post("/test-call")
async def test_call(request: Request) -> Response:
    """Not a redirect: the page shows where the call landed once it has."""
    be = backend(request)
    session = await console_session(request)
    if session is None:
        return RedirectResponse("/login", status_code=303)
    form = await request.form(max_files=0, max_fields=5)
    if not csrf_ok(session.csrf_token, form.get(CSRF_FIELD)):
        return forbidden(request, session, "The form's CSRF token is missing. Reload the page.")
    if not session.principal.can_write:
        return forbidden(request, session, "Viewers cannot place test calls.")
    errors: dict[str, dict[str, str]] = {}
    result = None
    try:
        number = inputs.e164("number", _str(form, "number"), be.region)
        snapshot = await be.admin("-").snapshot()
        if number not in snapshot.numbers:
            raise FieldError("number", f"{number} is not one of our tracking numbers")
        if be.test_call is None:
            raise FieldError("number", "test calls need the AMI settings of `continuity serve`")
        outcome = await be.test_call(number)
        result = {name: getattr(outcome, name) for name in outcome.__slots__}
    except FieldError as exc:
        errors = {"test": {exc.field: exc.message}}
    return await page_response(
        request,
        "testcall.html",
        _test_context(result),
        errors=errors,
        values={"test": dict(form)},
        status=422 if errors else 200,
    )


__all__ = ["router"]
