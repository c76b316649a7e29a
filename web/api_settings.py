"""/api/account, /api/lines, /api/numbers: the settings, through the same Admin as the CLI."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.responses import JSONResponse

from continuity.access.credentials import Principal
from continuity.admin import KEEP, Keep, SettingsChange
from continuity.core.model import (
    ContinuitySettings,
    Destination,
    Line,
    LineKind,
    Snapshot,
    TrackingNumber,
)
from continuity.errors import UnknownLine, UnknownTrackingNumber
from continuity.web import inputs, views
from continuity.web.auth import api_principal, api_writer, backend
from continuity.web.schemas import (
    AccountPatch,
    ForwardingIn,
    LineIn,
    LinePatch,
    NumberIn,
    NumberPatch,
    SettingsIn,
    TestModeIn,
)
from continuity.web.versions import check_if_match, etag, pinned

router = APIRouter(prefix="/api")
Reader = Annotated[Principal, Depends(api_principal)]
Writer = Annotated[Principal, Depends(api_writer)]
IfMatch = Annotated[str | None, Header(description="the ETag read; a stale one gets 412")]
Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]


def tagged(body: dict[str, Any], status: int = 200) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers={"ETag": etag(body)})


def page(items: list[Any], total: int) -> dict[str, Any]:
    return {"items": items, "total": total}


def _destination(body: SettingsIn, snapshot: Snapshot, region: str) -> Destination | Keep | None:
    if "destination" not in body.model_fields_set:
        return KEEP
    if body.destination is None:
        return None
    d = body.destination
    return inputs.destination("destination", d.kind, d.target, snapshot, region)


def _change(body: SettingsIn, snapshot: Snapshot, region: str) -> SettingsChange:
    return inputs.settings_change(
        body.continuity, body.failover, _destination(body, snapshot, region)
    )


def _line(snapshot: Snapshot, line_id: str) -> Line:
    found = snapshot.lines.get(line_id)
    if found is None:
        raise UnknownLine(line_id, [])
    return found


def _number(snapshot: Snapshot, number: str, region: str) -> TrackingNumber:
    found = snapshot.numbers.get(inputs.e164("number", number, region))
    if found is None:
        raise UnknownTrackingNumber(number, [])
    return found


# -- account -----------------------------------------------------------------------
@router.get("/account", tags=["account"], summary="The account-wide defaults")
async def get_account(request: Request, _: Reader) -> JSONResponse:
    snapshot = await backend(request).admin("-").snapshot()
    return tagged(views.account(snapshot.account))


@router.patch("/account", tags=["account"], summary="Change the account-wide defaults")
async def patch_account(
    request: Request, body: AccountPatch, who: Writer, if_match: IfMatch = None
) -> JSONResponse:
    be = backend(request)
    admin = be.admin(who.actor)
    snapshot = await admin.snapshot()
    check_if_match(if_match, views.account(snapshot.account))
    fields = body.model_fields_set
    await admin.change_account(
        _change(body, snapshot, be.region),
        voice_agent=body.voice_agent if "voice_agent" in fields else KEEP,
        failover_sip_codes=(
            inputs.sip_codes("failover_sip_codes", body.failover_sip_codes)
            if body.failover_sip_codes is not None
            else KEEP
        ),
        primary_timeout=body.primary_timeout if body.primary_timeout is not None else KEEP,
        expected_version=pinned(if_match, snapshot.account.version),
    )
    return tagged(views.account((await admin.snapshot()).account))


# -- lines -------------------------------------------------------------------------
@router.get("/lines", tags=["lines"], summary="Lines, with forwarding numbers and test mode")
async def list_lines(
    request: Request, _: Reader, limit: Limit = 100, offset: Offset = 0
) -> dict[str, Any]:
    snapshot = await backend(request).admin("-").snapshot()
    lines = sorted(snapshot.lines.values(), key=lambda ln: ln.id)
    return page([views.line(snapshot, ln) for ln in lines[offset : offset + limit]], len(lines))


@router.post("/lines", tags=["lines"], status_code=201, summary="Add a line")
async def add_line(request: Request, body: LineIn, who: Writer) -> JSONResponse:
    be = backend(request)
    admin = be.admin(who.actor)
    snapshot = await admin.snapshot()
    change = _change(body, snapshot, be.region)
    line = Line(
        id=body.id,
        kind=LineKind(body.kind),
        name=inputs.text("name", body.name),
        continuity=change.apply(ContinuitySettings()),
    )
    await admin.add_line(line)
    snapshot = await admin.snapshot()
    return tagged(views.line(snapshot, _line(snapshot, body.id)), 201)


@router.get("/lines/{line_id}", tags=["lines"], summary="One line")
async def get_line(request: Request, line_id: str, _: Reader) -> JSONResponse:
    snapshot = await backend(request).admin("-").snapshot()
    return tagged(views.line(snapshot, _line(snapshot, line_id)))


@router.patch("/lines/{line_id}", tags=["lines"], summary="Configure a line")
async def patch_line(
    request: Request, line_id: str, body: LinePatch, who: Writer, if_match: IfMatch = None
) -> JSONResponse:
    be = backend(request)
    admin = be.admin(who.actor)
    snapshot = await admin.snapshot()
    check_if_match(if_match, views.line(snapshot, _line(snapshot, line_id)))
    await admin.change_line(
        line_id,
        _change(body, snapshot, be.region),
        name=KEEP if body.name is None else inputs.text("name", body.name),
        expected_version=pinned(if_match, _line(snapshot, line_id).version),
    )
    snapshot = await admin.snapshot()
    return tagged(views.line(snapshot, _line(snapshot, line_id)))


@router.delete("/lines/{line_id}", tags=["lines"], status_code=204, summary="Remove a line")
async def delete_line(
    request: Request, line_id: str, who: Writer, if_match: IfMatch = None
) -> Response:
    admin = backend(request).admin(who.actor)
    snapshot = await admin.snapshot()
    check_if_match(if_match, views.line(snapshot, _line(snapshot, line_id)))
    await admin.remove_line(
        line_id, expected_version=pinned(if_match, _line(snapshot, line_id).version)
    )
    return Response(status_code=204)


@router.put("/lines/{line_id}/test-mode", tags=["lines"], summary="Start or stop failover test")
async def put_test_mode(
    request: Request, line_id: str, body: TestModeIn, who: Writer
) -> JSONResponse:
    admin = backend(request).admin(who.actor)
    await admin.set_test_mode(line_id, body.on)
    snapshot = await admin.snapshot()
    return tagged(views.line(snapshot, _line(snapshot, line_id)))


@router.post(
    "/lines/{line_id}/forwarding",
    tags=["lines"],
    status_code=201,
    summary="Add a user's (unverified) forwarding number",
)
async def add_forwarding(
    request: Request, line_id: str, body: ForwardingIn, who: Writer
) -> JSONResponse:
    be = backend(request)
    admin = be.admin(who.actor)
    await admin.add_forwarding(line_id, inputs.e164("number", body.number, be.region))
    snapshot = await admin.snapshot()
    return tagged(views.line(snapshot, _line(snapshot, line_id)), 201)


@router.post(
    "/lines/{line_id}/forwarding/{number}/verify", tags=["lines"], summary="Verify a number"
)
async def verify_forwarding(
    request: Request, line_id: str, number: str, who: Writer
) -> JSONResponse:
    be = backend(request)
    admin = be.admin(who.actor)
    await admin.verify_forwarding(line_id, inputs.e164("number", number, be.region))
    snapshot = await admin.snapshot()
    return tagged(views.line(snapshot, _line(snapshot, line_id)))


@router.delete(
    "/lines/{line_id}/forwarding/{number}",
    tags=["lines"],
    status_code=204,
    summary="Remove a forwarding number",
)
async def remove_forwarding(request: Request, line_id: str, number: str, who: Writer) -> Response:
    be = backend(request)
    await be.admin(who.actor).remove_forwarding(line_id, inputs.e164("number", number, be.region))
    return Response(status_code=204)


# -- tracking numbers ----------------------------------------------------------------
@router.get("/numbers", tags=["numbers"], summary="Tracking numbers and where calls go now")
async def list_numbers(
    request: Request,
    _: Reader,
    q: Annotated[str | None, Query(max_length=100, description="search number or label")] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    be = backend(request)
    snapshot = await be.admin("-").snapshot()
    health = (await be.trunk()).health
    found = [
        n
        for n in sorted(snapshot.numbers.values(), key=lambda n: n.number)
        if not q or q.lower() in n.number.lower() or q.lower() in n.label.lower()
    ]
    items = [views.number(snapshot, n, health) for n in found[offset : offset + limit]]
    return page(items, len(found))


@router.post("/numbers", tags=["numbers"], status_code=201, summary="Add a tracking number")
async def add_number(request: Request, body: NumberIn, who: Writer) -> JSONResponse:
    be = backend(request)
    admin = be.admin(who.actor)
    snapshot = await admin.snapshot()
    change = _change(body, snapshot, be.region)
    number = TrackingNumber(
        number=inputs.e164("number", body.number, be.region),
        label=inputs.text("label", body.label),
        line=body.line,
        primary_target=(
            inputs.e164("primary_target", body.primary_target, be.region)
            if body.primary_target
            else None
        ),
    )
    number = dataclasses.replace(number, continuity=change.apply(number.continuity))
    await admin.add_number(number)
    snapshot = await admin.snapshot()
    return tagged(views.number(snapshot, snapshot.numbers[number.number]), 201)


@router.get("/numbers/{number}", tags=["numbers"], summary="One tracking number")
async def get_number(request: Request, number: str, _: Reader) -> JSONResponse:
    be = backend(request)
    snapshot = await be.admin("-").snapshot()
    return tagged(views.number(snapshot, _number(snapshot, number, be.region)))


@router.patch("/numbers/{number}", tags=["numbers"], summary="Change a tracking number")
async def patch_number(
    request: Request, number: str, body: NumberPatch, who: Writer, if_match: IfMatch = None
) -> JSONResponse:
    be = backend(request)
    admin = be.admin(who.actor)
    snapshot = await admin.snapshot()
    current = _number(snapshot, number, be.region)
    check_if_match(if_match, views.number(snapshot, current))
    fields = body.model_fields_set
    await admin.change_number(
        current.number,
        _change(body, snapshot, be.region),
        label=KEEP if body.label is None else inputs.text("label", body.label),
        line=body.line if "line" in fields else KEEP,
        primary_target=(
            KEEP
            if "primary_target" not in fields
            else inputs.e164("primary_target", body.primary_target, be.region)
            if body.primary_target
            else None
        ),
        expected_version=pinned(if_match, current.version),
    )
    snapshot = await admin.snapshot()
    return tagged(views.number(snapshot, snapshot.numbers[current.number]))


@router.delete(
    "/numbers/{number}", tags=["numbers"], status_code=204, summary="Remove a tracking number"
)
async def delete_number(
    request: Request, number: str, who: Writer, if_match: IfMatch = None
) -> Response:
    be = backend(request)
    admin = be.admin(who.actor)
    snapshot = await admin.snapshot()
    current = _number(snapshot, number, be.region)
    check_if_match(if_match, views.number(snapshot, current))
    await admin.remove_number(
        current.number, expected_version=pinned(if_match, current.version)
    )
    return Response(status_code=204)
