"""Render ``voicemail_continuity.conf``: one app_voicemail box per line."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from continuity import names
from continuity.core.model import Snapshot
from continuity.dialplan_templates.environment import constants, environment
from continuity.dialplan_templates.render import _safe

#: voicemail.conf splits a box on commas and ``|`` and reads ``;`` as a comment:
#: a display name keeps only what cannot be read as syntax.
_NAME_UNSAFE = re.compile(r"[^A-Za-z0-9 ._'()-]+")
_PIN = re.compile(r"[0-9]{4,12}\Z")


@dataclass(frozen=True, slots=True)
class Box:
    mailbox: str
    name: str
    #: The PIN VoiceMailMain asks for (digits only); never in a repr or a log.
    password: str = field(default="", repr=False)


def display_name(text: str, fallback: str) -> str:
    cleaned = " ".join(_NAME_UNSAFE.sub(" ", text).split())[:80]
    return cleaned or fallback


def _pin(line: str, pin: str) -> str:
    if not _PIN.match(pin):
        raise ValueError(f"the voicemail PIN of line {line!r} is not 4-12 digits")
    return pin


def boxes(snapshot: Snapshot, pins: Mapping[str, str]) -> list[Box]:
    return [
        Box(
            _safe("mailbox", line.mailbox),
            display_name(line.name, line.id),
            _pin(line.id, pins[line.id]) if line.id in pins else "",
        )
        for _, line in sorted(snapshot.lines.items())
    ]


def render_voicemail(snapshot: Snapshot, pins: Mapping[str, str] | None = None) -> str:
    """The boxes; ``pins`` (line id -> PIN) gives each its PIN (none: no PIN asked)."""
    template = environment().get_template("voicemail_continuity.conf.j2")
    return template.render(
        **constants(), version=snapshot.version, boxes=boxes(snapshot, pins or {})
    )


def voicemail_path(asterisk_config_dir: Path) -> Path:
    return asterisk_config_dir / names.GENERATED_DIR / names.GENERATED_VOICEMAIL
