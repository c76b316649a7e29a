"""Console pages of what happens: voicemail, outages, call records, audit, test calls."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData, UploadFile

from continuity.access.service import Session
from continuity.core.records import CallRecord
from continuity.core.routing import plan_route
from continuity.errors import ContinuityError
from continuity.web import inputs, views
from continuity.web.api_activity import OVERRIDES, message_audio
from continuity.web.auth import (
    CSRF_FIELD,
    backend,
    console_session,
    csrf_ok,
)
from continuity.web.console_base import PageContext, forbidden, page_response, write
from continuity.web.console_forms import PAGE_SIZE, field, page_number
from continuity.web.errors import FieldError, UploadRejected
from continuity.web.uploads import prompt_file, read_limited

router = APIRouter(include_in_schema=False)


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
        email = field(form, "email") or None
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
    page = page_number(request)
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
        state = field(form, "state")
        if state not in OVERRIDES:
            raise FieldError("state", "choose declare, clear or auto")
        reason = inputs.text("reason", field(form, "reason"))
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
    page = page_number(request)
    errors: dict[str, str] = {}
    number = since = until = None
    try:
        number = inputs.e164("number", query["number"], be.region) if query.get("number") else None
        since = _when("since", query.get("since", ""))
        until = _when("until", query.get("until", ""))
    except FieldError as exc:
        errors[exc.field or "body"] = exc.message
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
    page = page_number(request)
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
        now = dt.datetime.now(dt.UTC)
        return {
            "title": "Test call",
            "numbers": [
                {
                    "number": n,
                    "label": snapshot.numbers[n].label,
                    "expected": [str(d) for d in plan_route(snapshot, n, health, now).destinations],
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
        number = inputs.e164("number", field(form, "number"), be.region)
        snapshot = await be.admin("-").snapshot()
        if number not in snapshot.numbers:
            raise FieldError("number", f"{number} is not one of our tracking numbers")
        if be.test_call is None:
            raise FieldError("number", "test calls need the AMI settings of `continuity serve`")
        outcome = await be.test_call(number)
        result = {name: getattr(outcome, name) for name in outcome.__slots__}
    except FieldError as exc:
        errors = {"test": {exc.field or "body": exc.message}}
    return await page_response(
        request,
        "testcall.html",
        _test_context(result),
        errors=errors,
        values={"test": dict(form)},
        status=422 if errors else 200,
    )


__all__ = ["router"]
