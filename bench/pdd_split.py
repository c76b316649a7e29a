"""``python -m bench.pdd_split``: where an ARI call's post-dial delay goes, on the wire.

Run it beside a benchmark that sends ARI calls which leave Stasis with a ``continue``
(``python -m bench --figures pdd --dialing dialplan``, or ``python -m bench.ari_floor
--flows continue``): for ``--seconds`` it reads every packet on ``lo`` with the kernel's
timestamps, as ``bench.capture`` does, and splits each such call's post-dial delay in
three, matched by the dialed number:

* **pbx, to Stasis**: the caller's INVITE in to the ``StasisStart`` frame the app gets;
* **app**: that frame to the app's next frame out (its ``continue``);
* **pbx, to the dial**: the ``continue`` to the INVITE out to the number.

Needs root (a raw socket). It reads every packet on ``lo``, RTP included, so it takes
CPU of its own while it runs: compare splits made the same way, not with the bench's
figures.
"""

from __future__ import annotations

import argparse
import re
import socket
import struct
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.capture import ETH_P_ALL, INVITE_REQUEST, PACKET_OUTGOING, SO_TIMESTAMPNS, kernel_time
from bench.options import RESULTS, write_results
from bench.stats import percentile

_EXTEN = re.compile(rb'"exten":"(\+?\d+)"')


@dataclass(frozen=True, slots=True)
class Packet:
    time: float
    kind: str  # "invite", "stasis-start" or "tcp" (any other TCP payload)
    number: bytes
    src: int
    dst: int


def read(seconds: float) -> list[Packet]:
    """The INVITEs, ``StasisStart`` frames and other TCP payloads sent on ``lo``."""
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    seen: list[Packet] = []
    with sock:
        sock.bind(("lo", 0))
        sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 << 20)
        sock.settimeout(0.2)
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            try:
                data, ancillary, _flags, address = sock.recvmsg(65535, 64)
            except TimeoutError:
                continue
            when = kernel_time(ancillary)
            if address[2] != PACKET_OUTGOING or when is None or data[14] >> 4 != 4:
                continue
            packet = _packet(data[14:], when)
            if packet is not None:
                seen.append(packet)
    return seen


def _packet(ip: bytes, when: float) -> Packet | None:
    header, protocol = (ip[0] & 0x0F) * 4, ip[9]
    src, dst = struct.unpack_from("!HH", ip, header)
    if protocol == socket.IPPROTO_UDP:
        found = INVITE_REQUEST.match(ip[header + 8 :])
        return Packet(when, "invite", found.group(1), src, dst) if found else None
    if protocol != socket.IPPROTO_TCP:
        return None
    payload = ip[header + (ip[header + 12] >> 4) * 4 :]
    if not payload:
        return None
    if b'"StasisStart"' in payload:
        exten = _EXTEN.search(payload)
        return Packet(when, "stasis-start", exten.group(1) if exten else b"", src, dst)
    return Packet(when, "tcp", b"", src, dst)


def split(packets: list[Packet]) -> dict[str, list[float]]:
    """Each call's three parts, milliseconds (calls missing a packet are left out)."""
    parts: dict[str, list[float]] = {"to_stasis_ms": [], "app_ms": [], "to_dial_ms": []}
    for start in (p for p in packets if p.kind == "stasis-start"):
        invite_in = next(
            (p for p in packets if p.kind == "invite" and p.number == start.number
             and start.time - 0.5 < p.time < start.time),
            None,
        )  # fmt: skip
        reply = next(
            (p for p in packets if p.kind == "tcp" and p.src == start.dst
             and p.dst == start.src and p.time > start.time),
            None,
        )  # fmt: skip
        if invite_in is None or reply is None:
            continue
        invite_out = next(
            (p for p in packets if p.kind == "invite" and p.number == start.number
             and reply.time < p.time < reply.time + 0.5),
            None,
        )  # fmt: skip
        if invite_out is None:
            continue
        parts["to_stasis_ms"].append((start.time - invite_in.time) * 1000)
        parts["app_ms"].append((reply.time - start.time) * 1000)
        parts["to_dial_ms"].append((invite_out.time - reply.time) * 1000)
    return parts


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.pdd_split", description=__doc__)
    parser.add_argument("--seconds", type=float, default=15.0, help="how long to read (15)")
    parser.add_argument("--label", default="", help="a name for the results file")
    parser.add_argument("--out", type=Path, default=RESULTS, help="results folder")
    args = parser.parse_args(argv)
    if args.seconds <= 0:
        parser.error("--seconds must be above 0")
    parts = split(read(args.seconds))
    calls = len(parts["app_ms"])
    if not calls:
        print("no call left Stasis with a continue meanwhile", file=sys.stderr)
        return 1
    summary: dict[str, object] = {"calls": calls}
    for name, values in parts.items():
        p50, p90 = percentile(values, 50), percentile(values, 90)
        summary[name] = {"p50": p50, "p90": p90}
        print(f"{name}: p50 {p50:.2f} ms, p90 {p90:.2f} ms ({calls} calls)", file=sys.stderr)
    write_results(args.out, f"pdd-split{'-' + args.label if args.label else ''}", summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
