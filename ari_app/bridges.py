"""The ARI app's mixing bridges, kept from call to call.

A call takes a bridge when its leg answers and releases it at its end; the bridge
is free for another call once every channel it held has left our app (their
``StasisEnd``: a channel leaves its bridge as it leaves Stasis). Creating and
destroying a bridge per call cost four WebSocket messages of 16 (issue 13).

No call ever shares a bridge with a channel of another: a bridge whose channels
are not all seen leaving within ``drain_after`` seconds of its release (a hangup
handler that did not hang up the other side, an event lost in a reconnection, a
channel gone while being added) is never reused; the executor hangs up what is
left in it and destroys it. This module only keeps the books; the executor does
the requests.
"""

from __future__ import annotations

import secrets
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence

from continuity import names
from continuity.core.call.state import bridge_id, call_key

#: Seconds a released bridge may still hold channels before it is destroyed.
DRAIN_AFTER = 5.0


def call_of(bridge: str, channels: Sequence[str]) -> str | None:
    """The call a bridge of some run of the app holds: a kept bridge's channels say,
    an earlier version's per-call bridge its name."""
    if bridge.startswith(names.BRIDGE_POOL_PREFIX):
        return call_key(channels[0]) if channels else None
    key = call_key(bridge)
    return key if bridge == bridge_id(key) else None


def ours(bridge: str) -> bool:
    """A kept bridge of some run of the app, or an earlier version's per-call one."""
    return bridge.startswith(names.BRIDGE_POOL_PREFIX) or call_of(bridge, ()) is not None


class BridgePool:
    def __init__(
        self,
        *,
        run: str | None = None,
        drain_after: float = DRAIN_AFTER,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._prefix = f"{names.BRIDGE_POOL_PREFIX}{run or secrets.token_hex(3)}-"
        self._made = 0
        self._drain_after = drain_after
        self._clock = clock
        #: Bridges no call holds and no channel is in, ready to take.
        self._free: list[str] = []
        #: Call id -> the bridge it holds.
        self._held: dict[str, str] = {}
        #: Bridge -> the channels put in it that have not left our app yet.
        self._in: dict[str, set[str]] = {}
        #: Channel -> its bridge.
        self._where: dict[str, str] = {}
        #: Bridges released with channels still in them -> when released (oldest first).
        self._draining: OrderedDict[str, float] = OrderedDict()
        #: Bridges :meth:`sweep` gave up on, a channel still in them after their call.
        self.swept = 0

    def take(self, call_id: str) -> tuple[str, bool]:
        """The bridge for ``call_id``: the one it holds, a free one, or a new name
        (``True``: create it)."""
        held = self._held.get(call_id)
        if held is not None:
            return held, False
        if self._free:
            bridge, new = self._free.pop(), False
        else:
            self._made += 1
            bridge, new = f"{self._prefix}{self._made}", True
        self._held[call_id] = bridge
        self._in.setdefault(bridge, set())
        return bridge, new

    def joined(self, bridge: str, channels: Iterable[str]) -> None:
        """``channels`` are being put in ``bridge``: it is not free until they leave."""
        into = self._in.setdefault(bridge, set())
        for channel in channels:
            into.add(channel)
            self._where[channel] = bridge

    def left(self, channel: str) -> None:
        """``channel`` left our app, and so its bridge."""
        bridge = self._where.pop(channel, None)
        if bridge is None:
            return
        into = self._in.get(bridge)
        if into is not None:
            into.discard(channel)
            if not into and bridge in self._draining:
                del self._draining[bridge]
                self._free.append(bridge)

    def release(self, call_id: str) -> None:
        """The call is done with its bridge: free now if empty, else once it is."""
        bridge = self._held.pop(call_id, None)
        if bridge is None:
            return
        if self._in.get(bridge):
            self._draining[bridge] = self._clock()
        else:
            self._free.append(bridge)

    def lost(self, call_id: str) -> None:
        """The call's bridge could not be made: forget it, never hand it out."""
        bridge = self._held.pop(call_id, None)
        if bridge is not None:
            self.forget(bridge)

    def sweep(self) -> list[tuple[str, set[str]]]:
        """Forget the released bridges whose channels did not all leave in time, and
        return each with the channels still in it: to hang up, and to destroy."""
        deadline = self._clock() - self._drain_after
        stale = []
        for bridge, released in self._draining.items():
            if released > deadline:
                break
            stale.append(bridge)
        self.swept += len(stale)
        return [(bridge, self.forget(bridge)) for bridge in stale]

    def forget(self, bridge: str) -> set[str]:
        """``bridge`` is destroyed (or was never made); the channels still in it."""
        self._draining.pop(bridge, None)
        left = self._in.pop(bridge, set())
        for channel in left:
            self._where.pop(channel, None)
        if bridge in self._free:
            self._free.remove(bridge)
        for call_id in [c for c, b in self._held.items() if b == bridge]:
            del self._held[call_id]
        return left

    def adopt(self, bridge: str, channels: Iterable[str], call_id: str) -> None:
        """A bridge another run made, holding ``channels`` of ``call_id``, which this
        run took over: released at the call's end like one of ours."""
        self._held[call_id] = bridge
        self.joined(bridge, channels)

    def knows(self, bridge: str) -> bool:
        return bridge in self._in

    def counts(self) -> dict[str, int]:
        """How many bridges are held by a call, emptying after their call's end, free."""
        return {
            "held": len(set(self._held.values())),
            "emptying": len(self._draining),
            "free": len(self._free),
        }

    def unheld(self) -> list[str]:
        """The bridges no call holds: free, or emptying after their call's end."""
        held = set(self._held.values())
        return [bridge for bridge in self._in if bridge not in held]

    def known(self) -> set[str]:
        return set(self._in)

    def keep_only(self, existing: set[str], among: set[str]) -> list[str]:
        """Of the bridges ``among`` (known before Asterisk listed ``existing``), forget
        those it no longer has (a restart of Asterisk took them all); their names."""
        gone = [bridge for bridge in among if bridge in self._in and bridge not in existing]
        for bridge in gone:
            self.forget(bridge)
        return gone
