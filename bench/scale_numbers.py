"""bench.scale's numbers: the counts, the CSV an account imports, the `continuity` command."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from continuity.config import UnknownNumberPolicy

COUNTS = (1_000, 10_000, 100_000)
CHANGES = 5
SOURCE_ROOT = Path(__file__).resolve().parent.parent
CELL = "+13125550150"
POLICY = UnknownNumberPolicy("reject", "unallocated")


def progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def loadavg() -> str:
    return Path("/proc/loadavg").read_text().strip()


def number(index: int) -> str:
    return f"+1212{2000000 + index:07d}"


def write_csv(path: Path, count: int) -> None:
    """Numbers as a large account has them: most plain, some on a department line,
    some with their own destination or continuity switched on."""
    with path.open("w", encoding="utf-8") as out:
        out.write("number,label,line,continuity,destination_kind,destination_target\n")
        for i in range(count):
            line = "sales" if i % 10 == 0 else ""
            mode = "on" if i % 50 == 0 else ""
            dest = ("external", f"+1312{5550000 + i % 100:07d}") if i % 20 == 0 else ("", "")
            out.write(f"{number(i)},campaign {i},{line},{mode},{dest[0]},{dest[1]}\n")


def continuity(*args: str, url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "continuity", *args],
        env={**os.environ, "CONTINUITY_DATABASE_URL": url, "CONTINUITY_LOG_LEVEL": "WARNING"},
        capture_output=True,
        text=True,
        check=False,
        cwd=SOURCE_ROOT,
    )
