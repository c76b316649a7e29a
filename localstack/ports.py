"""Free loopback ports for Asterisk instances, never fixed numbers.

UDP ports (SIP) come from the kernel's ephemeral range (bind to port 0, read the
number, close). TCP listening ports (HTTP, AMI, FastAGI) and the RTP ranges come
from below that range, so no outgoing connection or socket can take them before
their listener binds; each one handed out is distinct.
"""

from __future__ import annotations

import random
import socket
from pathlib import Path

LOOPBACK = "127.0.0.1"


def loopback(host: int) -> str:
    """``127.0.0.<host>``: a stack can give each part its own loopback address (Linux
    routes all of 127.0.0.0/8 to ``lo``, no set-up needed)."""
    if not 1 <= host <= 254:
        raise ValueError(f"loopback host {host}: give 1 to 254")
    return f"127.0.0.{host}"


#: RTP ranges are carved out of [RTP_FLOOR, RTP_CEILING), under the Linux
#: ephemeral range (32768-60999).
RTP_FLOOR = 10000
RTP_CEILING = 32000
#: TCP listening ports come from [TCP_FLOOR, the ephemeral range's floor): TCP and UDP
#: ports are apart, so they never meet the RTP ranges (UDP).
TCP_FLOOR = 10000
#: TCP ports handed out by every allocator of this process.
_TCP_GIVEN: set[int] = set()
#: RTP ports handed out by every allocator of this process: two instances built with
#: their own allocators must never share a range (CI once drew the same block twice).
_RTP_GIVEN: set[int] = set()


class PortAllocator:
    """Hands out free loopback ports; never the same port twice."""

    def __init__(self, *, rng: random.Random | None = None) -> None:
        self._given: set[int] = set()
        self._rng = rng or random.SystemRandom()

    def udp(self, host: str = LOOPBACK) -> int:
        """A UDP port on ``host`` (a loopback address) that was free a moment ago."""
        return self._free(socket.SOCK_DGRAM, host)

    def tcp(self, host: str = LOOPBACK) -> int:
        """A TCP port on ``host`` (a loopback address) to listen on: free a moment ago,
        below the kernel's ephemeral range and never handed out twice in this process.

        An ephemeral port (bind to 0) can be taken between now and the listener's bind
        by any outgoing connection's source port: a test stack's Asterisk once found its
        AMI port so taken. Below the range, no connect() ever picks it."""
        ceiling = ephemeral_floor()
        for _ in range(500):
            port = self._rng.randrange(TCP_FLOOR, ceiling)
            if port in _TCP_GIVEN or not _bindable(port, socket.SOCK_STREAM, host):
                continue
            _TCP_GIVEN.add(port)
            return port
        raise OSError(f"no free TCP port between {TCP_FLOOR} and {ceiling}")

    def rtp_range(self, size: int = 200) -> tuple[int, int]:
        """An even-aligned ``(start, end)`` UDP range, free and not handed out before
        in this process, so instances built with their own allocators never share one.

        Only when every block has been handed out (a long test run) does it take one
        again, and then only a block whose ports are all free, its instance gone."""
        blocks = list(range(RTP_FLOOR, RTP_CEILING - size, size))
        self._rng.shuffle(blocks)
        for fresh_only in (True, False):
            for start in blocks:
                ports = range(start, start + size)
                if fresh_only and any(port in _RTP_GIVEN for port in ports):
                    continue
                probed = ports[::2] if fresh_only else ports  # a reused one: every port
                if all(_bindable(port, socket.SOCK_DGRAM) for port in probed):
                    _RTP_GIVEN.update(ports)
                    return start, start + size - 1
        raise OSError(f"no free RTP range of {size} ports between {RTP_FLOOR} and {RTP_CEILING}")

    def _free(self, kind: socket.SocketKind, host: str) -> int:
        for _ in range(50):
            with socket.socket(socket.AF_INET, kind) as sock:
                sock.bind((host, 0))
                port: int = sock.getsockname()[1]
            if port not in self._given:
                self._given.add(port)
                return port
        raise OSError("the kernel kept handing out ports already given")


def ephemeral_floor() -> int:
    """The lowest port the kernel hands out to outgoing connections (Linux's
    ``ip_local_port_range``; 32768 when it cannot be read)."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def _bindable(port: int, kind: socket.SocketKind, host: str = LOOPBACK) -> bool:
    with socket.socket(socket.AF_INET, kind) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True
