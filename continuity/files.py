"""Atomic file writes: a reader sees the old file or the new one, never half of one."""

from __future__ import annotations

import os
from pathlib import Path


def write_atomically(path: Path, text: str, mode: int | None = None) -> None:
    """Temp file in the same directory, fsync, rename over ``path``.

    ``mode`` (e.g. ``0o600``) is set on the temp file before any byte is written.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        if mode is not None:
            os.fchmod(fh.fileno(), mode)
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    tmp.replace(path)


def replace_if_changed(path: Path, text: str, mode: int | None = None) -> bool:
    """Write ``text`` atomically unless the file already holds it; say whether it wrote."""
    try:
        if path.read_text(encoding="utf-8") == text:
            if mode is not None and path.stat().st_mode & 0o777 != mode:
                path.chmod(mode)
            return False
    except FileNotFoundError:
        pass
    write_atomically(path, text, mode)
    return True
