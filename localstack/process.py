"""Running ``asterisk`` inside the rootfs with chroot, reading its logs, and stopping the
stack's child processes."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import functools
import signal
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from localstack.logs import ANSI

PR_SET_PDEATHSIG = 1


def module_dir(rootfs: Path) -> PurePosixPath:
    """Where the rootfs keeps Asterisk's modules (multiarch path)."""
    for candidate in sorted(rootfs.glob("usr/lib/*/asterisk/modules")):
        return PurePosixPath("/") / candidate.relative_to(rootfs).as_posix()
    return PurePosixPath("/usr/lib/asterisk/modules")


@functools.cache
def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def die_with_parent() -> None:
    """In the child: get SIGKILL when the test process dies, leaving no orphan."""
    _libc().prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


async def spawn(
    rootfs: Path, config: PurePosixPath, console: BinaryIO
) -> asyncio.subprocess.Process:
    """Start ``asterisk -f`` (foreground, as root) in the chroot."""
    _libc()  # load before fork: the child only calls into it
    return await asyncio.create_subprocess_exec(
        "chroot",
        str(rootfs),
        "asterisk",
        "-f",
        "-n",
        "-C",
        str(config),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=console,
        stderr=asyncio.subprocess.STDOUT,
        preexec_fn=die_with_parent,
    )


async def remote(
    rootfs: Path, config: PurePosixPath, command: str, *, timeout: float
) -> tuple[int, str]:
    """Run ``asterisk -rx <command>``; ``(exit status, output)``, -1 on timeout."""
    proc = await asyncio.create_subprocess_exec(
        "chroot",
        str(rootfs),
        "asterisk",
        "-C",
        str(config),
        "-rx",
        command,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        output, _ = await asyncio.wait_for(proc.communicate(), timeout)
    except TimeoutError:
        await _reap(proc)
        return -1, f"timed out after {timeout:.1f} s"
    except BaseException:
        await _reap(proc)
        raise
    code = proc.returncode if proc.returncode is not None else -1
    return code, ANSI.sub("", output.decode(errors="replace"))


async def _reap(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        proc.kill()
    await proc.wait()


async def terminate(proc: asyncio.subprocess.Process, grace: float) -> None:
    """SIGTERM (a graceful stop, as ``systemctl stop``), then SIGKILL after ``grace``
    seconds; nothing if it has ended already."""
    if proc.returncode is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(proc.wait(), grace)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await proc.wait()
