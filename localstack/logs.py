"""Reading an instance's log files: whole, from a mark, or their tail."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")

#: Log lines that mean an instance booted but is not usable (a port taken,
#: a config file that did not parse, an object that could not be created).
_FATAL = re.compile(
    r"(ERROR|WARNING)\[\d+\].*("
    r"[Aa]ddress already in use"
    r"|[Uu]nable to bind"
    r"|[Ff]ailed to bind"
    r"|[Tt]ransport '[^']*' could not be started"
    r"|Could not create an object of type"
    r"|Could not find option suitable"
    r"|[Ee]rror parsing"
    r"|[Ss]yntax error"
    r"|[Cc]ould not find include file"
    r")"
)


@dataclass(frozen=True)
class LogMark:
    """Sizes of an instance's log files at one moment (see ``logs(since=)``)."""

    messages: int = 0
    console: int = 0


def startup_problems(log: str) -> list[str]:
    """The log lines that make a booted instance unusable."""
    return [line for line in log.splitlines() if _FATAL.search(line)]


def errors(log: str, limit: int = 15) -> list[str]:
    """The first ERROR and WARNING lines of a log."""
    return [line for line in log.splitlines() if "ERROR[" in line or "WARNING[" in line][:limit]


def tail(text: str, lines: int) -> str:
    return "\n".join(text.splitlines()[-lines:])


def file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def read_from(path: Path, offset: int = 0) -> str:
    """The text of ``path`` from byte ``offset`` on ('' if it does not exist)."""
    try:
        with path.open("rb") as handle:
            handle.seek(offset)
            return ANSI.sub("", handle.read().decode(errors="replace"))
    except FileNotFoundError:
        return ""
