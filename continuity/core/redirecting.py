"""The redirecting identity of a continuity leg: which number was called, why the
call moved, and the caller ID the far end is shown. Pure: no I/O.

Every leg to a continuity destination names the tracking number as the
redirecting-from number (Asterisk sends it as Diversion, RFC 5806, or
History-Info, RFC 7044). The reason follows why the call moved: continuity
mode, an outage or failover test mode move it before the primary is tried
(``unconditional``); after the primary failed it is ``no-answer`` when the
primary rang out (Q.850 19) and ``unavailable`` for any other failure.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from continuity.core.causes import NO_ANSWER_CAUSE
from continuity.core.model import (
    AccountSettings,
    CallerIdPolicy,
    Destination,
    DestinationKind,
    Line,
)

#: Longest caller-name prefix kept (a handset shows 15-20 characters of a name).
NAME_PREFIX_MAX = 24
#: Stands for the line's name in a caller-name prefix.
LINE_NAME = "{line}"
#: What a caller-name prefix may hold: letters, digits, spaces and . ' & + / # @ ! : -
#: Quotes, backslashes, control characters (CR, LF), ``<>``, ``,;^()[]{}$`` and the
#: like never pass, so no header and no dialplan argument can be broken out of.
_PREFIX_UNSAFE = re.compile(r"[^\w .'&+/#@!:-]")


class RedirectReason(enum.StrEnum):
    """REDIRECTING(reason) values; Asterisk sends them as they are in Diversion."""

    UNCONDITIONAL = "unconditional"
    UNAVAILABLE = "unavailable"
    NO_ANSWER = "no-answer"


def reason_after(cause: int | None) -> RedirectReason:
    """Why the call moved on after the step before failed with Q.850 ``cause``."""
    return RedirectReason.NO_ANSWER if cause == NO_ANSWER_CAUSE else RedirectReason.UNAVAILABLE


def clean_name_prefix(text: str) -> str:
    """``text`` as display text: unsafe characters dropped, spaces collapsed, cut short."""
    cleaned = " ".join(_PREFIX_UNSAFE.sub(" ", text).split())
    return cleaned[:NAME_PREFIX_MAX].rstrip()


def presented_name(prefix: str, caller_name: str) -> str:
    """The caller name a continuity leg presents: ``"<prefix> <caller's name>"``."""
    if not prefix:
        return caller_name
    return f"{prefix} {caller_name}" if caller_name else prefix


@dataclass(frozen=True, slots=True)
class Redirect:
    """What a continuity leg carries: the redirecting identity and the caller ID."""

    #: The redirecting-from number: the tracking number that was called.
    from_number: str
    #: Why the call moved, when known before the chain starts; ``None``: the step
    #: before failed, and :meth:`reason_for` its cause decides.
    reason: RedirectReason | None
    #: The redirecting-to number (the destination), when it is a number.
    to_number: str | None
    #: The caller number presented; ``None`` keeps the caller's own.
    caller_number: str | None
    #: Put before the caller's name (already clean); empty: the name is kept.
    name_prefix: str

    def reason_for(self, previous_cause: int | None) -> RedirectReason:
        return self.reason if self.reason is not None else reason_after(previous_cause)


def caller_id_policy(account: AccountSettings, line: Line | None) -> CallerIdPolicy:
    if line is not None and line.caller_id is not None:
        return line.caller_id
    return account.caller_id


def name_prefix(account: AccountSettings, line: Line | None) -> str:
    """The line's prefix, else the account's; ``{line}`` becomes the line's name."""
    prefix = account.caller_name_prefix
    if line is not None and line.caller_name_prefix is not None:
        prefix = line.caller_name_prefix
    return clean_name_prefix(prefix.replace(LINE_NAME, line.name if line else ""))


def redirect(
    tracking_number: str,
    dest: Destination,
    account: AccountSettings,
    line: Line | None,
    *,
    after_primary: bool,
) -> Redirect:
    """The redirecting identity of the leg to continuity destination ``dest``."""
    policy = caller_id_policy(account, line)
    return Redirect(
        from_number=tracking_number,
        reason=None if after_primary else RedirectReason.UNCONDITIONAL,
        to_number=dest.target if dest.kind is DestinationKind.EXTERNAL else None,
        caller_number=tracking_number if policy is CallerIdPolicy.TRACKING else None,
        name_prefix=name_prefix(account, line),
    )
