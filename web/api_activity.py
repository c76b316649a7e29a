"""/api/status, outages, audit, call records, voicemail and test calls."""

from __future__ import annotations

import asyncio
import datetime as dt
import secrets
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, HTTPException, Query, Request, Response, UploadFile

from continuity.core.outage import OverrideState
from continuity.core.routing import plan_route
from continuity.errors import UnknownTrackingNumber
from continuity.outage.testcall import TestCallResult
from continuity.web import inputs, views
from continuity.web.api_settings import Limit, Offset, Reader, Writer, page
from continuity.web.auth import backend
from continuity.web.backend import Backend
from continuity.web.schemas import EmailIn, OverrideIn, TestCallIn
from continuity.web.uploads import prompt_file, read_limited

router = APIRouter(prefix="/api")
OVERRIDES = {"declare": OverrideState.DOWN, "clear": OverrideState.UP, "auto": None}
#: Test call results kept for GET /api/test-calls/{id}.
KEPT_TEST_CALLS = 100


async def status(be: Backend) -> dict[str, Any]:
    snapshot = await be.admin("-").snapshot()
    trunk = await be.trunk()
    acc = snapshot.account
    numbers = []
    for number in sorted(snapshot.numbers):
        plan = plan_route(snapshot, number, trunk.health, dt.datetime.now(dt.UTC))
        numbers.append(
            {
                "number": number,
                "label": snapshot.numbers[number].label,
                "line": plan.line,
                "reason": plan.reason.value,
                "chain": [str(d) for d in plan.destinations],
            }
        )
    return {
        "continuity": "on" if acc.continuity.on else "off",
        "failover": "enabled" if acc.continuity.enabled else "disabled",
        "default_destination": views.destination(acc.continuity.destination),
        "testing_lines": sorted(ln.id for ln in snapshot.lines.values() if ln.test_mode),
        "state_version": snapshot.version,
        "primary_trunk": trunk.to_json(),
        "banner": trunk.lines(),
        "numbers": numbers,
    }


@router.get("/status", tags=["status"], summary="Where each number's calls go right now")
async def get_status(request: Request, _: Reader) -> dict[str, Any]:
    return await status(backend(request))


@router.get("/outages", tags=["outages"], summary="The current outage and the history")
async def list_outages(
    request: Request, _: Reader, limit: Limit = 50, offset: Offset = 0
) -> dict[str, Any]:
    be = backend(request)
    found, total = await be.reads.outages(limit, offset)
    return {
        **page([views.outage(o) for o in found], total),
        "current": (await be.trunk()).to_json(),
    }


@router.put("/outages/override", tags=["outages"], summary="Declare, clear, or back to auto")
async def put_override(request: Request, body: OverrideIn, who: Writer) -> dict[str, Any]:
    be = backend(request)
    reason = inputs.text("reason", body.reason)
    await be.overrides.set_override(who.actor, OVERRIDES[body.state], reason)
    return (await be.trunk()).to_json()


@router.get("/audit", tags=["audit"], summary="Who changed what, newest first")
async def list_audit(
    request: Request, _: Reader, limit: Limit = 50, offset: Offset = 0
) -> dict[str, Any]:
    found, total = await backend(request).reads.audit(limit, offset)
    items = [
        {
            "at": e.at.isoformat(),
            "actor": e.actor,
            "action": e.action,
            "subject": e.subject,
            "old_value": e.old_value,
            "new_value": e.new_value,
        }
        for e in found
    ]
    return page(items, total)


@router.get("/calls", tags=["calls"], summary="Call records: the chain tried, with causes")
async def list_calls(
    request: Request,
    _: Reader,
    number: Annotated[str | None, Query(max_length=40, description="tracking number")] = None,
    since: Annotated[dt.datetime | None, Query(description="started at or after")] = None,
    until: Annotated[dt.datetime | None, Query(description="started before")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    be = backend(request)
    wanted = inputs.e164("number", number, be.region) if number else None
    found, total = await be.reads.call_records(limit, offset, wanted, _aware(since), _aware(until))
    return page([views.call_record(r) for r in found], total)


def _aware(when: dt.datetime | None) -> dt.datetime | None:
    return when.replace(tzinfo=dt.UTC) if when is not None and when.tzinfo is None else when


# -- voicemail -------------------------------------------------------------------------
@router.get("/lines/{line_id}/voicemail", tags=["voicemail"], summary="Prompt and e-mail")
async def get_voicemail(request: Request, line_id: str, _: Reader) -> dict[str, Any]:
    vm = backend(request).voicemail("-")
    prompt = await vm.prompt(line_id)
    emails = await vm.emails()
    return {
        "line": line_id,
        "prompt": "custom" if prompt else "default",
        "prompt_seconds": round(prompt.seconds, 2) if prompt else None,
        "email": emails.get(line_id),
    }


@router.put("/lines/{line_id}/voicemail/prompt", tags=["voicemail"], summary="Upload a prompt")
async def put_prompt(
    request: Request,
    line_id: str,
    who: Writer,
    file: Annotated[UploadFile, File(description="WAV or MP3, 0.5-60 s")],
) -> dict[str, Any]:
    vm = backend(request).voicemail(who.actor)
    await vm.line(line_id)
    async with prompt_file(await read_limited(file)) as path:
        prompt = await vm.set_prompt(line_id, path)
    return {"line": line_id, "prompt": "custom", "prompt_seconds": round(prompt.seconds, 2)}


@router.delete(
    "/lines/{line_id}/voicemail/prompt",
    tags=["voicemail"],
    status_code=204,
    summary="Back to the default prompt",
)
async def delete_prompt(request: Request, line_id: str, who: Writer) -> Response:
    await backend(request).voicemail(who.actor).reset_prompt(line_id)
    return Response(status_code=204)


@router.put("/lines/{line_id}/voicemail/email", tags=["voicemail"], summary="Notice address")
async def put_email(request: Request, line_id: str, body: EmailIn, who: Writer) -> dict[str, Any]:
    await backend(request).voicemail(who.actor).set_email(line_id, body.email)
    return {"line": line_id, "email": body.email}


@router.get("/voicemail/messages", tags=["voicemail"], summary="Messages, per line")
async def list_messages(
    request: Request,
    _: Reader,
    line: Annotated[str | None, Query(max_length=40)] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    messages = await backend(request).voicemail("-").messages(line)
    items = []
    for m in messages[offset : offset + limit]:
        data = m.to_json()
        data.pop("audio")
        data["audio_url"] = f"/api/voicemail/messages/{m.box}/{m.msg_id}/audio"
        items.append(data)
    return page(items, len(messages))


async def message_audio(be: Backend, line_id: str, msg_id: str) -> bytes:
    vm = be.voicemail("-")
    with tempfile.TemporaryDirectory(prefix="continuity-export-") as folder:
        target = Path(folder) / "message.wav"
        await vm.export(line_id, msg_id, target)
        return await asyncio.to_thread(target.read_bytes)


@router.get(
    "/voicemail/messages/{line_id}/{msg_id}/audio",
    tags=["voicemail"],
    summary="A message's recording as WAV",
    response_class=Response,
    responses={200: {"content": {"audio/wav": {}}}},
)
async def get_message_audio(request: Request, line_id: str, msg_id: str, _: Reader) -> Response:
    data = await message_audio(backend(request), line_id, msg_id)
    return Response(data, media_type="audio/wav")


# -- test calls ------------------------------------------------------------------------
def result_json(result: TestCallResult) -> dict[str, Any]:
    return {name: getattr(result, name) for name in result.__slots__}


async def start_test_call(be: Backend, number: str) -> TestCallResult:
    if be.test_call is None:
        raise HTTPException(503, "Test calls need the AMI settings (ami_*) of `continuity serve`.")
    snapshot = await be.admin("-").snapshot()
    wanted = inputs.e164("number", number, be.region)
    if wanted not in snapshot.numbers:
        raise UnknownTrackingNumber(wanted, [])
    return await be.test_call(wanted)


@router.post("/test-calls", tags=["test calls"], status_code=202, summary="Place a test call")
async def post_test_call(request: Request, body: TestCallIn, _: Writer) -> dict[str, Any]:
    be = backend(request)
    if be.test_call is None:
        raise HTTPException(503, "Test calls need the AMI settings (ami_*) of `continuity serve`.")
    snapshot = await be.admin("-").snapshot()
    wanted = inputs.e164("number", body.number, be.region)
    if wanted not in snapshot.numbers:
        raise UnknownTrackingNumber(wanted, [])
    calls: dict[str, Any] = request.app.state.test_calls
    call_id = secrets.token_hex(8)
    task = asyncio.create_task(start_test_call(be, wanted), name=f"test-call-{call_id}")
    calls[call_id] = {"number": wanted, "task": task}
    while len(calls) > KEPT_TEST_CALLS:
        calls.pop(next(iter(calls)))
    return {"id": call_id, "number": wanted, "status": "running"}


@router.get("/test-calls/{call_id}", tags=["test calls"], summary="A test call's result")
async def get_test_call(request: Request, call_id: str, _: Reader) -> dict[str, Any]:
    calls: dict[str, Any] = request.app.state.test_calls
    entry = calls.get(call_id)
    if entry is None:
        raise HTTPException(404, f"No test call {call_id!r} (results are kept for the last 100).")
    task: asyncio.Task[TestCallResult] = entry["task"]
    if not task.done():
        return {"id": call_id, "number": entry["number"], "status": "running"}
    if task.cancelled() or task.exception() is not None:
        error = "cancelled" if task.cancelled() else str(task.exception())
        return {"id": call_id, "number": entry["number"], "status": "failed", "error": error}
    return {"id": call_id, "status": "done", **result_json(task.result())}
