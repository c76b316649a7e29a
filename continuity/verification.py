"""Verifying a forwarding number by a real call: the code, the call, the verdict, the record.

The admin is shown a code; the number is called over the PSTN trunk and its
owner keys the code. Only the right code marks it verified (audited as
``forwarding.verify`` by call); anything else leaves it unverified and writes
``forwarding.verify-failed`` with the reason.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from continuity.admin import Admin
from continuity.core.dialstrings import dial_string
from continuity.core.model import Destination, DestinationKind
from continuity.core.verification import CODE_DIGITS, CallReport, VerifyOutcome, judge, reason

log = logging.getLogger(__name__)

#: (Dial() resource, call id, code) -> what the call did
PlaceCall = Callable[[str, str, str], Awaitable[CallReport]]


class FailureLog(Protocol):
    async def failed(
        self, actor: str, line: str, number: str, outcome: str, reason: str, call_id: str
    ) -> None: ...


def new_code() -> str:
    return "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))


@dataclass(frozen=True, slots=True)
class Verification:
    outcome: VerifyOutcome
    reason: str
    call_id: str

    @property
    def verified(self) -> bool:
        return self.outcome is VerifyOutcome.VERIFIED


class ForwardingVerifier:
    def __init__(
        self,
        admin: Admin,
        place_call: PlaceCall,
        failures: FailureLog,
        actor: str,
        *,
        code: Callable[[], str] = new_code,
    ) -> None:
        self._admin = admin
        self._place_call = place_call
        self._failures = failures
        self._actor = actor
        self._code = code

    async def verify(
        self, line_id: str, number: str, show_code: Callable[[str], None]
    ) -> Verification:
        """Call ``number``; ``show_code`` gets the code before the phone rings."""
        await self._admin.forwarding_of(line_id, number)  # refused before any call
        code = self._code()
        call_id = f"verify-{secrets.token_hex(6)}"
        show_code(code)
        dial = dial_string(Destination(DestinationKind.EXTERNAL, number))
        log.info("verification call %s to %s for line %s", call_id, number, line_id)
        outcome = judge(await self._place_call(dial, call_id, code), code)
        why = reason(outcome)
        if outcome is VerifyOutcome.VERIFIED:
            await self._admin.verify_forwarding(
                line_id, number, detail={"by": "call", "call": call_id}
            )
        else:
            await self._failures.failed(self._actor, line_id, number, outcome.value, why, call_id)
        return Verification(outcome, why, call_id)
