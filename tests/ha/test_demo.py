"""`./dev demo --nodes 2`: Kamailio in front of two nodes, and which node took each call."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from localstack.demo import CALLS


def demo(*args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "localstack.demo", *args],
        capture_output=True, text=True, timeout=timeout, check=False,
    )  # fmt: skip


def test_the_demo_with_two_nodes_shows_which_node_took_each_call(rootfs: Path) -> None:
    """(``rootfs``: the Asterisk rootfs is built before the demo runs.)"""
    shown = demo("--nodes", "2")
    assert shown.returncode == 0, shown.stdout + shown.stderr
    lines = shown.stdout.splitlines()
    header = next(line for line in lines if line.startswith("DIALED"))
    assert header.split()[-1] == "NODE"
    rows = {line.split()[0]: line for line in lines if line.startswith("+1")}
    assert set(rows) == {call.dialed for call in CALLS}
    took = {row.split()[-1] for row in rows.values()}
    assert took == {"pbx", "pbx2"}, rows  # round robin over both nodes
    assert "primary +12125550101" in rows["+12125550101"]
    assert "pstn +13125550150" in rows["+12125550103"]  # the 503 went on to continuity
    leaders = [line for line in lines if line.startswith("node ") and "(leader" in line]
    assert len(leaders) == 1, lines
    assert sum(line.startswith("node ") for line in lines) == 2


def test_a_node_count_out_of_range_is_refused_before_anything_starts() -> None:
    for bad in ("0", "9", "two"):
        refused = demo("--nodes", bad, timeout=30)
        assert refused.returncode == 2
        assert "--nodes" in refused.stderr and "PostgreSQL" not in refused.stdout, bad
