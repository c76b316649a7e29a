"""One real Asterisk process, run with chroot from the cached rootfs.

Each instance owns a directory tree inside the rootfs
(``/srv/instances/<name>-<random>/{etc,lib,db,spool,log,run,cache}``), its
own loopback ports and random credentials. Nothing is mounted: Asterisk needs
only the device nodes debootstrap already created.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import time
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath
from types import TracebackType

from localstack import logs as logfiles
from localstack import process
from localstack.credentials import AmiCredentials, AriCredentials
from localstack.errors import AsteriskCommandError, AsteriskStartError
from localstack.logs import LogMark
from localstack.ports import LOOPBACK, PortAllocator
from localstack.rendering import render
from localstack.rootfs import remove_tree

logger = logging.getLogger(__name__)

INSTANCES_DIR = PurePosixPath("/srv/instances")
TREE = ("etc", "lib", "db", "spool", "log", "run", "cache")
BASE_CONFIGS = (
    "asterisk.conf",
    "modules.conf",
    "logger.conf",
    "http.conf",
    "ari.conf",
    "manager.conf",
    "rtp.conf",
    "cdr.conf",
    "cel.conf",
    "features.conf",
    "indications.conf",
    "voicemail.conf",
    "extensions.conf",
    "pjsip.conf",
)
#: Files that only need to exist (Asterisk logs an error when they do not).
EMPTY_CONFIGS = ("acl.conf", "ccss.conf", "pjproject.conf", "udptl.conf", "websocket_client.conf")
#: Set to 1 to keep instance trees (configs, logs) after stop.
KEEP_ENV = "CONTINUITY_KEEP_INSTANCES"


class AsteriskInstance:
    """A real Asterisk: ``start()``, ``cli()``, ``write_config()``, ``stop()``.

    ``configs`` (file name -> content) is written after the base files, so it
    adds files or replaces base ones. ``extra_modules`` are appended to
    ``modules.conf`` as ``load =>`` lines.
    """

    def __init__(
        self,
        rootfs: Path,
        name: str,
        *,
        configs: Mapping[str, str] | None = None,
        extra_modules: Sequence[str] = (),
        ports: PortAllocator | None = None,
        boot_timeout: float = 30.0,
        stop_timeout: float = 10.0,
        ami_privileges: tuple[str, str] = ("all", "all"),
        rtp_ports: int = 200,
        host: str = LOOPBACK,
    ) -> None:
        """``host``: the loopback address its SIP, HTTP (ARI) and AMI listen on."""
        allocate = ports or PortAllocator()
        self.host = host
        #: ``read =`` and ``write =`` of the AMI user in manager.conf.
        self.ami_privileges = ami_privileges
        self.name = name
        self.rootfs = rootfs
        self.instance_id = f"{name}-{secrets.token_hex(4)}"
        self.chroot_root = INSTANCES_DIR / self.instance_id
        self.root = rootfs / self.chroot_root.relative_to("/")
        self.sip_port = allocate.udp(host)
        self.http_port = allocate.tcp(host)
        self.ami_port = allocate.tcp(host)
        #: Two per call leg side (RTP and RTCP): 200 carry about 50 bridged calls.
        self.rtp_start, self.rtp_end = allocate.rtp_range(rtp_ports)
        self.ari = AriCredentials(
            url=f"http://{host}:{self.http_port}/ari",
            username="continuity",
            password=secrets.token_urlsafe(18),
        )
        self.ami = AmiCredentials(host, self.ami_port, "localstack", secrets.token_urlsafe(18))
        self.boot_timeout = boot_timeout
        self.stop_timeout = stop_timeout
        self.boot_seconds: float | None = None
        self.stop_seconds: float | None = None
        #: Extra files written after the base ones; may be changed before start().
        self.configs: dict[str, str] = dict(configs or {})
        self._extra_modules = tuple(extra_modules)
        self._process: asyncio.subprocess.Process | None = None

    def __repr__(self) -> str:
        return (
            f"<AsteriskInstance {self.instance_id} {self.host}"
            f" sip={self.sip_port} http={self.http_port}>"
        )

    @property
    def sip_uri(self) -> str:
        """Where its SIP transport listens: ``sip:host:port``."""
        return f"sip:{self.host}:{self.sip_port}"

    @property
    def etc_dir(self) -> Path:
        """Host path of the instance's ``astetcdir``."""
        return self.root / "etc"

    @property
    def config_path(self) -> PurePosixPath:
        """Path of ``asterisk.conf`` as Asterisk sees it inside the chroot."""
        return self.chroot_root / "etc" / "asterisk.conf"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.returncode is None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self.running and self._process else None

    def host_path(self, chroot_path: str | PurePosixPath) -> Path:
        """Where a path Asterisk sees inside the chroot is on this machine."""
        return self.rootfs / PurePosixPath(chroot_path).relative_to("/")

    def chroot_path(self, host_path: Path) -> PurePosixPath:
        """Where a file of the instance tree is as Asterisk sees it."""
        return PurePosixPath("/") / host_path.relative_to(self.rootfs).as_posix()

    def base_configs(self) -> dict[str, str]:
        """The rendered base configuration, file name -> content."""
        context: dict[str, object] = {
            "name": self.instance_id,
            "host": self.host,
            "root": str(self.chroot_root),
            "moddir": str(process.module_dir(self.rootfs)),
            "http_port": self.http_port,
            "ami_port": self.ami_port,
            "rtp_start": self.rtp_start,
            "rtp_end": self.rtp_end,
            "ari_user": self.ari.username,
            "ari_password": self.ari.password,
            "ami_user": self.ami.username,
            "ami_secret": self.ami.secret,
            "ami_read": self.ami_privileges[0],
            "ami_write": self.ami_privileges[1],
            "extra_modules": self._extra_modules,
        }
        rendered = {config: render(config, **context) for config in BASE_CONFIGS}
        return {**dict.fromkeys(EMPTY_CONFIGS, "; intentionally empty\n"), **rendered}

    def write_config(self, relative: str, content: str) -> Path:
        """Write ``etc/<relative>`` (sub-directories allowed); returns its host path."""
        target = (self.etc_dir / relative).resolve()
        if self.etc_dir.resolve() not in target.parents:
            raise ValueError(f"config path {relative!r} leaves the instance's etc directory")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content)
        return target

    async def start(self) -> None:
        """Write the tree and configs, start Asterisk and wait until fully booted."""
        if self._process is not None:
            raise RuntimeError(f"{self.instance_id} was already started")
        for directory in TREE:
            (self.root / directory).mkdir(parents=True, exist_ok=True)
        for config, content in {**self.base_configs(), **self.configs}.items():
            self.write_config(config, content)
        started = time.monotonic()
        console = (self.root / "log" / "console.log").open("ab")
        try:
            self._process = await process.spawn(self.rootfs, self.config_path, console)
        finally:
            console.close()
        try:
            await self._wait_fully_booted(started + self.boot_timeout)
            problems = logfiles.startup_problems(self.logs())
            if problems:
                raise self._start_error("started with errors:\n" + "\n".join(problems))
        except BaseException:
            await self._kill()
            raise
        self.boot_seconds = time.monotonic() - started
        logger.info("%s fully booted in %.2f s", self.instance_id, self.boot_seconds)

    async def _wait_fully_booted(self, deadline: float) -> None:
        while True:
            proc = self._process
            if proc is None or proc.returncode is not None:
                code = proc.returncode if proc else None
                raise self._start_error(f"exited with status {code} while starting")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise self._start_error("did not finish booting in time")
            code, output = await process.remote(
                self.rootfs, self.config_path, "core waitfullybooted", timeout=remaining
            )
            if code == 0 and "fully booted" in output:
                return
            await asyncio.sleep(0.05)

    async def restart(self) -> None:
        """``core restart now``: Asterisk re-executes itself in place (same process,
        same tree and ports), as after an admin's restart or a crash under a supervisor."""
        await process.remote(self.rootfs, self.config_path, "core restart now", timeout=5.0)
        await asyncio.sleep(0.5)  # the old control socket answers until the exec
        await self._wait_fully_booted(time.monotonic() + self.boot_timeout)

    def _start_error(self, what: str) -> AsteriskStartError:
        messages, console = (logfiles.read_from(path) for path in self._log_files())
        return AsteriskStartError(
            f"Asterisk instance {self.instance_id} {what}\n"
            f"(configs in {self.etc_dir}; set {KEEP_ENV}=1 to keep them after stop)\n"
            "--- errors and warnings ---\n" + "\n".join(logfiles.errors(messages)) + "\n"
            f"--- log tail (messages) ---\n{logfiles.tail(messages, 25)}\n"
            f"--- log tail (console) ---\n{logfiles.tail(console, 10)}"
        )

    async def cli(self, command: str, *, timeout: float = 10.0) -> str:
        """Run one CLI command (``asterisk -rx``) and return its output."""
        if not self.running:
            raise AsteriskCommandError(f"{self.instance_id} is not running; cannot run {command!r}")
        code, output = await process.remote(self.rootfs, self.config_path, command, timeout=timeout)
        if code != 0:
            raise AsteriskCommandError(f"{self.instance_id}: {command!r} failed ({code}): {output}")
        return output

    async def hangup_all(self, *, timeout: float = 5.0) -> None:
        """Hang up every channel and wait until none is left."""
        await self.cli("channel request hangup all")
        async with asyncio.timeout(timeout):
            while not (await self.cli("core show channels count")).startswith("0 active channels"):
                await asyncio.sleep(0.05)

    async def reload_module(self, module: str) -> str:
        """``module reload <module>``, e.g. ``res_pjsip.so`` after writing pjsip files."""
        return await self.cli(f"module reload {module}")

    async def reload_dialplan(self) -> str:
        return await self.cli("dialplan reload")

    def log_mark(self) -> LogMark:
        """Current log sizes; pass to :meth:`logs` to see only what came after."""
        return LogMark(*(logfiles.file_size(path) for path in self._log_files()))

    def logs(self, since: LogMark | None = None) -> str:
        """The ``messages`` log and the console output, optionally only since a mark."""
        mark = since or LogMark()
        messages, console = self._log_files()
        return (
            f"===== {self.instance_id}: messages =====\n"
            f"{logfiles.read_from(messages, mark.messages)}"
            f"===== {self.instance_id}: console =====\n"
            f"{logfiles.read_from(console, mark.console)}"
        )

    def _log_files(self) -> tuple[Path, Path]:
        return self.root / "log" / "messages", self.root / "log" / "console.log"

    async def stop(self) -> None:
        """Hang up every channel, ``core stop gracefully``, kill after the timeout."""
        proc = self._process
        if proc is None:
            return
        started = time.monotonic()
        if proc.returncode is None:
            for command in ("channel request hangup all", "core stop gracefully"):
                await process.remote(self.rootfs, self.config_path, command, timeout=5.0)
            try:
                await asyncio.wait_for(proc.wait(), self.stop_timeout)
            except TimeoutError:
                logger.warning(
                    "%s did not stop in %.0f s; killing it", self.instance_id, self.stop_timeout
                )
                await self._kill()
        self.stop_seconds = time.monotonic() - started
        if os.environ.get(KEEP_ENV) != "1":
            remove_tree(self.root)

    async def _kill(self) -> None:
        proc = self._process
        if proc is not None and proc.returncode is None:
            proc.kill()
            await proc.wait()

    async def __aenter__(self) -> AsteriskInstance:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()
