"""Every outcome a call record or one of its attempts can state: one enum.

A record's ``outcome`` and each attempt's ``result`` are written, counted (metrics),
shown (web, CLI), parsed back (call trace) and stored (PostgreSQL) as these strings.
They are a :class:`enum.StrEnum`, so a member equals its string wherever it is read.
"""

from __future__ import annotations

import enum


class Outcome(enum.StrEnum):
    # -- how a call ended ------------------------------------------------------
    #: A destination answered (or the call was handed to its voicemail box).
    ANSWERED = "answered"
    #: Every destination failed.
    FAILED = "failed"
    #: The caller hung up before anyone answered.
    CALLER_HANGUP = "caller_hangup"
    #: A number we do not route: announced or rejected.
    UNKNOWN_NUMBER = "unknown_number"
    #: Sent to the generated fallback dialplan (the app was behind).
    HANDED_TO_FALLBACK = "handed_to_fallback"
    # -- how an attempt ended (also a call's outcome, when it ended the call) ---
    #: The attempt under way when the call ended otherwise (the caller left).
    CANCELLED = "cancelled"
    #: Sent on to dialplan (the line's voicemail box).
    HANDED_OVER = "handed_over"
    #: The run of the app dialing it died; another took the call over.
    INTERRUPTED = "interrupted"
    UNALLOCATED = "unallocated"
    UNAVAILABLE = "unavailable"
    HANGUP = "hangup"
    BUSY = "busy"
    NOANSWER = "noanswer"
    REJECTED = "rejected"
    CONGESTION = "congestion"
    TIMEOUT = "timeout"
    #: A Dial() that was cancelled (the fallback dialplan's DIALSTATUS CANCEL).
    CANCEL = "cancel"
    CHANUNAVAIL = "chanunavail"
    DONTCALL = "dontcall"
    TORTURE = "torture"
    INVALIDARGS = "invalidargs"

    @classmethod
    def parse(cls, text: str) -> Outcome:
        """A stored or traced string; anything unknown reads as ``failed``."""
        try:
            return cls(text)
        except ValueError:
            return cls.FAILED
