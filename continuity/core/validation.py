"""Checks on admin changes against the current snapshot. Pure: they raise or return."""

from __future__ import annotations

import datetime as dt
import re

from continuity.core.model import (
    MAX_FORWARDING_NUMBERS,
    Destination,
    DestinationKind,
    Line,
    Snapshot,
)
from continuity.core.primary_numbers import check_not_hosted
from continuity.core.testmode import MAX_TEST_DURATION
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


def check_test_duration(
    on: bool, duration: dt.timedelta | None, now: dt.datetime
) -> dt.datetime | None:
    """A test's end time from its duration (``None``: until stopped); stops take none."""
    if duration is None:
        return None
    if not on:
        raise InvalidSetting("a duration (--for) goes with `test start`, not with `test stop`")
    if duration <= dt.timedelta(0) or duration > MAX_TEST_DURATION:
        raise InvalidSetting(
            f"a test lasts more than zero and at most {MAX_TEST_DURATION.days} days, not {duration}"
        )
    return now + duration


def check_not_primary_hosted(snapshot: Snapshot, owner: str, dest: Destination) -> None:
    """A PSTN destination the primary system hosts would ring into the outage."""
    if dest.kind is DestinationKind.EXTERNAL:
        check_not_hosted(snapshot, owner, dest.target)


def check_forwarding_not_primary_hosted(snapshot: Snapshot, line: Line, number: str) -> None:
    check_not_hosted(snapshot, f"user line {line.id} (forwarding number)", number)
