"""Kernel timestamps of SIP INVITEs on the loopback interface.

A raw ``AF_PACKET`` socket on ``lo`` with a classic BPF filter attached, so
the kernel hands us only the first copy (``PACKET_OUTGOING``) of UDP packets
to the given ports whose payload starts with ``INVITE``: no RTP, no other
SIP, no packet ever copied to Python that we do not need. Each packet carries
the kernel's ``SO_TIMESTAMPNS`` receive time (``CLOCK_REALTIME``, nanosecond
field, microsecond-or-better accuracy), so the figure does not depend on how
fast the harness reads. Needs root (``CAP_NET_RAW``); the stack needs root anyway.
"""

from __future__ import annotations

import ctypes
import re
import socket
import struct
import threading
from dataclasses import dataclass

ETH_P_ALL = 0x0003
SO_TIMESTAMPNS = 35
SO_ATTACH_FILTER = 26
#: Ancillary load of ``skb->pkt_type`` (SKF_AD_OFF + SKF_AD_PKTTYPE).
_AD_PKTTYPE = 0xFFFFF000 + 4
#: ``sll_pkttype`` of the copy loopback hands over as sent (each packet comes twice).
PACKET_OUTGOING = 4
_INVI = int.from_bytes(b"INVI", "big")

#: An INVITE's request line; its group is the Request-URI's user part.
INVITE_REQUEST = re.compile(rb"^INVITE sip:([^@;> ]+)@", re.MULTILINE)
_FROM = re.compile(rb"^(?:From|f)\s*:[^\r\n]*?sip:([^@;> ]+)@", re.MULTILINE | re.IGNORECASE)
_CALL_ID = re.compile(rb"^(?:Call-ID|i)\s*:\s*(\S+)", re.MULTILINE | re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Invite:
    """One INVITE seen on the wire (the first copy; retransmissions share its call id)."""

    time: float  # seconds since the epoch, kernel timestamp
    dst_port: int
    number: str  # the Request-URI's user part
    caller: str  # the From header's user part
    call_id: str


class _SockFilter(ctypes.Structure):
    _fields_ = (
        ("code", ctypes.c_uint16),
        ("jt", ctypes.c_uint8),
        ("jf", ctypes.c_uint8),
        ("k", ctypes.c_uint32),
    )


class _SockFprog(ctypes.Structure):
    _fields_ = (("len", ctypes.c_uint16), ("filter", ctypes.POINTER(_SockFilter)))


def invite_filter(ports: list[int]) -> list[tuple[int, int, int, int]]:
    """Classic BPF: outgoing copy, IPv4, UDP, unfragmented, dst port in ``ports``, "INVI"."""
    ld_w_abs, ld_h_abs, ld_b_abs = 0x20, 0x28, 0x30
    ldx_msh, ld_h_ind, ld_w_ind = 0xB1, 0x48, 0x40
    jeq, jset, ret = 0x15, 0x45, 0x06
    head: list[tuple[int, int | str, int | str, int]] = [
        (ld_w_abs, 0, 0, _AD_PKTTYPE),
        (jeq, 0, "drop", PACKET_OUTGOING),
        (ld_h_abs, 0, 0, 12),
        (jeq, 0, "drop", 0x0800),
        (ld_b_abs, 0, 0, 23),
        (jeq, 0, "drop", 17),
        (ld_h_abs, 0, 0, 20),
        (jset, "drop", 0, 0x1FFF),
        (ldx_msh, 0, 0, 14),
        (ld_h_ind, 0, 0, 16),
    ]
    for index, port in enumerate(ports):
        last = index == len(ports) - 1
        head.append((jeq, "payload", "drop" if last else 0, port))
    head += [
        (ld_w_ind, 0, 0, 22),  # payload: ethernet 14 + udp 8, after the IP header in X
        (jeq, "accept", "drop", _INVI),
    ]
    labels = {"payload": len(head) - 2, "accept": len(head), "drop": len(head) + 1}
    program = []
    for pc, (code, jt, jf, k) in enumerate(head):

        def rel(target: int | str, pc: int = pc) -> int:
            return target if isinstance(target, int) else labels[target] - pc - 1

        program.append((code, rel(jt), rel(jf), k))
    program += [(ret, 0, 0, 0xFFFF), (ret, 0, 0, 0)]
    return program


def parse_invite(payload: bytes, when: float, dst_port: int) -> Invite | None:
    request, sender, call_id = (rx.search(payload) for rx in (INVITE_REQUEST, _FROM, _CALL_ID))
    if request is None or sender is None or call_id is None:
        return None
    return Invite(when, dst_port, request[1].decode(), sender[1].decode(), call_id[1].decode())


class InviteCapture:
    """``with InviteCapture([port, ...]) as capture:`` ... ``capture.invites()``."""

    def __init__(self, ports: list[int]) -> None:
        self._ports = list(ports)
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._seen: list[Invite] = []
        self._call_ids: set[tuple[int, str]] = set()
        self.dropped = 0

    def __enter__(self) -> InviteCapture:
        sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        try:
            program = invite_filter(self._ports)
            array = (_SockFilter * len(program))(*(_SockFilter(*ins) for ins in program))
            fprog = _SockFprog(len(program), array)
            sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, bytes(fprog))
            sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
            sock.bind(("lo", 0))
            sock.settimeout(0.2)
        except BaseException:
            sock.close()
            raise
        self._sock = sock
        self._thread = threading.Thread(target=self._read, name="invite-capture", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(2.0)
        if self._sock is not None:
            self._sock.close()

    def _read(self) -> None:
        sock = self._sock
        assert sock is not None
        while not self._stop.is_set():
            try:
                data, ancillary, _flags, _addr = sock.recvmsg(65535, 64)
            except TimeoutError:
                continue
            except OSError:
                return
            when = kernel_time(ancillary)
            if when is None or len(data) < 42:
                self.dropped += 1
                continue
            ihl = (data[14] & 0x0F) * 4
            (dst_port,) = struct.unpack_from("!H", data, 14 + ihl + 2)
            invite = parse_invite(data[14 + ihl + 8 :], when, dst_port)
            if invite is None:
                self.dropped += 1
                continue
            with self._lock:
                key = (dst_port, invite.call_id)
                if key not in self._call_ids:  # a retransmission keeps the first time
                    self._call_ids.add(key)
                    self._seen.append(invite)

    def invites(self) -> list[Invite]:
        with self._lock:
            return list(self._seen)


def kernel_time(ancillary: list[tuple[int, int, bytes]]) -> float | None:
    """The kernel's ``SO_TIMESTAMPNS`` time of a packet read with ``recvmsg``, if given."""
    for level, kind, data in ancillary:
        if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(data) >= 16:
            seconds, nanoseconds = struct.unpack_from("qq", data)
            return float(seconds + nanoseconds / 1e9)
    return None
