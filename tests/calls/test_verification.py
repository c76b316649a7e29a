"""Verifying a user's forwarding number by a real call: the carrier answers as the owner
would and keys a code. Only the right code verifies; the rest say why."""

from __future__ import annotations

import functools

import pytest

from continuity.agi.verify_call import verification_call
from continuity.compose_parts import ami_credentials
from continuity.core.model import LineKind
from continuity.core.verification import CallReport, VerifyOutcome
from continuity.db.verification import VerificationLog
from continuity.verification import ForwardingVerifier
from tests.scenario import Scenario

CELL = "+13125550161"
CODE = "482913"


def verifier(s: Scenario, ring_timeout: float = 10.0) -> ForwardingVerifier:
    call = functools.partial(
        verification_call, ami_credentials(s.app.config), ring_timeout=ring_timeout
    )

    async def place(dial: str, call_id: str, code: str) -> CallReport:
        return await call(dial=dial, call_id=call_id, code=code)

    return ForwardingVerifier(
        s.admin,
        place,
        VerificationLog(s.store.pool),
        "cli:test",
        code=lambda: CODE,
    )


@pytest.mark.parametrize(
    ("carrier", "outcome"),
    [
        (f"dtmf:{CODE}#", VerifyOutcome.VERIFIED),
        ("dtmf:111111#", VerifyOutcome.WRONG_CODE),
        ("hangup-after:0.5", VerifyOutcome.HUNG_UP),
        ("reject:486", VerifyOutcome.BUSY),
        ("noanswer", VerifyOutcome.NO_ANSWER),
    ],
)
async def test_the_owner_answers_and_keys_the_code_and_only_the_right_code_verifies(
    scenario: Scenario, carrier: str, outcome: VerifyOutcome
) -> None:
    s = scenario
    await s.line("jdoe", LineKind.USER, forwarding=((CELL, False),))
    await s.stack.set_behavior(CELL, carrier)
    shown: list[str] = []

    result = await verifier(s, ring_timeout=3.0).verify("jdoe", CELL, shown.append)

    assert shown == [CODE]  # the admin saw the code before the phone rang
    assert result.outcome is outcome
    seen = await s.reached(CELL)
    assert seen.role == "pstn"  # a real call over the PSTN trunk
    [forwarding] = (await s.store.load_snapshot()).lines["jdoe"].forwarding
    [entry] = [e for e in await s.store.audit_entries(10) if e.action.startswith("forwarding.v")]
    if outcome is VerifyOutcome.VERIFIED:
        assert forwarding.verified_at is not None
        assert (entry.action, entry.new_value["by"]) == ("forwarding.verify", "call")
    else:
        assert forwarding.verified_at is None
        assert entry.action == "forwarding.verify-failed"
        assert entry.new_value["outcome"] == outcome.value
        assert entry.new_value["reason"] == result.reason
