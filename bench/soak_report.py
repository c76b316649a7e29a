"""What the soak found: every call joined to its landing and its record, and the figures.

A call is keyed by its caller number (unique per call): SIPp's log says
whether it was answered and completed, the carrier's observations where it
was answered, the ``call_records`` table what the product wrote. A call is

* **routed** when SIPp completed it and the carrier answered it exactly once,
  at the primary for the number dialed or at the continuity destination;
* **misrouted** when it was answered anywhere else, more than once, or by
  nobody at the carrier (SIPp was answered by something else);
* **lost** when SIPp did not complete it (failed, or cut during its hold),
  with SIPp's reason and how far it got. A lost call whose life overlaps the
  Asterisk restart (from its INVITE to its expected end) is counted apart:
  the goal excuses those.

Records: every call that reached the carrier should have exactly one record
saying where it landed; a missing one is a **lost record**, two a **doubled**.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bench.capture import Invite
from bench.soak_app import Usage
from bench.soak_faults import FaultEvent
from bench.stats import percentile
from continuity.core.records import CallRecord
from localstack.sipp import SippCallLog
from localstack.sipp_ledger import Landing

#: After Asterisk is back and the app connected, calls still lost this soon are the restart's.
RESTART_GRACE = 3.0


@dataclass(frozen=True, slots=True)
class LostCall:
    caller: str
    placed: float
    answered: bool
    cause: str
    in_restart: bool


@dataclass
class CallFigures:
    placed: int = 0
    answered: int = 0
    routed: int = 0
    misrouted: list[str] = field(default_factory=list)
    lost: list[LostCall] = field(default_factory=list)
    landed: Counter[str] = field(default_factory=Counter)
    #: Callers whose call was up, or being set up, while Asterisk restarted.
    at_restart: set[str] = field(default_factory=set)

    @property
    def lost_outside_restart(self) -> list[LostCall]:
        return [c for c in self.lost if not c.in_restart]


@dataclass
class RecordFigures:
    expected: int = 0
    found: int = 0
    lost: list[str] = field(default_factory=list)
    doubled: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)
    paths: Counter[str] = field(default_factory=Counter)
    #: Problems of calls that were up while Asterisk restarted (counted apart).
    at_restart: list[str] = field(default_factory=list)


def restart_window(faults: Sequence[FaultEvent]) -> tuple[float, float] | None:
    restarts = [e for e in faults if e.name == "asterisk_restart"]
    if not restarts:
        return None
    return restarts[0].start, (restarts[0].end or restarts[0].start) + RESTART_GRACE


def classify_calls(
    calls: Mapping[str, SippCallLog],
    landings: Mapping[str, list[Landing]],
    allowed: set[Landing],
    window: tuple[float, float] | None,
    hold: float,
    recv_timeout: float,
) -> CallFigures:
    figures = CallFigures(placed=len(calls))
    for caller, call in sorted(calls.items(), key=lambda item: item[1].placed):
        legs = landings.get(caller, [])
        figures.answered += call.answered is not None
        setup = (call.answered - call.placed) if call.answered else recv_timeout
        ends = call.completed or call.placed + setup + hold
        in_restart = window is not None and call.placed <= window[1] and ends >= window[0]
        if in_restart:
            figures.at_restart.add(caller)
        if call.completed is None:
            how = "answered, then cut" if call.answered else "never answered"
            where = (
                f"; the carrier answered it at {legs}"
                if legs
                else "; the carrier never answered it"
            )
            figures.lost.append(
                LostCall(caller, call.placed, call.answered is not None,
                         f"{how}: {call.failure or 'no reason from SIPp'}{where}", in_restart)
            )  # fmt: skip
            continue
        if len(legs) != 1 or legs[0] not in allowed:
            figures.misrouted.append(f"{caller}: answered at {legs or 'nobody at the carrier'}")
            continue
        figures.routed += 1
        figures.landed[f"{legs[0][0]}:{legs[0][1]}"] += 1
    return figures


def check_records(
    records: Sequence[CallRecord],
    expected: set[str],
    landings: Mapping[str, list[Landing]],
    at_restart: set[str],
) -> RecordFigures:
    """``expected``: the callers that reached the carrier (each owes exactly one record).
    Problems of ``at_restart`` callers go to :attr:`RecordFigures.at_restart`."""
    by_caller = Counter(r.caller_number for r in records)
    figures = RecordFigures(expected=len(expected), found=len(records))

    def note(caller: str, problem: str, into: list[str]) -> None:
        (figures.at_restart if caller in at_restart else into).append(problem)

    for caller in sorted(expected):
        if by_caller[caller] == 0:
            note(caller, f"{caller}: no record", figures.lost)
    for caller, n in sorted(by_caller.items()):
        if n > 1:
            note(caller, f"{caller}: {n} records", figures.doubled)
    for r in records:
        figures.paths[str(r.path)] += 1
        legs = landings.get(r.caller_number, [])
        truth = legs[-1] if legs else (None, None)
        if (r.answered_kind, r.answered_target) != truth:
            problem = (
                f"{r.caller_number}: record {r.path} {r.outcome}"
                f" {r.answered_kind}/{r.answered_target}, carrier answered {legs or 'nothing'}"
            )
            note(r.caller_number, problem, figures.wrong)
    return figures


def post_dial_delays(
    invites: Sequence[Invite], pbx_port: int, trunk_ports: set[int]
) -> dict[str, tuple[float, float]]:
    """Per caller: (time of its INVITE to the pbx, seconds until the pbx's last INVITE to
    a trunk for it: the destination that answered, after any that failed first)."""
    into: dict[str, float] = {}
    out: dict[str, float] = {}
    for invite in invites:
        if invite.dst_port == pbx_port:
            into.setdefault(invite.caller, invite.time)
        elif invite.dst_port in trunk_ports:
            out[invite.caller] = max(invite.time, out.get(invite.caller, 0.0))
    return {c: (t, out[c] - t) for c, t in into.items() if c in out and out[c] >= t}


def pdd_windows(
    delays: Mapping[str, tuple[float, float]], t0: float, window: float
) -> list[dict[str, Any]]:
    """p50 and p99 of the post-dial delay (ms) per ``window`` seconds of calling, with the
    window's three slowest calls (caller, seconds after the first call, ms)."""
    buckets: dict[int, list[tuple[float, float, str]]] = {}
    for caller, (start, delay) in delays.items():
        at = max(0.0, start - t0)
        buckets.setdefault(int(at // window), []).append((delay * 1000, at, caller))
    found = []
    for i, calls in sorted(buckets.items()):
        ms = [c[0] for c in calls]
        slowest = sorted(calls, reverse=True)[:3]
        found.append(
            {"from_s": i * window, "to_s": (i + 1) * window, "calls": len(calls),
             "p50_ms": round(percentile(ms, 50), 1), "p99_ms": round(percentile(ms, 99), 1),
             "slowest": [[c, round(at, 1), round(d, 1)] for d, at, c in slowest]}
        )  # fmt: skip
    return found


def slope(points: Sequence[tuple[float, float]]) -> float:
    """Least-squares slope of (x, y) points; NaN for fewer than two distinct x."""
    n = len(points)
    if n < 2:
        return math.nan
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    if sxx == 0:
        return math.nan
    return sum((x - mx) * (y - my) for x, y in points) / sxx


def usage_figures(samples: Sequence[Usage]) -> dict[str, Any]:
    """RSS and fds per run of the app (pid), with least-squares slopes per minute for the
    longest run, over all of it and over its second half (after warm-up)."""
    runs: dict[int, list[Usage]] = {}
    for s in samples:
        runs.setdefault(s.pid, []).append(s)
    longest = max(runs.values(), key=len, default=[])
    half = longest[len(longest) // 2 :]

    def per_minute(run: Sequence[Usage], value: str) -> float | None:
        found = (
            slope([((s.time - run[0].time) / 60, float(getattr(s, value))) for s in run])
            if run
            else math.nan
        )
        return None if math.isnan(found) else round(found, 3)

    return {
        "runs": len(runs),
        "longest_run_pid": longest[0].pid if longest else None,
        "longest_run_minutes": round((longest[-1].time - longest[0].time) / 60, 2)
        if longest else 0,
        "rss_mib_slope_per_min": _mib(per_minute(longest, "rss_kib")),
        "rss_mib_slope_per_min_second_half": _mib(per_minute(half, "rss_kib")),
        "fds_slope_per_min": per_minute(longest, "fds"),
        "fds_slope_per_min_second_half": per_minute(half, "fds"),
        "rss_mib_first_last": [round(s.rss_kib / 1024, 1) for s in (longest[0], longest[-1])]
        if longest else [],
        "fds_first_last": [longest[0].fds, longest[-1].fds] if longest else [],
    }  # fmt: skip


def _mib(kib: float | None) -> float | None:
    return None if kib is None else round(kib / 1024, 3)
