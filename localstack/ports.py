"""Free loopback ports for Asterisk instances, never fixed numbers.

SIP, HTTP and AMI ports come from the kernel's ephemeral range (bind to port
0, read the number, close). RTP ranges come from below that range so they
never collide with ephemeral ports handed out to anyone else, and each range
handed out by one allocator is distinct.
"""

from __future__ import annotations

import random
import socket

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


class PortAllocator:
    """Hands out free loopback ports; never the same port twice."""

    def __init__(self, *, rng: random.Random | None = None) -> None:
        self._given: set[int] = set()
        self._rng = rng or random.SystemRandom()

    def udp(self, host: str = LOOPBACK) -> int:
        """A UDP port on ``host`` (a loopback address) that was free a moment ago."""
        return self._free(socket.SOCK_DGRAM, host)

    def tcp(self, host: str = LOOPBACK) -> int:
        """A TCP port on ``host`` (a loopback address) that was free a moment ago."""
        return self._free(socket.SOCK_STREAM, host)

    def rtp_range(self, size: int = 200) -> tuple[int, int]:
        """An even-aligned ``(start, end)`` UDP range, free and distinct."""
        blocks = list(range(RTP_FLOOR, RTP_CEILING - size, size))
        self._rng.shuffle(blocks)
        for start in blocks:
            ports = range(start, start + size)
            if any(port in self._given for port in ports):
                continue
            if all(_bindable(port, socket.SOCK_DGRAM) for port in ports[::2]):
                self._given.update(ports)
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


def _bindable(port: int, kind: socket.SocketKind) -> bool:
    with socket.socket(socket.AF_INET, kind) as sock:
        try:
            sock.bind((LOOPBACK, port))
        except OSError:
            return False
    return True
