"""Issue 11: every call has exactly one record, even when the app is killed under load.

SIPp places 150 calls at 20 calls/s, each from its own caller number, while
``continuity serve`` is SIGKILLed 3 s in and started again 1.3 s later (as
its supervisor would). Calls are routed by the app, by the new run taking
over what the dead one left, or by the generated fallback dialplan while no
app is there. Every call gets exactly one record, saying which path routed it
and where it landed, and that is where the carrier saw it answered.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from pathlib import Path

import pytest

from continuity.admin import Admin
from continuity.core.model import ContinuitySettings, Line, LineKind, TrackingNumber
from continuity.core.records import CallRecord, RoutedBy
from continuity.db.pool import Pool
from continuity.db.records import CallRecordStore
from continuity.db.store import Store
from localstack import LocalStack
from localstack.ports import LOOPBACK
from localstack.product import product_config
from localstack.sipp import SippCall, place_calls
from tests.dialplan.serving import Serving, until_no_channel_left
from tests.scenario import external

NUMBER = "+12125550401"
SERVICE = "+13125550180"
LINE = "loaded"
CALLS = 150
RATE = 20.0
KILL_AFTER = 3.0
RESTART_DELAY = 1.3
#: Short enough that the pbx's RTP ports (200, two per leg side) hold every concurrent call.
HOLD_MS = 1500
CALLER_PREFIX = "+1555010"

#: What a record says it reached, by the carrier's role and number that answered.
REACHED = {("primary", NUMBER): ("primary", NUMBER), ("pstn", SERVICE): ("external", SERVICE)}


@pytest.fixture(scope="module")
async def state(own_db: str) -> str:
    async with Pool(own_db, open=False, min_size=1, max_size=1) as pool:
        admin = Admin(Store(pool), "test")
        await admin.add_line(Line(LINE, LineKind.DEPARTMENT))
        service = ContinuitySettings(destination=external(SERVICE))
        await admin.add_number(TrackingNumber(NUMBER, line=LINE, continuity=service))
    return own_db


async def records_of(url: str, callers: set[str]) -> list[CallRecord]:
    async with Pool(url, open=False, min_size=1, max_size=1) as pool:
        found = await CallRecordStore(pool).recent(10 * CALLS, NUMBER)
    return [r for r in found if r.caller_number in callers]


def answered(stack: LocalStack) -> dict[str, tuple[str, str]]:
    """Where each caller was answered, as the carrier saw it."""
    return {
        o.caller_id_number: REACHED[(o.role, o.number)]
        for o in stack.carrier_observations()
        if o.outcome == "answer" and o.caller_id_number.startswith(CALLER_PREFIX)
    }


def wrong_records(records: list[CallRecord], truth: dict[str, tuple[str, str]]) -> list[str]:
    """Each caller without exactly one record saying where the carrier answered it."""
    mine = Counter(r.caller_number for r in records)
    wrong = [f"{caller}: {mine[caller]} records" for caller in truth if mine[caller] != 1]
    wrong += [
        f"{r.caller_number}: {r.path} {r.outcome} {r.answered_kind}/{r.answered_target},"
        f" answered by {truth.get(r.caller_number)}"
        for r in records
        if (r.answered_kind, r.answered_target) != truth.get(r.caller_number)
    ]
    return wrong


async def test_150_calls_across_a_kill_and_restart_have_one_record_each_saying_where_they_went(
    own_stack: LocalStack, state: str, tmp_path: Path
) -> None:
    stack = own_stack
    await stack.reset()
    serving = Serving(
        stack, product_config(stack, state, tmp_path / "state"), tmp_path / "serve.log", NUMBER
    )
    await serving.start()
    calls = [SippCall(f"{CALLER_PREFIX}{i:04d}", NUMBER) for i in range(CALLS)]
    callers = {c.caller for c in calls}
    pbx = f"{LOOPBACK}:{stack.pbx.sip_port}"
    try:
        sipp = asyncio.create_task(
            place_calls(calls, pbx, tmp_path / "sipp", rate=RATE, hold_ms=HOLD_MS)
        )
        await asyncio.sleep(KILL_AFTER)
        await serving.kill()
        await asyncio.sleep(RESTART_DELAY)
        await serving.start(wait=False)
        result = await sipp
        assert (result.placed, result.succeeded, result.failed) == (CALLS, CALLS, 0), result.screen
        await serving.until(serving.ready, "running")
        await until_no_channel_left(stack)

        # Records written late (the last trace round, an interrupted call's landing once
        # the new run released its other side) settle within a few rounds.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(20):
                while wrong_records(found := await records_of(state, callers), answered(stack)):
                    await asyncio.sleep(0.2)
    finally:
        await serving.stop()

    assert Counter(r.caller_number for r in found) == Counter(callers)  # exactly one each
    assert wrong_records(found, answered(stack)) == []
    paths = Counter(r.path for r in found)
    # The kill mattered: calls were routed by the app, and by the fallback while it was away.
    assert paths[RoutedBy.APP] > 0 and paths[RoutedBy.FALLBACK] > 0, paths
    # Calls that ended while no app was there (their record comes from Asterisk's trace)
    # are "interrupted"; none was handed over (no overload).
    assert RoutedBy.HANDED_TO_FALLBACK not in paths, paths
