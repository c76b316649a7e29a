"""Leadership rounds (no database): a node that cannot watch the trunk hands the lead on."""

from __future__ import annotations

import datetime as dt

from continuity.leader import Leadership


class Lease:
    """One lease shared by the nodes of a test: the first to ask gets it."""

    def __init__(self) -> None:
        self.holder: str | None = None
        self.token = 0

    def of(self, node: str) -> NodeLease:
        return NodeLease(self, node)


class NodeLease:
    def __init__(self, lease: Lease, node: str) -> None:
        self._lease = lease
        self._node = node

    async def try_acquire(self) -> int | None:
        if self._lease.holder is not None:
            return None
        self._lease.holder = self._node
        self._lease.token += 1
        return self._lease.token

    async def renew(self, token: int) -> bool:
        return self._lease.holder == self._node and token == self._lease.token

    async def release(self) -> None:
        if self._lease.holder == self._node:
            self._lease.holder = None


class Heartbeats:
    async def heartbeat(self, node: str, sip_uri: str, started_at: dt.datetime) -> None:
        return None


async def test_a_leader_whose_asterisk_is_gone_hands_the_lead_to_a_node_that_can_watch() -> None:
    lease = Lease()
    now = [0.0]
    ami_up = {"a": True, "b": True}
    nodes = {
        name: Leadership(
            lease.of(name), Heartbeats(), name, f"sip:{name}", interval=1.0,
            able=lambda name=name: ami_up[name], clock=lambda: now[0],  # type: ignore[misc]
        )
        for name in ("a", "b")
    }

    async def round_() -> None:
        for node in nodes.values():
            await node.step()
        now[0] += 1.0

    await round_()
    assert [n for n, node in nodes.items() if node.leads] == ["a"]
    first = nodes["a"].token

    ami_up["a"] = False  # node a's Asterisk died; its app lives on
    for _ in range(3):  # within the grace (three heartbeats) it keeps the lead
        await round_()
        assert nodes["a"].leads
    await round_()
    await round_()
    assert not nodes["a"].leads and nodes["b"].leads
    assert nodes["b"].token is not None and first is not None and nodes["b"].token > first

    ami_up["a"] = True  # a's Asterisk is back: it follows, it does not steal the lead
    await round_()
    assert nodes["b"].leads and not nodes["a"].leads
