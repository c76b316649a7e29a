"""Checks on admin changes against the current snapshot. Pure: they raise or return."""

from __future__ import annotations

import re

from continuity.core.model import (
    MAX_FORWARDING_NUMBERS,
    Destination,
    DestinationKind,
    Line,
    Snapshot,
)
from continuity.core.redirecting import LINE_NAME, NAME_PREFIX_MAX, clean_name_prefix
from continuity.errors import FailoverLoop, InvalidSetting

_LINE_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,39}\Z")
#: A PJSIP endpoint name, or endpoint/sip:uri. Nothing dialplan could read as syntax.
_SIP_TARGET = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}(/sips?:[A-Za-z0-9+_.@:;=-]{1,200})?\Z")


def check_line_id(line_id: str) -> str:
    if not _LINE_ID.match(line_id):
        raise InvalidSetting(
            f"line id {line_id!r} must be 1-40 lower-case letters, digits or dashes, "
            "starting with a letter or digit (it also names the line's mailbox)"
        )
    return line_id


def check_sip_target(target: str) -> str:
    if not _SIP_TARGET.match(target):
        raise InvalidSetting(
            f"SIP target {target!r} must be a PJSIP endpoint name (letters, digits, . _ -), "
            "optionally followed by /sip:user@host"
        )
    return target


def check_not_ours(snapshot: Snapshot, owner: str, number: str) -> None:
    """A failover number that is one of our tracking numbers would loop back in."""
    if number in snapshot.numbers:
        raise FailoverLoop(owner, number)


def check_destination(snapshot: Snapshot, owner: str, dest: Destination) -> None:
    if dest.kind is DestinationKind.EXTERNAL:
        check_not_ours(snapshot, owner, dest.target)
    elif dest.kind is DestinationKind.VOICE_AGENT:
        if snapshot.account.voice_agent is None:
            raise InvalidSetting(
                "no voice agent is configured, so it cannot be a destination. Configure one "
                "first: `continuity default --voice-agent-endpoint ENDPOINT`"
            )
    elif dest.kind is DestinationKind.SIP:
        check_sip_target(dest.target)
    elif dest.kind is DestinationKind.VOICEMAIL and dest.target not in snapshot.lines:
        raise InvalidSetting(
            f"voicemail box {dest.target!r} does not exist: every line has a box named "
            "after its id (`continuity line list`)"
        )


def check_new_forwarding(snapshot: Snapshot, line: Line, number: str) -> None:
    if any(f.number == number for f in line.forwarding):
        raise InvalidSetting(f"{number} is already a forwarding number of line {line.id!r}")
    if len(line.forwarding) >= MAX_FORWARDING_NUMBERS:
        raise InvalidSetting(
            f"line {line.id!r} already keeps {MAX_FORWARDING_NUMBERS} forwarding numbers; "
            "remove one first (`continuity line forward remove`)"
        )
    check_not_ours(snapshot, f"line {line.id}", number)


def check_name_prefix(prefix: str) -> str:
    """A caller-name prefix as typed: display text only, and short; ``{line}`` stands
    for the line's name (which routing cleans the same way when it is used)."""
    bare = prefix.replace(LINE_NAME, "")
    bad = sorted({c for c in bare if c != " " and not clean_name_prefix(c)})
    if bad:
        shown = ", ".join(repr(c) for c in bad)
        raise InvalidSetting(
            f"caller-name prefix {prefix!r} holds {shown}: a prefix reaches the far end's "
            "screen in a SIP header, so use letters, digits, spaces and . ' & + / # @ ! : - "
            f"only ({LINE_NAME} stands for the line's name)"
        )
    if len(" ".join(bare.split())) > NAME_PREFIX_MAX:
        raise InvalidSetting(
            f"caller-name prefix {prefix!r} is longer than {NAME_PREFIX_MAX} characters; "
            "handsets show only the start of a name, so shorten it"
        )
    return " ".join(prefix.split())
