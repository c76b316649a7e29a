"""Atomic file writes: a reader sees the old file or the new one, never half of one.

Every write goes to a temp file of its own (``O_CREAT | O_EXCL | O_NOFOLLOW``,
random name, same directory), which is fsync'd, renamed over the target, and
the directory fsync'd so the rename survives a crash. Writers of the same
path never share a temp file; a failed write removes its temp file and leaves
the target as it was.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

#: The default: the product's own state (routing cache, call records, markers).
PRIVATE = 0o600
#: Files Asterisk reads (it may run as its own user): readable by everyone, as before.
READABLE = 0o644

_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
_ATTEMPTS = 16


def _open_temp(path: Path, mode: int) -> tuple[Path, int]:
    for _ in range(_ATTEMPTS):
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
        try:
            return tmp, os.open(tmp, _FLAGS, mode)
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temp name next to {path} after {_ATTEMPTS} tries")


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomically(path: Path, text: str, *, mode: int = PRIVATE) -> None:
    """Write ``text`` to ``path`` all at once; raise :class:`OSError` and change nothing on
    failure (full disk, read-only filesystem, a directory at ``path``...)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = text.encode("utf-8")
    tmp, fd = _open_temp(path, mode)
    try:
        try:
            os.fchmod(fd, mode)  # the umask narrowed what os.open was given
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _fsync_directory(path.parent)


def replace_if_changed(path: Path, text: str, *, mode: int = PRIVATE) -> bool:
    """Write ``text`` atomically unless the file already holds it; say whether it wrote."""
    try:
        if path.read_text(encoding="utf-8") == text:
            if mode is not None and path.stat().st_mode & 0o777 != mode:
                path.chmod(mode)
            return False
    except FileNotFoundError:
        pass
    write_atomically(path, text, mode=mode)
    return True
