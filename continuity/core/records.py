"""What happened to one call, as written to the call log."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from dataclasses import asdict, field
from typing import Any

from continuity.core.outcome import Outcome
from continuity.core.value import value


class RoutedBy(enum.StrEnum):
    """Which path routed a call; every record says one."""

    #: The ARI app, from start to end.
    APP = "app"
    #: A run of the app that started after the call did (the one routing it died, or
    #: lost Asterisk) took the call over and routed it to its end.
    TAKEN_OVER = "taken_over"
    #: The generated fallback dialplan: the app was down (Stasis() failed).
    FALLBACK = "fallback"
    #: The generated fallback dialplan, to which the app handed the call (overload).
    HANDED_TO_FALLBACK = "handed_to_fallback"
    #: The app planned it and the generated dialplan dialed the plan (``dialing =
    #: dialplan``: the file was of the app's routing state). Asterisk's trace says where
    #: it landed.
    DIALPLAN = "dialplan"
    #: The app started routing it and died; the call ended before a run took it over.
    #: Asterisk's trace of the call is all there is: where it landed, if anywhere.
    INTERRUPTED = "interrupted"


@value
class Attempt:
    """One destination tried for a call, and how it ended."""

    kind: str
    target: str
    #: ``answered``, or the failure: ``busy``, ``congestion``, ``noanswer``, ``failed``…
    result: Outcome
    cause: int | None = None
    started_at: str = ""
    ended_at: str = ""
    #: The final SIP response that ended the attempt, when the far end sent one.
    sip_code: int | None = None


@value
class CallRecord:
    call_id: str
    tracking_number: str
    caller_number: str
    caller_name: str
    reason: str
    outcome: Outcome
    started_at: dt.datetime
    ended_at: dt.datetime
    answered_at: dt.datetime | None = None
    answered_kind: str | None = None
    answered_target: str | None = None
    attempts: tuple[Attempt, ...] = field(default_factory=tuple)
    line: str | None = None
    path: RoutedBy = RoutedBy.APP

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("started_at", "ended_at", "answered_at"):
            value = data[key]
            data[key] = value.isoformat() if value is not None else None
        data["attempts"] = [asdict(a) for a in self.attempts]
        data["path"] = self.path.value
        return data

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> CallRecord:
        """From a database row, whose times are already datetimes."""
        data = dict(row)
        data["line"] = data.pop("line_id", None)
        return cls.from_json(data)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CallRecord:
        def when(key: str) -> dt.datetime | None:
            value = data.get(key)
            if isinstance(value, dt.datetime):
                return value
            return dt.datetime.fromisoformat(value) if value else None

        started, ended = when("started_at"), when("ended_at")
        if started is None or ended is None:
            raise ValueError(f"call record {data.get('call_id')!r} lacks its start or end time")
        return cls(
            call_id=data["call_id"],
            tracking_number=data["tracking_number"],
            caller_number=data["caller_number"],
            caller_name=data["caller_name"],
            reason=data["reason"],
            outcome=Outcome.parse(data["outcome"]),
            started_at=started,
            ended_at=ended,
            answered_at=when("answered_at"),
            answered_kind=data.get("answered_kind"),
            answered_target=data.get("answered_target"),
            attempts=tuple(
                Attempt(**{**a, "result": Outcome.parse(a["result"])})
                for a in data.get("attempts", [])
            ),
            line=data.get("line"),
            path=RoutedBy(data.get("path") or RoutedBy.APP),
        )
