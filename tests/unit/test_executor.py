"""How the ARI adapter carries out a step's commands, and turns ARI's errors into
core events. ``Asterisk`` records each request and fails those it is told to."""

from __future__ import annotations

from collections.abc import Mapping

from continuity.ari_app.client.errors import AriBadRequest, AriError, AriNotFound, AriServerError
from continuity.ari_app.client.models import Bridge as AriBridge
from continuity.ari_app.executor import Executor
from continuity.core.call.commands import (
    Answer,
    Bridge,
    Command,
    ContinueInDialplan,
    DestroyBridge,
    HangUp,
    Originate,
    Record,
)
from continuity.core.call.events import CommandFailed, Failure
from continuity.core.outcome import Outcome
from continuity.core.records import CallRecord
from tests.unit.call_machine_helpers import PRIMARY, T0


class Asterisk:
    def __init__(self, fail: Mapping[str, AriError] | None = None) -> None:
        self.fail = dict(fail or {})
        self.requests: list[str] = []

    async def _req(self, name: str) -> None:
        self.requests.append(name)
        if name in self.fail:
            raise self.fail[name]

    async def originate(self, endpoint: str, **_: object) -> object:
        await self._req("originate")
        return None

    async def answer(self, channel_id: str) -> None:
        await self._req("answer")

    async def ring(self, channel_id: str) -> None:
        await self._req("ring")

    async def hangup(self, channel_id: str, reason: str | None = None) -> None:
        await self._req(f"hangup {channel_id}")

    async def play(self, channel_id: str, media: str, playback_id: str | None = None) -> object:
        await self._req("play")
        return None

    async def continue_in_dialplan(
        self, channel_id: str, context: str, extension: str, priority: int
    ) -> None:
        await self._req("continue")

    async def create_bridge(
        self, bridge_type: str = "mixing", bridge_id: str | None = None
    ) -> object:
        await self._req("create_bridge")
        return None

    async def add_to_bridge(self, bridge_id: str, channel_ids: list[str]) -> None:
        await self._req("add_to_bridge")

    async def destroy_bridge(self, bridge_id: str) -> None:
        await self._req("destroy_bridge")

    async def list_bridges(self) -> list[AriBridge]:
        return []


def _err(kind: type[AriError], status: int) -> AriError:
    return kind(status, "POST", "/x", "Channel not found")


RECORD = CallRecord("C", "+1", "+2", "", "normal", Outcome.ANSWERED, T0, T0)


def _records() -> tuple[Executor, Asterisk, list[CallRecord]]:
    written: list[CallRecord] = []

    async def record(r: CallRecord) -> None:
        written.append(r)

    asterisk = Asterisk()
    return Executor(asterisk, record), asterisk, written


async def test_a_side_that_left_while_bridging_comes_back_as_a_gone_failure() -> None:
    executor, asterisk, _ = _records()
    asterisk.fail["add_to_bridge"] = _err(AriBadRequest, 400)
    bridge = Bridge("C~bridge", ("C", "C~0"))

    failed = await executor.run([Answer("C"), bridge, HangUp("C")])

    assert failed == CommandFailed(bridge, Failure.GONE, str(asterisk.fail["add_to_bridge"]))
    assert asterisk.requests == ["answer", "create_bridge", "add_to_bridge"]  # stopped there


async def test_a_refused_hand_off_comes_back_as_refused() -> None:
    executor, asterisk, _ = _records()
    asterisk.fail["continue"] = _err(AriServerError, 500)
    handoff = ContinueInDialplan("C", "continuity-fallback", "+1")
    failed = await executor.run([handoff])
    assert failed is not None and failed.failure is Failure.REFUSED


async def test_hang_ups_of_channels_already_gone_never_stop_the_record() -> None:
    executor, asterisk, written = _records()
    asterisk.fail["hangup C~0"] = _err(AriNotFound, 404)
    asterisk.fail["hangup C"] = _err(AriServerError, 500)
    asterisk.fail["destroy_bridge"] = _err(AriNotFound, 404)

    commands: list[Command] = [
        HangUp("C~0"),
        HangUp("C"),
        DestroyBridge("C~bridge"),
        Record(RECORD),
    ]
    assert await executor.run(commands) is None
    assert written == [RECORD]


async def test_each_originate_round_trip_feeds_the_lag() -> None:
    executor, asterisk, _ = _records()
    dial = Originate("C~0", "C", PRIMARY, "PJSIP/+1@continuity-primary", 20)
    assert await executor.run([dial]) is None
    assert asterisk.requests == ["originate"]
    assert executor.lag.at is not None
