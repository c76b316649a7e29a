"""The ARI adapter's bridge deadline: a caller sent on to its ``Bridge()`` that never
takes the leg is ended once the deadline passes, and a call that was bridged is
left alone (its deadline is cancelled, so no timer wakes the app for it)."""

from __future__ import annotations

import asyncio

from continuity import names
from continuity.ari_app.services import CallService
from continuity.config import UnknownNumberPolicy
from continuity.core.call.events import LegAnswered, LegBridged
from continuity.core.model import Snapshot, TrackingNumber, TrunkHealth
from continuity.core.records import CallRecord
from continuity.router import Router
from tests.unit.test_executor import Asterisk

NUMBER = "+12125550100"
CALLER = "pbx-1.1"
DEADLINE = 0.2


def _service() -> tuple[CallService, Asterisk, list[CallRecord]]:
    asterisk, written = Asterisk(), []

    async def record(r: CallRecord) -> None:
        written.append(r)

    snapshot = Snapshot(numbers={NUMBER: TrackingNumber(NUMBER)}, version=1)
    service = CallService(
        asterisk,
        Router.fixed(snapshot, TrunkHealth()),
        record,
        UnknownNumberPolicy("reject", "unallocated"),
        30,
        bridge_timeout=DEADLINE,
    )
    return service, asterisk, written


async def _answered(service: CallService, asterisk: Asterisk) -> str:
    await service.caller_entered(CALLER, NUMBER, "+15551230001", "")
    assert "originate" in asterisk.requests
    leg = f"{CALLER}{names.ID_SEP}0"
    await service.on_event(leg, LegAnswered(leg))
    assert any(r.startswith(f"continue {CALLER}") for r in asterisk.requests)
    return leg


async def test_a_caller_that_never_reaches_its_bridge_is_ended_at_the_deadline() -> None:
    service, asterisk, written = _service()
    leg = await _answered(service, asterisk)

    await asyncio.sleep(DEADLINE + 0.2)

    assert f"hangup {leg}" in asterisk.requests  # the leg is not left up
    assert CALLER not in service.calls
    assert [r.call_id for r in written] == [CALLER]  # exactly one record


async def test_a_bridged_call_is_left_alone_after_the_deadline() -> None:
    service, asterisk, written = _service()
    leg = await _answered(service, asterisk)
    await service.on_event(leg, LegBridged(leg))
    requests = list(asterisk.requests)

    await asyncio.sleep(DEADLINE + 0.2)

    assert asterisk.requests == requests  # nothing hung up
    assert CALLER in service.calls and not written  # still up, recorded at its end
