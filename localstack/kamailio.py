"""A real Kamailio in front of the stack's pbx nodes, from Debian's ``kamailio`` package.

Its ``kamailio.cfg`` and ``dispatcher.list`` are the product's own, rendered by
``continuity.proxy_templates`` from the list of nodes, exactly as ``continuity proxy
render`` writes them for an install. The process runs in the foreground with
its own runtime directory, so several can run side by side on loopback.
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
import shutil
import socket
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from types import TracebackType

from continuity.proxy_templates.render import Node, ProxySettings, render_proxy
from localstack.ports import LOOPBACK, PortAllocator
from localstack.process import die_with_parent, terminate

logger = logging.getLogger(__name__)

KAMAILIO = "/usr/sbin/kamailio"
KAMCMD = "/usr/sbin/kamcmd"
_DEST = re.compile(r"URI: (?P<uri>\S+)\s+FLAGS: (?P<flags>\S+)")
#: The generated config's log line for each INVITE it sends to a node (first or retry).
_ROUTED = re.compile(
    r"INVITE (?P<number>\S+) from (?P<caller>\S+) \(Call-ID (?P<call_id>[^)]*)\)"
    r" -> node (?P<node>\S+?)(?P<retry> \(retry\))?$"
)
_FAILED = re.compile(r"node (?P<node>\S+) failed INVITE (?P<number>\S+) from (?P<caller>\S+) ")


@dataclass(frozen=True, slots=True)
class Routed:
    """One INVITE the proxy sent to a node, from its log (in the order they were sent)."""

    caller: str
    number: str
    node: str
    retry: bool


@dataclass(frozen=True, slots=True)
class NodeFailed:
    """A node that failed a call (5xx or no answer): the proxy marked it down."""

    caller: str
    node: str


def routing_log(text: str) -> list[Routed | NodeFailed]:
    """The proxy's routing decisions in ``text`` (its log), oldest first."""
    found: list[Routed | NodeFailed] = []
    for line in text.splitlines():
        if (routed := _ROUTED.search(line)) is not None:
            found.append(
                Routed(routed["caller"], routed["number"], routed["node"], bool(routed["retry"]))
            )
        elif (failed := _FAILED.search(line)) is not None:
            found.append(NodeFailed(failed["caller"], failed["node"]))
    return found


class KamailioError(RuntimeError):
    pass


class KamailioProxy:
    """``async with KamailioProxy(nodes) as proxy:``; calls go to ``proxy.sip_port``."""

    def __init__(
        self,
        nodes: Sequence[Node],
        *,
        ports: PortAllocator | None = None,
        settings: ProxySettings | None = None,
        boot_timeout: float = 10.0,
        host: str = LOOPBACK,
    ) -> None:
        """``host``: the loopback address it listens on."""
        if shutil.which(KAMAILIO) is None:
            raise KamailioError(
                f"{KAMAILIO} is missing: install Debian's kamailio package (./dev does)"
            )
        self.nodes = list(nodes)
        self.host = host
        self.sip_port = (ports or PortAllocator()).udp(host)
        self._dir = Path(tempfile.mkdtemp(prefix="kamailio-"))
        self.settings = replace(
            settings or ProxySettings(),
            listen_host=host,
            listen_port=self.sip_port,
            runtime_dir=str(self._dir),
        )
        self._boot_timeout = boot_timeout
        self._process: asyncio.subprocess.Process | None = None
        self.log_path = self._dir / "kamailio.log"

    def __repr__(self) -> str:
        nodes = [n.name for n in self.nodes]
        return f"<KamailioProxy sip={self.host}:{self.sip_port} nodes={nodes}>"

    async def start(self) -> None:
        for name, text in render_proxy(self.settings, self.nodes, self._dir).items():
            (self._dir / name).write_text(text, encoding="utf-8")
        with self.log_path.open("ab") as log:
            self._process = await asyncio.create_subprocess_exec(
                KAMAILIO, "-f", str(self._dir / "kamailio.cfg"), "-DD", "-E",
                "-w", str(self._dir), "-m", "64", "-M", "8",
                stdin=asyncio.subprocess.DEVNULL, stdout=log, stderr=asyncio.subprocess.STDOUT,
                preexec_fn=die_with_parent,
            )
        try:
            await self._wait_answering()
        except BaseException:
            await self.stop()
            raise
        logger.info("kamailio up: %r", self)

    async def _wait_answering(self) -> None:
        """Until the proxy answers an OPTIONS to itself: its listener and routing are up."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._boot_timeout
        while loop.time() < deadline:
            if self._process is not None and self._process.returncode is not None:
                raise KamailioError(f"kamailio exited at start:\n{self.log()}")
            if await asyncio.to_thread(self._options_answered):
                return
            await asyncio.sleep(0.1)
        raise KamailioError(f"kamailio did not answer within {self._boot_timeout} s:\n{self.log()}")

    def _options_answered(self) -> bool:
        call_id = secrets.token_hex(8)
        request = (
            f"OPTIONS sip:{self.host}:{self.sip_port} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP {LOOPBACK}:9;branch=z9hG4bK{call_id}\r\n"
            "Max-Forwards: 70\r\n"
            f"From: <sip:probe@{LOOPBACK}>;tag={call_id}\r\n"
            f"To: <sip:{self.host}:{self.sip_port}>\r\n"
            f"Call-ID: {call_id}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
        )
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.bind((LOOPBACK, 0))
            port = sock.getsockname()[1]
            sock.settimeout(0.3)
            sock.sendto(request.replace(":9;", f":{port};").encode(), (self.host, self.sip_port))
            try:
                reply = sock.recv(4096)
            except OSError:
                return False
        return reply.startswith(b"SIP/2.0 200")

    async def node_flags(self) -> dict[str, str]:
        """``{node URI: dispatcher flags}``: ``A`` active, ``I`` inactive, ``P`` probing."""
        proc = await asyncio.create_subprocess_exec(
            KAMCMD, "-s", f"unix:{self.settings.control_socket}", "dispatcher.list",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )
        out, _ = await proc.communicate()
        if proc.returncode != 0:
            raise KamailioError(f"kamcmd dispatcher.list failed: {out.decode(errors='replace')}")
        return {m["uri"]: m["flags"] for m in _DEST.finditer(out.decode())}

    def log(self, since: int = 0) -> str:
        """What it logged (from byte ``since``: a :meth:`log_mark`)."""
        try:
            with self.log_path.open("rb") as log:
                log.seek(since)
                return log.read().decode(errors="replace")
        except FileNotFoundError:
            return ""

    def log_mark(self) -> int:
        """The log's size now: :meth:`log` from here shows only what comes after."""
        try:
            return self.log_path.stat().st_size
        except FileNotFoundError:
            return 0

    async def stop(self) -> None:
        proc, self._process = self._process, None
        if proc is not None:
            await terminate(proc, 5)

    def remove(self) -> None:
        shutil.rmtree(self._dir, ignore_errors=True)

    async def __aenter__(self) -> KamailioProxy:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()
        self.remove()
