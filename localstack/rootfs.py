"""The cached Debian sid rootfs that local Asterisk instances run in.

Built once with ``debootstrap --variant=minbase sid`` plus the same
``docker/asterisk/provision.sh`` the container image runs, into a temporary
sibling directory that is renamed into place only when complete. A marker
file records the provision script's hash, so changing the script rebuilds.
A lock file keeps two concurrent runs from building at once.

Run ``python -m localstack.rootfs`` (or ``scripts/build-rootfs.sh``) to build
it ahead of the tests.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from localstack.errors import RootfsBuildError

Progress = Callable[[str], None]

#: Environment variable overriding the cache directory.
CACHE_ENV = "CONTINUITY_ROOTFS"
REPO_ROOT = Path(__file__).resolve().parent.parent
PROVISION_SCRIPT = REPO_ROOT / "docker" / "asterisk" / "provision.sh"
MARKER = ".continuity-rootfs.json"
SUITE = "sid"
HEARTBEAT_SECONDS = 15.0


def stderr_progress(line: str) -> None:
    """Default progress sink: one line on standard error."""
    print(line, file=sys.stderr, flush=True)


def default_cache_dir() -> Path:
    """``$CONTINUITY_ROOTFS`` if set, else ``<repo>/.cache/asterisk-rootfs``."""
    override = os.environ.get(CACHE_ENV)
    return Path(override) if override else REPO_ROOT / ".cache" / "asterisk-rootfs"


def provision_digest(script: Path = PROVISION_SCRIPT) -> str:
    """The hash a rootfs must have been provisioned with to be reused."""
    return hashlib.sha256(script.read_bytes()).hexdigest()


def ensure_rootfs(cache_dir: Path | None = None, *, progress: Progress = stderr_progress) -> Path:
    """Return the path of a ready rootfs, building it first if needed."""
    cache = (cache_dir or default_cache_dir()).resolve()
    final = cache / "rootfs"
    digest = provision_digest()
    if _is_ready(final, digest):
        return final
    if os.geteuid() != 0:
        raise RootfsBuildError(
            f"building the Asterisk rootfs in {cache} needs root (debootstrap, chroot); "
            f"run as root, or point {CACHE_ENV} at a directory holding a built one"
        )
    cache.mkdir(parents=True, exist_ok=True)
    with _locked(cache / "build.lock", progress):
        if not _is_ready(final, digest):  # another process may have built it meanwhile
            _build(cache, final, digest, progress)
    return final


def _is_ready(rootfs: Path, digest: str) -> bool:
    try:
        marker = json.loads((rootfs / MARKER).read_text())
    except (OSError, ValueError):
        return False
    return isinstance(marker, dict) and marker.get("provision_sha256") == digest


@contextlib.contextmanager
def _locked(path: Path, progress: Progress) -> Iterator[None]:
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            progress(f"waiting for another process building the Asterisk rootfs ({path})…")
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _build(cache: Path, final: Path, digest: str, progress: Progress) -> None:
    started = time.monotonic()
    log = cache / "build.log"
    log.write_text("")
    why = "provision.sh changed" if final.exists() else "first run"
    progress(f"building Asterisk rootfs ({why}, ~1 min) in {final}…")
    _ensure_debootstrap(log, progress)
    building = Path(tempfile.mkdtemp(prefix="rootfs.building-", dir=cache))
    try:
        _run(
            "debootstrap", ["debootstrap", "--variant=minbase", SUITE, str(building)], log, progress
        )
        shutil.copyfile(PROVISION_SCRIPT, building / "provision.sh")
        _run("provision.sh", ["chroot", str(building), "sh", "/provision.sh"], log, progress)
        (building / "provision.sh").unlink()
        (building / MARKER).write_text(json.dumps({"provision_sha256": digest, "suite": SUITE}))
        retired = cache / f"rootfs.retired-{os.getpid()}"
        if final.exists():
            final.rename(retired)
        building.rename(final)
        if retired.exists():
            remove_tree(retired)
    except BaseException:
        remove_tree(building)
        raise
    progress(f"Asterisk rootfs ready in {time.monotonic() - started:.0f} s")


def _ensure_debootstrap(log: Path, progress: Progress) -> None:
    if shutil.which("debootstrap"):
        return
    progress("installing debootstrap with apt-get…")
    _run("apt-get update", ["apt-get", "update"], log, progress)
    install = ["apt-get", "install", "-y", "--no-install-recommends", "debootstrap"]
    _run("apt-get install debootstrap", install, log, progress)


def _run(name: str, argv: Sequence[str], log: Path, progress: Progress) -> None:
    started = time.monotonic()
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    with log.open("a") as out:
        out.write(f"$ {' '.join(argv)}\n")
        out.flush()
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env)
        while True:
            try:
                code = proc.wait(timeout=HEARTBEAT_SECONDS)
                break
            except subprocess.TimeoutExpired:
                progress(f"  {name}: still running ({time.monotonic() - started:.0f} s)")
            except BaseException:
                proc.kill()
                proc.wait()
                raise
    elapsed = time.monotonic() - started
    if code != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-30:])
        raise RootfsBuildError(f"{name} failed (exit {code}) after {elapsed:.0f} s; {log}:\n{tail}")
    progress(f"  {name}: done in {elapsed:.0f} s")


def mounts_under(path: Path) -> list[Path]:
    """Mount points at or below ``path`` (deleting through them is fatal)."""
    root = path.resolve()
    found = []
    with open("/proc/self/mountinfo") as mountinfo:
        for line in mountinfo:
            point = Path(line.split()[4].encode().decode("unicode_escape"))
            if point == root or root in point.parents:
                found.append(point)
    return found


def remove_tree(path: Path) -> None:
    """``rm -rf path``, refusing if anything is mounted inside it."""
    if not path.exists():
        return
    mounted = mounts_under(path)
    if mounted:
        raise RootfsBuildError(f"refusing to delete {path}: still mounted: {mounted}")
    shutil.rmtree(path)


def prune_instances(rootfs: Path, *, older_than: float = 600.0) -> list[Path]:
    """Remove instance trees left by killed test runs (no live Asterisk, not recent)."""
    removed = []
    instances = rootfs / "srv" / "instances"
    for tree in instances.iterdir() if instances.is_dir() else ():
        if time.time() - tree.stat().st_mtime < older_than or _alive(tree / "run" / "asterisk.pid"):
            continue
        remove_tree(tree)
        removed.append(tree)
    return removed


def _alive(pidfile: Path) -> bool:
    try:
        os.kill(int(pidfile.read_text().strip()), 0)
    except (OSError, ValueError):
        return False
    return True


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build (or reuse) the cached Asterisk rootfs.")
    parser.add_argument(
        "--cache-dir", type=Path, default=None, help=f"default: ${CACHE_ENV} or .cache"
    )
    args = parser.parse_args(argv)
    try:
        print(ensure_rootfs(args.cache_dir))
    except RootfsBuildError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
