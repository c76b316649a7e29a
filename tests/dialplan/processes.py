"""Running the `continuity` command as a real process, configured through its environment."""

from __future__ import annotations

import asyncio
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from continuity.config import SETTINGS, Config

REPO = Path(__file__).resolve().parents[2]


def environment(config: Config) -> dict[str, str]:
    """``config`` as the CONTINUITY_* variables the command reads (nothing else of ours)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONTINUITY_")}
    for name, (variable, _) in SETTINGS.items():
        env[variable] = str(getattr(config, name))
    env["PYTHONPATH"] = str(REPO)
    return env


@dataclass(frozen=True)
class Result:
    returncode: int
    stdout: str
    stderr: str


async def run_cli(
    config: Config, *args: str, timeout: float = 60.0, stdin: str | None = None
) -> Result:
    """``continuity ARGS`` as an admin runs it, without blocking the app's event loop."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "continuity", *args,
        env=environment(config), cwd=REPO,
        stdin=asyncio.subprocess.DEVNULL if stdin is None else asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    data = None if stdin is None else stdin.encode()
    out, err = await asyncio.wait_for(proc.communicate(data), timeout)
    assert proc.returncode is not None
    return Result(proc.returncode, out.decode(), err.decode())
