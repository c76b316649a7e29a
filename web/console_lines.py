"""The Lines page: configure, test mode, remove, users' forwarding numbers."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from continuity.access.service import Session
from continuity.admin import KEEP
from continuity.core.model import (
    Line,
    LineKind,
)
from continuity.web import inputs, views
from continuity.web.auth import (
    backend,
)
from continuity.web.console_base import page_response, write
from continuity.web.console_forms import field, form_destination
from continuity.web.console_settings import voice_agent_reason
from continuity.web.errors import FieldError

router = APIRouter(include_in_schema=False)


# -- lines ----------------------------------------------------------------------------------
async def lines_context(request: Request, session: Session) -> dict[str, Any]:
    snapshot = await backend(request).admin("-").snapshot()
    rows = [views.line(snapshot, ln) for ln in sorted(snapshot.lines.values(), key=lambda x: x.id)]
    return {
        "title": "Lines",
        "lines": rows,
        "kinds": [k.value for k in LineKind],
        "voice_agent_reason": voice_agent_reason(snapshot),
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
        kind = field(form, "kind")
        if kind not in {k.value for k in LineKind}:
            raise FieldError("kind", "choose main, department, contact_center or user")
        line = Line(field(form, "id"), LineKind(kind), inputs.text("name", field(form, "name")))
        await be.admin(session.principal.actor).add_line(line)
        return f"Added {kind} line {line.id}"

    return await _lines_write(request, "add", action)


@router.post("/lines/{line_id}/configure")
async def line_configure(request: Request, line_id: str) -> Response:
    be = backend(request)

    async def action(session: Session, form: FormData) -> str:
        admin = be.admin(session.principal.actor)
        snapshot = await admin.snapshot()
        dest = form_destination(form, snapshot, be.region, allow_inherit=True)
        await admin.change_line(
            line_id,
            inputs.settings_change(None, None, dest),
            name=inputs.text("name", field(form, "name")) if "name" in form else KEEP,
        )
        return f"Line {line_id} configured"

    return await _lines_write(request, f"line:{line_id}", action)


@router.post("/lines/{line_id}/test")
async def line_test(request: Request, line_id: str) -> Response:
    be = backend(request)

    async def action(session: Session, form: FormData) -> str:
        start = field(form, "mode") == "start"
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
        number = inputs.e164("number", field(form, "number"), be.region)
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
