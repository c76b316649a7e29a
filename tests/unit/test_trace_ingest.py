"""Asterisk's call trace into the call records, for calls a run of the app takes over
just as they end, and for calls this run routes.

Issue 18's soak lost a record: a new run of the app listed a call bridged in
dialplan, its caller hung up, and the run adopted the call with the number it
dialed unread (the bridge context's extension, "0", stood in). The run owned the
call, so Asterisk's line of it was dropped. Now such a call is left to Asterisk's
trace. And no line of a call this run still routes is deleted before the call
has a record: the line waits in its file, the run then catches up with Asterisk,
and a call it still routes after that is recorded from the trace.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from continuity import names
from continuity.ari_app.client.errors import AriConnectionError
from continuity.ari_app.client.models import Channel
from continuity.ari_app.services import CallService
from continuity.ari_app.takeover import take_over_strays
from continuity.config import UnknownNumberPolicy
from continuity.core.call.events import CallerGone
from continuity.core.call_trace import LegLanding, destination_token
from continuity.core.model import (
    Destination,
    DestinationKind,
    Snapshot,
    TrackingNumber,
    TrunkHealth,
)
from continuity.core.records import CallRecord, RoutedBy
from continuity.router import Router
from continuity.trace_ingest import HELD_ROUNDS, CallTraceIngester
from tests.unit.test_executor import Asterisk

NUMBER = "+12125550101"
CALLER = "pbx-1796162074.165"
LEG = f"{CALLER}{names.ID_SEP}0"
PRIMARY = Destination(DestinationKind.PRIMARY, NUMBER)


def call_line(call_id: str = CALLER) -> str:
    """The caller's hangup handler's line for a call the app routed (empty path)."""
    fields = ["call", call_id, "%2B12125550101", "%2B15550000055", ""]
    fields += ["1796162074.5", "1796162084.8", "", "normal", "", "", "ANSWER", "16"]
    return "|".join(fields) + "\n"


def leg_line() -> str:
    return f"leg|{LEG}|{destination_token(PRIMARY).replace('%', '%25')}\n"


class Sink:
    def __init__(self) -> None:
        self.records: list[CallRecord] = []
        self.legs: list[LegLanding] = []

    async def insert_traced_records(self, records: list[CallRecord]) -> None:
        self.records += records

    async def apply_leg_landings(self, legs: list[LegLanding]) -> set[str]:
        self.legs += legs
        return {leg.call_id for leg in legs if leg.call_id in {r.call_id for r in self.records}}


class Run:
    """A run that routes ``CALLER`` and never learns of its end, even when asked; or
    one that does not route it (a new run), or that ended it."""

    def __init__(self, routes: bool = True, ended: bool = False) -> None:
        self.asked: list[list[str]] = []
        self._routes, self._ended = routes, ended

    def routes(self, call_id: str) -> bool:
        return self._routes and call_id == CALLER

    def ended(self, call_id: str) -> bool:
        return self._ended and call_id == CALLER

    async def ended_in_asterisk(self, call_ids: list[str]) -> None:
        self.asked.append(call_ids)

    async def traced(self, call_ids: list[str]) -> set[str]:
        return set()


def _trace(tmp_path: Path, text: str) -> Path:
    path = tmp_path / names.CALL_TRACE_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _service(
    asterisk: Asterisk,
    written: list[CallRecord],
    dialplan_label: Callable[[], str | None] | None = None,
) -> CallService:
    async def record(r: CallRecord) -> None:
        written.append(r)

    snapshot = Snapshot(numbers={NUMBER: TrackingNumber(NUMBER)}, version=1)
    return CallService(
        asterisk,
        Router.fixed(snapshot, TrunkHealth()),
        record,
        UnknownNumberPolicy("reject", "unallocated"),
        30,
        dialplan_label=dialplan_label,
    )


async def test_a_call_taken_over_as_it_ended_is_ended_by_catching_up_and_has_one_record(
    tmp_path: Path,
) -> None:
    asterisk, written, sink = Asterisk(), list[CallRecord](), Sink()
    service = _service(asterisk, written)
    # The new run takes the call over, bridged in dialplan; its leg's end never comes.
    await service.adopt(CALLER, NUMBER, "+15550000055", "", LEG, PRIMARY, True, True)
    assert f"subscribe {names.ARI_APP} channel:{LEG}" in asterisk.requests
    trace = _trace(tmp_path, call_line() + leg_line())
    ingester = CallTraceIngester(trace, sink, service, settle=0)

    for _ in range(HELD_ROUNDS - 1):
        await ingester.ingest()
        assert CALLER in service.calls and not written and not sink.records
        assert list(trace.parent.glob("*.ingest"))  # the caller's line is kept meanwhile
    asterisk.channels = []  # Asterisk has neither the caller nor the leg any more
    await ingester.ingest()

    assert "list_channels" in asterisk.requests
    assert CALLER not in service.calls
    assert [(r.call_id, r.path, r.answered_kind) for r in written] == [
        (CALLER, RoutedBy.TAKEN_OVER, "primary")
    ]
    assert sink.records == []  # the run's own record is the one
    assert not list(trace.parent.glob("*.ingest"))


async def test_a_stuck_call_is_recorded_from_the_trace_when_asterisk_cannot_be_asked(
    tmp_path: Path,
) -> None:
    asterisk = Asterisk({"list_channels": AriConnectionError("GET", "/channels", "refused")})
    sink, service = Sink(), _service(asterisk, [])
    await service.adopt(CALLER, NUMBER, "+15550000055", "", LEG, PRIMARY, True, True)
    ingester = CallTraceIngester(_trace(tmp_path, call_line() + leg_line()), sink, service)

    for _ in range(HELD_ROUNDS):
        await ingester.ingest()

    assert [r.call_id for r in sink.records] == [CALLER]
    assert sink.legs == [LegLanding(CALLER, PRIMARY)]


async def test_a_call_the_run_still_routes_after_catching_up_is_recorded_from_the_trace(
    tmp_path: Path,
) -> None:
    sink, run = Sink(), Run()
    trace = _trace(tmp_path, call_line() + call_line("pbx-1.9") + leg_line())
    ingester = CallTraceIngester(trace, sink, run, settle=0)

    await ingester.ingest()
    assert [r.call_id for r in sink.records] == ["pbx-1.9"]  # not the run's: at once
    for _ in range(HELD_ROUNDS - 1):
        await ingester.ingest()

    assert run.asked == [[CALLER]]
    assert [r.call_id for r in sink.records if r.call_id == CALLER] == [CALLER]
    assert LegLanding(CALLER, PRIMARY) in sink.legs  # and where it landed
    assert not list(trace.parent.glob("*.ingest"))


async def test_a_line_held_by_a_run_that_dies_is_recorded_by_the_next(tmp_path: Path) -> None:
    trace = _trace(tmp_path, call_line())
    await CallTraceIngester(trace, Sink(), Run(), settle=0).ingest()
    assert list(trace.parent.glob("*.ingest"))

    sink = Sink()
    await CallTraceIngester(trace, sink, Run(routes=False), settle=0).ingest()

    assert [(r.call_id, r.path) for r in sink.records] == [(CALLER, RoutedBy.INTERRUPTED)]


async def test_the_line_of_a_call_the_run_ended_is_dropped(tmp_path: Path) -> None:
    sink, run = Sink(), Run(routes=False, ended=True)
    trace = _trace(tmp_path, call_line() + leg_line())

    await CallTraceIngester(trace, sink, run, settle=0).ingest()

    assert sink.records == [] and sink.legs == [] and run.asked == []
    assert not list(trace.parent.glob("*.ingest"))


def _listed(channel_id: str, context: str, exten: str) -> Channel:
    return Channel(channel_id, "PJSIP/x", "Up", "+15550000055", "", "", "", context, exten, 1)


async def test_a_caller_who_hangs_up_as_a_new_run_takes_the_call_over_keeps_asterisks_record(
    tmp_path: Path,
) -> None:
    asterisk, written, sink = Asterisk(), list[CallRecord](), Sink()
    service = _service(asterisk, written)
    # The new run lists the caller bridged in dialplan with its answered leg; the caller
    # hangs up before the run reads the number it dialed.
    asterisk.channels = [_listed(CALLER, names.CTX_BRIDGE, "0"), _listed(LEG, "", "")]
    asterisk.variables[LEG, names.VAR_DESTINATION] = destination_token(PRIMARY)

    assert await take_over_strays(asterisk, service) == 0

    assert f"hangup {LEG}" in asterisk.requests and not service.owns(CALLER)
    await CallTraceIngester(_trace(tmp_path, call_line() + leg_line()), sink, service).ingest()
    assert [(r.call_id, r.tracking_number, r.path) for r in sink.records] == [
        (CALLER, NUMBER, RoutedBy.INTERRUPTED)
    ]
    assert sink.legs == [LegLanding(CALLER, PRIMARY)] and written == []


async def test_a_call_bridged_in_dialplan_is_taken_over_with_the_number_its_caller_dialed() -> None:
    asterisk, written = Asterisk(), list[CallRecord]()
    service = _service(asterisk, written)
    asterisk.channels = [_listed(CALLER, names.CTX_BRIDGE, "0"), _listed(LEG, "", "")]
    asterisk.variables[CALLER, names.VAR_TRACKING_NUMBER] = NUMBER

    assert await take_over_strays(asterisk, service) == 1

    assert service.calls[CALLER].dialed == NUMBER
    assert f"subscribe {names.ARI_APP} channel:{LEG}" in asterisk.requests


def dialplan_line(call_id: str = CALLER) -> str:
    """The line of a call the app sent to the generated dialplan, which dialed the primary."""
    landed = destination_token(PRIMARY).replace("%", "%25")
    fields = ["call", call_id, "%2B12125550101", "%2B15550000055", ""]
    fields += ["1796162074.5", "1796162084.8", "dialplan", "normal", "", landed, "ANSWER", "16"]
    return "|".join(fields) + "\n"


async def test_a_call_the_dialplan_dialed_is_recorded_and_counted_once_from_its_trace(
    tmp_path: Path,
) -> None:
    asterisk, written, sink = Asterisk(), list[CallRecord](), Sink()
    service = _service(asterisk, written, dialplan_label=lambda: "v1-primary-up")
    await service.caller_entered(CALLER, NUMBER, "+15550000055", "")
    assert asterisk.requests == [f"continue {CALLER} {names.CTX_TRACKING},{NUMBER},v1-primary-up"]
    await service.on_event(CALLER, CallerGone())  # its StasisEnd: the dialplan dials it
    assert CALLER in service.calls and written == []
    counted: list[CallRecord] = []
    ingester = CallTraceIngester(
        _trace(tmp_path, dialplan_line()), sink, service, settle=0, observe=counted.append
    )

    await ingester.ingest()

    assert [(r.call_id, r.path, r.answered_kind) for r in sink.records] == [
        (CALLER, RoutedBy.DIALPLAN, "primary")
    ]
    assert counted == sink.records  # metrics and the log line, from the trace
    assert CALLER not in service.calls and written == []  # no record of the app's


async def test_a_call_the_dialplan_dialed_whose_trace_never_comes_gets_the_apps_record() -> None:
    """The minute's check: the caller is gone from Asterisk and no trace line came."""
    asterisk, written = Asterisk(), list[CallRecord]()
    service = _service(asterisk, written, dialplan_label=lambda: "v1-primary-up")
    await service.caller_entered(CALLER, NUMBER, "+15550000055", "")
    await service.on_event(CALLER, CallerGone())
    asterisk.channels = []  # Asterisk restarted: the caller is gone, its trace never written

    sweep = asyncio.create_task(service.sweep_in_dialplan(every=0.05))
    try:
        async with asyncio.timeout(2):
            while not written:
                await asyncio.sleep(0.01)
    finally:
        sweep.cancel()

    assert [(r.call_id, r.path) for r in written] == [(CALLER, RoutedBy.DIALPLAN)]
    assert CALLER not in service.calls
