"""Console pages of the settings: Continuity (the account default) and Tracking numbers."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from continuity.access.service import Session
from continuity.admin import KEEP
from continuity.core.model import (
    Snapshot,
    TrackingNumber,
)
from continuity.web import inputs, views
from continuity.web.auth import (
    backend,
)
from continuity.web.console_base import page_response, write
from continuity.web.console_forms import field, form_destination
from continuity.web.errors import FieldError

router = APIRouter(include_in_schema=False)


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
        dest = form_destination(form, snapshot, be.region, allow_inherit=False)
        change = inputs.settings_change(
            "on" if form.get("enabled") == "on" else "off",
            "enabled" if form.get("failover") == "on" else "disabled",
            dest,
        )
        agent = field(form, "voice_agent")
        codes = field(form, "failover_codes")
        timeout = field(form, "primary_timeout")
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
        "voice_agent_reason": voice_agent_reason(snapshot),
    }


def voice_agent_reason(snapshot: Snapshot) -> str | None:
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
        line = field(form, "line") or None
        number = TrackingNumber(
            inputs.e164("number", field(form, "number"), be.region),
            label=inputs.text("label", field(form, "label")),
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
        dest = form_destination(form, snapshot, be.region, allow_inherit=True)
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
