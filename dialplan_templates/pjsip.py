"""Render ``pjsip_continuity.conf``: the trunks the product dials out on.

Imports only Jinja and the shared names, so the local stack and the pbx
image's build stage can render the same file before the product ever runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from continuity import names
from continuity.dialplan_templates.environment import constants, environment

#: A contact URI as one pjsip.conf value: ``;`` (URI parameters) is written as
#: ``\\;``; spaces, commas, quotes and newlines never pass.
_CONTACT = re.compile(r"sips?:[A-Za-z0-9._~+@:\[\]-]+(;[A-Za-z0-9._~=-]+)*\Z")
_OBJECT = re.compile(r"[A-Za-z0-9_.-]{1,64}\Z")
CODECS = "ulaw,alaw,gsm"
_SECTION = re.compile(r"\[([A-Za-z0-9_.-]{1,64})\]")
_KEY = re.compile(r"[a-z_]{1,40}")
_UNESCAPED_SEMICOLON = re.compile(r"(?<!\\);")


class UnsafeTrunk(ValueError):
    def __init__(self, what: str, value: str) -> None:
        super().__init__(
            f"refusing to write {what} {value!r} into pjsip_continuity.conf: "
            "give a SIP URI such as sip:trunk.example.com:5060 (set primary_trunk / pstn_trunk)"
        )


@dataclass(frozen=True, slots=True)
class Trunk:
    endpoint: str
    contact: str


@dataclass(frozen=True, slots=True)
class TrunkSettings:
    primary_contact: str
    pstn_contact: str
    qualify_frequency: int = 10
    qualify_timeout: float = 3.0
    transport: str = ""
    #: History-Info (RFC 7044) besides Diversion (RFC 5806) on continuity legs:
    #: the account's ``send_history_info`` (`continuity default --history-info`).
    send_history_info: bool = False


def _contact(what: str, uri: str) -> str:
    if not _CONTACT.match(uri):
        raise UnsafeTrunk(what, uri)
    return uri.replace(";", "\\;")


def render_pjsip(settings: TrunkSettings) -> str:
    if settings.transport and not _OBJECT.match(settings.transport):
        raise UnsafeTrunk("transport", settings.transport)
    trunks = [
        Trunk(names.ENDPOINT_PRIMARY, _contact("primary trunk", settings.primary_contact)),
        Trunk(names.ENDPOINT_PSTN, _contact("PSTN trunk", settings.pstn_contact)),
    ]
    return (
        environment()
        .get_template("pjsip_continuity.conf.j2")
        .render(
            **constants(),
            trunks=trunks,
            transport=settings.transport,
            qualify_frequency=max(0, int(settings.qualify_frequency)),
            qualify_timeout=float(settings.qualify_timeout),
            codecs=CODECS,
            send_history_info="yes" if settings.send_history_info else "no",
        )
    )


def expected_contacts(text: str) -> dict[str, set[tuple[object, ...]]]:
    """Read rendered text back: endpoint -> {(endpoint, contact URI)} of its AOR.

    Strict where Asterisk's parser could be fooled: ``;`` starts a comment
    unless escaped, ``;--`` would open a block comment, and only ``[section]``
    and ``key = value`` lines may appear.
    """
    sections: list[tuple[str, dict[str, str]]] = []
    for number, raw in enumerate(text.split("\n"), start=1):
        if not raw.isascii() or any(ord(c) < 0x20 for c in raw) or ";--" in raw:
            raise ValueError(f"pjsip line {number} {raw!r}: control characters or ;--")
        line = _UNESCAPED_SEMICOLON.split(raw, maxsplit=1)[0].replace("\\;", ";").strip()
        if not line:
            continue
        header = _SECTION.fullmatch(line)
        key, sep, value = line.partition("=")
        if header:
            sections.append((header.group(1), {}))
        elif sections and sep and _KEY.fullmatch(key.strip()):
            sections[-1][1][key.strip()] = value.strip()
        else:
            raise ValueError(f"pjsip line {number} {raw!r}: not [section] or key = value")
    return {
        name: {(name, options.get("contact", ""))}
        for name, options in sections
        if options.get("type") == "aor"
    }


def pjsip_path(asterisk_config_dir: Path) -> Path:
    return asterisk_config_dir / names.GENERATED_DIR / names.GENERATED_PJSIP
