"""How the ARI adapter carries out a step's commands, and turns ARI's errors into
core events. ``Asterisk`` records each request and fails those it is told to."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from continuity import names
from continuity.ari_app.bridges import BridgePool
from continuity.ari_app.client.errors import (
    AriBadRequest,
    AriError,
    AriNotFound,
    AriServerError,
    AriUnprocessable,
)
from continuity.ari_app.client.models import Bridge as AriBridge
from continuity.ari_app.client.models import Channel as AriChannel
from continuity.ari_app.executor import Executor
from continuity.core.call.commands import (
    Answer,
    Bridge,
    Command,
    ContinueInDialplan,
    HangUp,
    Originate,
    Record,
    ReleaseBridge,
    Watch,
)
from continuity.core.call.events import CommandFailed, Failure
from continuity.core.outcome import Outcome
from continuity.core.records import CallRecord
from tests.unit.call_machine_helpers import PRIMARY, T0


class Asterisk:
    def __init__(self, fail: Mapping[str, AriError] | None = None) -> None:
        self.fail = dict(fail or {})
        self.requests: list[str] = []
        #: What ``list_channels`` answers, and the channel variables it has.
        self.channels: list[AriChannel] = []
        self.variables: dict[tuple[str, str], str] = {}

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
        self,
        channel_id: str,
        context: str,
        extension: str,
        priority: int,
        label: str | None = None,
    ) -> None:
        await self._req(f"continue {channel_id} {context},{extension},{label or priority}")

    async def subscribe(self, app: str, event_source: str) -> None:
        await self._req(f"subscribe {app} {event_source}")

    async def create_bridge(self, bridge_type: str, bridge_id: str | None = None) -> AriBridge:
        await self._req(f"create_bridge {bridge_id}")
        return AriBridge(bridge_id or "", bridge_type, "simple_bridge", "", ())

    async def add_to_bridge(self, bridge_id: str, channel_ids: str | Sequence[str]) -> None:
        listed = [channel_ids] if isinstance(channel_ids, str) else list(channel_ids)
        await self._req(f"add {bridge_id} {','.join(listed)}")

    async def destroy_bridge(self, bridge_id: str) -> None:
        await self._req(f"destroy_bridge {bridge_id}")

    async def list_bridges(self) -> list[AriBridge]:
        return []

    async def list_channels(self) -> list[AriChannel]:
        await self._req("list_channels")
        return list(self.channels)

    async def get_variable(self, channel_id: str, name: str) -> str:
        await self._req(f"get {channel_id} {name}")
        try:
            return self.variables[channel_id, name]
        except KeyError:
            raise _err(AriNotFound, 404) from None


def _err(kind: type[AriError], status: int) -> AriError:
    return kind(status, "POST", "/x", "Channel not found")


RECORD = CallRecord("C", "+1", "+2", "", "normal", Outcome.ANSWERED, T0, T0)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


POOLED = "continuity-pool-r-"


def _records(clock: Clock | None = None) -> tuple[Executor, Asterisk, list[CallRecord]]:
    written: list[CallRecord] = []

    async def record(r: CallRecord) -> None:
        written.append(r)

    asterisk = Asterisk()
    pool = BridgePool(run="r", drain_after=5.0, clock=clock or Clock())
    return Executor(asterisk, record, pool), asterisk, written


async def test_an_answered_leg_is_bridged_with_its_caller_in_one_ari_bridge() -> None:
    executor, asterisk, _ = _records()
    assert await executor.run([Answer("C"), Bridge("C", ("C", "C~2"))]) is None
    # One addChannel with both channels: neither leaves our app.
    assert asterisk.requests == ["answer", f"create_bridge {POOLED}1", f"add {POOLED}1 C,C~2"]


async def test_the_next_call_is_bridged_in_the_bridge_the_last_one_left_empty() -> None:
    executor, asterisk, _ = _records()
    await executor.run([Bridge("A", ("A", "A~0"))])
    await executor.run([HangUp("A"), ReleaseBridge("A")])
    executor.bridges.left("A~0")
    executor.bridges.left("A")

    asterisk.requests.clear()
    await executor.run([Bridge("B", ("B", "B~1"))])
    # Neither created nor destroyed: 4 WebSocket messages fewer per call.
    assert asterisk.requests == [f"add {POOLED}1 B,B~1"]


async def test_a_bridge_a_channel_has_not_left_yet_is_never_given_to_another_call() -> None:
    executor, asterisk, _ = _records()
    await executor.run([Bridge("A", ("A", "A~0"))])
    await executor.run([ReleaseBridge("A")])
    executor.bridges.left("A~0")  # the caller's StasisEnd has not come yet

    await executor.run([Bridge("B", ("B", "B~0"))])
    assert asterisk.requests[-2:] == [f"create_bridge {POOLED}2", f"add {POOLED}2 B,B~0"]

    executor.bridges.left("A")  # now it is empty: the next call takes it
    await executor.run([Bridge("D", ("D", "D~0"))])
    assert asterisk.requests[-1] == f"add {POOLED}1 D,D~0"


async def test_a_channel_left_in_a_bridge_after_its_call_is_hung_up_and_the_bridge_destroyed() -> (
    None
):
    clock = Clock()
    executor, asterisk, _ = _records(clock)
    await executor.run([Bridge("A", ("A", "A~0"))])
    await executor.run([ReleaseBridge("A")])
    executor.bridges.left("A")  # the caller hung up; its handler did not hang up the leg

    await executor.sweep()
    assert asterisk.requests[-1] == f"add {POOLED}1 A,A~0"  # not yet: it may still go
    clock.now += 6.0
    await executor.sweep()
    assert asterisk.requests[-2:] == ["hangup A~0", f"destroy_bridge {POOLED}1"]
    assert executor.bridges.swept == 1  # continuity_ari_bridges_swept_total

    await executor.run([Bridge("B", ("B", "B~0"))])  # never handed out again
    assert asterisk.requests[-2:] == [f"create_bridge {POOLED}2", f"add {POOLED}2 B,B~0"]


async def test_a_bridge_that_could_not_be_created_is_never_handed_out() -> None:
    executor, asterisk, _ = _records()
    asterisk.fail[f"create_bridge {POOLED}1"] = _err(AriServerError, 500)
    bridge = Bridge("A", ("A", "A~0"))
    failed = await executor.run([bridge])
    assert failed is not None and failed.failure is Failure.REFUSED
    await executor.run([ReleaseBridge("A")])

    await executor.run([Bridge("B", ("B", "B~0"))])
    assert asterisk.requests[-2:] == [f"create_bridge {POOLED}2", f"add {POOLED}2 B,B~0"]


async def test_a_caller_gone_before_its_bridge_comes_back_as_a_gone_failure() -> None:
    executor, asterisk, _ = _records()
    adding = f"add {POOLED}1 C,C~0"
    asterisk.fail[adding] = _err(AriBadRequest, 400)  # "Channel not found"
    bridge = Bridge("C", ("C", "C~0"))

    failed = await executor.run([bridge, HangUp("C~0")])

    assert failed == CommandFailed(bridge, Failure.GONE, str(asterisk.fail[adding]))
    assert asterisk.requests == [f"create_bridge {POOLED}1", adding]  # stopped there


async def test_watching_a_leg_that_is_gone_already_comes_back_as_gone() -> None:
    executor, asterisk, _ = _records()
    subscribing = f"subscribe {names.ARI_APP} channel:C~1"
    asterisk.fail[subscribing] = _err(AriUnprocessable, 422)
    failed = await executor.run([Watch("C~1")])
    assert failed is not None and failed.failure is Failure.GONE
    assert asterisk.requests == [subscribing]


async def test_a_refused_hand_off_comes_back_as_refused() -> None:
    executor, asterisk, _ = _records()
    asterisk.fail["continue C continuity-fallback,+1,1"] = _err(AriServerError, 500)
    handoff = ContinueInDialplan("C", "continuity-fallback", "+1")
    failed = await executor.run([handoff])
    assert failed is not None and failed.failure is Failure.REFUSED


async def test_a_dialplan_entry_asterisk_lacks_comes_back_as_refused_for_the_app_to_dial() -> None:
    executor, asterisk, _ = _records()
    request = "continue C continuity-tracking,+1,v8-primary-up"
    asterisk.fail[request] = AriNotFound(404, "POST", "/x", "Requested label can not be found")
    entry = ContinueInDialplan("C", "continuity-tracking", "+1", label="v8-primary-up")
    failed = await executor.run([entry])
    assert failed is not None and failed.failure is Failure.REFUSED
    assert asterisk.requests == [request]


async def test_hang_ups_of_channels_already_gone_never_stop_the_record() -> None:
    executor, asterisk, written = _records()
    asterisk.fail["hangup C~0"] = _err(AriNotFound, 404)
    asterisk.fail["hangup C"] = _err(AriServerError, 500)

    commands: list[Command] = [
        HangUp("C~0"),
        HangUp("C"),
        ReleaseBridge("C"),
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


async def test_a_free_bridge_gone_behind_our_back_is_replaced_and_the_call_still_bridged() -> None:
    executor, asterisk, _ = _records()
    await executor.run([Bridge("A", ("A", "A~0")), ReleaseBridge("A")])
    executor.bridges.left("A")
    executor.bridges.left("A~0")
    asterisk.fail[f"add {POOLED}1 B,B~0"] = _err(AriNotFound, 404)  # "Bridge not found"

    assert await executor.run([Bridge("B", ("B", "B~0"))]) is None
    assert asterisk.requests[-3:] == [
        f"add {POOLED}1 B,B~0",
        f"create_bridge {POOLED}2",
        f"add {POOLED}2 B,B~0",
    ]
    assert not executor.bridges.knows(f"{POOLED}1")


async def test_after_asterisk_restarted_the_bridges_it_no_longer_lists_are_forgotten() -> None:
    executor, asterisk, _ = _records()
    await executor.run([Bridge("A", ("A", "A~0"))])  # held: B cannot take it
    known = executor.bridges.known()
    await executor.run([Bridge("B", ("B", "B~0"))])  # a new one, made after the list

    assert executor.bridges.keep_only(set(), among=known) == [f"{POOLED}1"]
    assert executor.bridges.knows(f"{POOLED}2")  # not listed, but newer than the list
    await executor.run([Bridge("D", ("D", "D~0"))])
    assert asterisk.requests[-2:] == [f"create_bridge {POOLED}3", f"add {POOLED}3 D,D~0"]


async def test_a_stopping_app_destroys_the_bridges_no_call_holds_and_keeps_the_held_one() -> None:
    executor, asterisk, _ = _records()
    await executor.run([Bridge("A", ("A", "A~0")), ReleaseBridge("A")])
    executor.bridges.left("A")
    executor.bridges.left("A~0")
    await executor.run([Bridge("B", ("B", "B~0"))])  # takes bridge 1 again
    await executor.run([Bridge("D", ("D", "D~0")), ReleaseBridge("D")])
    executor.bridges.left("D")
    executor.bridges.left("D~0")  # bridge 2 is free
    await executor.run([Bridge("E", ("E", "E~0")), ReleaseBridge("E")])  # E's end: 2 empties

    await executor.destroy_unheld()
    assert asterisk.requests[-1] == f"destroy_bridge {POOLED}2"
    # B is still talking: its bridge stays, for the next run to take over.
    assert executor.bridges.known() == {f"{POOLED}1"}
