"""Render the Asterisk files the product owns, and write them atomically."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import jinja2

from continuity import names
from continuity.config import REJECT_REASONS, UnknownNumberPolicy
from continuity.core.dialstrings import dial_string
from continuity.core.model import DestinationKind, Snapshot
from continuity.core.routing import plan_route

#: Every value written into dialplan must match this: no separators, no ``${``,
#: no newlines, nothing Asterisk's config parser or expression engine reads.
_SAFE = re.compile(r"[A-Za-z0-9+@:._/-]+\Z")


class UnsafeValue(ValueError):
    def __init__(self, what: str, value: str) -> None:
        super().__init__(
            f"refusing to write {what} {value!r} into dialplan: "
            "only letters, digits and + @ : . _ / - are allowed"
        )


def _safe(what: str, value: str) -> str:
    if not _SAFE.match(value):
        raise UnsafeValue(what, value)
    return value


@dataclass(frozen=True, slots=True)
class FallbackRoute:
    number: str
    reason: str
    #: (dial string, ring timeout) per dialed step, in order.
    dials: tuple[tuple[str, int], ...]
    #: The line's mailbox, if the chain ends in voicemail.
    mailbox: str | None


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("dialplan_templates", ""),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,  # noqa: S701 - dialplan, not HTML; values are validated by _safe
    )


def _constants() -> dict[str, str]:
    return {k: v for k, v in vars(names).items() if k.isupper() and isinstance(v, str)}


def fallback_routes(snapshot: Snapshot, dial_timeout: int) -> list[FallbackRoute]:
    routes = []
    for number in sorted(snapshot.numbers):
        plan = plan_route(snapshot, number)
        dials: list[tuple[str, int]] = []
        mailbox = None
        for step in plan.steps:
            if step.destination.kind is DestinationKind.VOICEMAIL:
                mailbox = _safe("mailbox", step.destination.target)
                break
            dials.append(
                (
                    _safe("destination", dial_string(step.destination)),
                    int(step.timeout or dial_timeout),
                )
            )
        routes.append(
            FallbackRoute(
                _safe("tracking number", number), plan.reason.value, tuple(dials), mailbox
            )
        )
    return routes


def render_extensions(snapshot: Snapshot, unknown: UnknownNumberPolicy, dial_timeout: int) -> str:
    template = _environment().get_template("extensions_continuity.conf.j2")
    return template.render(
        **_constants(),
        version=snapshot.version,
        routes=fallback_routes(snapshot, dial_timeout),
        unknown=unknown,
        mailboxes=[_safe("mailbox", line.mailbox) for _, line in sorted(snapshot.lines.items())],
        unknown_cause=REJECT_REASONS.get(unknown.value, 1),
        dial_timeout=int(dial_timeout),
    )


def extensions_path(asterisk_config_dir: Path) -> Path:
    return asterisk_config_dir / names.GENERATED_DIR / names.GENERATED_EXTENSIONS
