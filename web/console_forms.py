"""What console forms send, as domain values."""

from __future__ import annotations

from fastapi import Request
from starlette.datastructures import FormData

from continuity.admin import KEEP, Keep
from continuity.core.model import (
    Destination,
    Snapshot,
)
from continuity.web import inputs

PAGE_SIZE = 50


def field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def page_number(request: Request) -> int:
    text = request.query_params.get("page", "1")
    return max(1, min(int(text), 100_000)) if text.isdigit() else 1


def form_destination(
    form: FormData, snapshot: Snapshot, region: str, *, allow_inherit: bool
) -> Destination | Keep | None:
    """The destination radios: external + number, voice agent, voicemail + box, or none."""
    kind = field(form, "destination.kind")
    if kind in ("", "keep"):
        return KEEP
    if kind == "inherit" and allow_inherit:
        return None
    target = {"external": "external", "voicemail": "voicemail", "sip": "sip"}.get(kind)
    value = field(form, target) if target else ""
    return inputs.destination("destination", kind, value, snapshot, region)
