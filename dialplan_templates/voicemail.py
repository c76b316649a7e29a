"""Render ``voicemail_continuity.conf``: one app_voicemail box per line."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from continuity import names
from continuity.core.model import Snapshot
from dialplan_templates.environment import constants, environment
from dialplan_templates.render import _safe

#: voicemail.conf splits a box on commas and ``|`` and reads ``;`` as a comment:
#: a display name keeps only what cannot be read as syntax.
_NAME_UNSAFE = re.compile(r"[^A-Za-z0-9 ._'()-]+")


@dataclass(frozen=True, slots=True)
class Box:
    mailbox: str
    name: str
    #: Empty: VoiceMailMain asks for no password (reach it only from trusted dialplan).
    password: str = ""


def display_name(text: str, fallback: str) -> str:
    cleaned = " ".join(_NAME_UNSAFE.sub(" ", text).split())[:80]
    return cleaned or fallback


def boxes(snapshot: Snapshot) -> list[Box]:
    return [
        Box(_safe("mailbox", line.mailbox), display_name(line.name, line.id))
        for _, line in sorted(snapshot.lines.items())
    ]


def render_voicemail(snapshot: Snapshot) -> str:
    template = environment().get_template("voicemail_continuity.conf.j2")
    return template.render(**constants(), version=snapshot.version, boxes=boxes(snapshot))


def voicemail_path(asterisk_config_dir: Path) -> Path:
    return asterisk_config_dir / names.GENERATED_DIR / names.GENERATED_VOICEMAIL
