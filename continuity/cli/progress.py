"""A progress bar on stderr for long steps: redrawn in place on a terminal, else a
line at every tenth so logs stay short."""

from __future__ import annotations

import sys
from typing import TextIO


class ProgressBar:
    def __init__(self, what: str, stream: TextIO | None = None) -> None:
        self._what = what
        self._stream = stream or sys.stderr
        self._tty = self._stream.isatty()
        self._shown: tuple[str, int] | None = None

    def __call__(self, step: str, done: int, total: int) -> None:
        tenth = 10 * done // total if total else 10
        if not self._tty and self._shown == (step, tenth):
            return
        self._shown = (step, tenth)
        width = 30
        filled = width * done // total if total else width
        bar = "#" * filled + "-" * (width - filled)
        text = f"{self._what}: {step:<10} [{bar}] {done}/{total}"
        if self._tty:
            end = "\n" if done >= total else ""
            self._stream.write(f"\r{text}{end}")
        else:
            self._stream.write(text + "\n")
        self._stream.flush()
