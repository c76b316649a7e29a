"""Test calls: a real call into our own tracking context, as a caller would make it.

The call enters the same dialplan the carrier's calls do, so the ARI app
routes it with the live state (outage, continuity mode, test mode). What
answered, and how fast, comes from the call record the app writes for it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import ClassVar, Protocol

from continuity.agi.ami_monitor import ORIGINATE_REASONS, OriginateResult
from continuity.core.outcome import Outcome
from continuity.core.records import CallRecord

log = logging.getLogger(__name__)

#: (number, channel id, caller id) -> how the originate ended
Originate = Callable[[str, str, str], Awaitable[OriginateResult]]
CALLER_NAME = "Continuity test"


class RecordSource(Protocol):
    async def recent(
        self, limit: int = 20, tracking_number: str | None = None
    ) -> list[CallRecord]: ...


@dataclass(frozen=True, slots=True)
class TestCallResult:
    __test__: ClassVar[bool] = False  # a product class, not a pytest test class

    number: str
    call_id: str
    #: Whether a destination took the call (a person, a voice agent, or a mailbox).
    answered: bool
    #: ``kind:target`` of what answered, e.g. ``external:+13125550150``.
    destination: str | None
    answered_kind: str | None
    #: Seconds from the call entering our Asterisk to the answer (or the handover).
    seconds: float | None
    #: Why the chain started where it did: normal, continuity, outage, test_mode…
    route: str | None
    outcome: str
    detail: str


def _since(start: dt.datetime, when: str) -> float | None:
    try:
        return (dt.datetime.fromisoformat(when) - start).total_seconds()
    except ValueError:
        return None


def summarize(number: str, call_id: str, record: CallRecord) -> TestCallResult:
    seconds = None
    if record.answered_at is not None:
        seconds = (record.answered_at - record.started_at).total_seconds()
    elif record.answered_kind is not None:
        handed = [a for a in record.attempts if a.result == Outcome.HANDED_OVER]
        seconds = _since(record.started_at, handed[-1].started_at) if handed else None
    reached = f"{record.answered_kind}:{record.answered_target}" if record.answered_kind else None
    tried = " > ".join(f"{a.kind}:{a.target}={a.result}" for a in record.attempts)
    return TestCallResult(
        number,
        call_id,
        record.answered_kind is not None,
        reached,
        record.answered_kind,
        seconds,
        record.reason,
        record.outcome,
        tried or record.outcome,
    )


class TestCaller:
    __test__: ClassVar[bool] = False  # a product class, not a pytest test class

    def __init__(
        self,
        originate: Originate,
        records: RecordSource,
        *,
        hold: float = 1.0,
        record_wait: float = 10.0,
    ) -> None:
        self._originate = originate
        self._records = records
        self._hold = hold
        self._record_wait = record_wait

    async def call(self, number: str) -> TestCallResult:
        call_id = f"testcall-{secrets.token_hex(6)}"
        caller_id = f'"{CALLER_NAME}" <{number}>'
        log.info("test call %s to %s", call_id, number)
        result = await self._originate(number, call_id, caller_id)
        record = await self._record(number, call_id)
        if record is not None:
            return summarize(number, call_id, record)
        why = ORIGINATE_REASONS.get(result.reason or 0, f"reason {result.reason}")
        return TestCallResult(
            number,
            call_id,
            False,
            None,
            None,
            None,
            None,
            "no record",
            f"the call {why}, and the app wrote no record of it:"
            " is `continuity serve` running and connected to Asterisk?",
        )

    async def _record(self, number: str, call_id: str) -> CallRecord | None:
        try:
            async with asyncio.timeout(self._hold + self._record_wait):
                while True:
                    for record in await self._records.recent(20, number):
                        if record.call_id == call_id:
                            return record
                    await asyncio.sleep(0.2)
        except TimeoutError:
            return None
