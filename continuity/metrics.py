"""Prometheus metrics: one registry per app, no global state.

Call metrics are derived from each :class:`CallRecord` as it is written (the
composition root wraps the recorder, and has the call trace's ingester report the
records of calls the generated dialplan dialed for the app), so they count exactly
the calls the call log holds. Everything else is read at scrape time from the objects that own it,
through :class:`StateCollector`: nothing here polls.

Naming follows Prometheus conventions: the ``continuity_`` prefix, base units
(seconds), ``_total`` on counters. No label ever carries a phone number: routes
are destination kinds and outcomes are the call log's fixed vocabulary.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from continuity.core.outcome import Outcome
from continuity.core.records import CallRecord

#: Post-dial delay buckets, seconds: the app's own routing time (milliseconds) up to a
#: primary that rang out its whole ``primary_timeout`` before the call failed over.
PDD_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0)

_Labelled = TypeVar("_Labelled", Counter, Histogram)

HANDED_TO_FALLBACK = Outcome.HANDED_TO_FALLBACK.value
NO_ROUTE = "none"


def route_of(record: CallRecord) -> str:
    """The kind of destination that took the call (answered it, or was handed it),
    else the last one tried, else ``none``."""
    if record.answered_kind:
        return record.answered_kind
    if record.attempts:
        return record.attempts[-1].kind
    return NO_ROUTE


def failover_reasons(record: CallRecord) -> list[str]:
    """One entry per step from a destination to the next: why the earlier one was left."""
    return [attempt.result for attempt in record.attempts[:-1]]


def post_dial_delay(record: CallRecord) -> float | None:
    """Seconds from the caller's arrival until the destination that took the call was
    dialed: the app's routing time, plus every failed destination before it. A call
    handed to voicemail counts until the destination before it failed (the record
    does not time the hand-over itself); one sent there first has none."""
    for index, attempt in enumerate(record.attempts):
        if attempt.result == Outcome.ANSWERED:
            when = attempt.started_at
        elif attempt.result == Outcome.HANDED_OVER:
            when = record.attempts[index - 1].ended_at if index else ""
        else:
            continue
        if not when:
            return None
        try:
            started = dt.datetime.fromisoformat(when)
        except ValueError:
            return None
        return max(0.0, (started - record.started_at).total_seconds())
    return None


class CallMetrics:
    """Counters and the post-dial delay histogram, fed one call record at a time."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.calls = Counter(
            "continuity_calls",
            "Calls that ended, by the kind of destination that took them and the outcome.",
            ["route", "outcome"],
            registry=registry,
        )
        self.failover_steps = Counter(
            "continuity_failover_steps",
            "Steps from one destination to the next, by why the earlier one was left "
            "(congestion, noanswer, failed, busy...).",
            ["reason"],
            registry=registry,
        )
        self.plans = Counter(
            "continuity_call_plans",
            "Calls by why their route plan was chosen (normal, continuity, outage, "
            "test_mode, unknown_number).",
            ["reason"],
            registry=registry,
        )
        self.handoffs = Counter(
            "continuity_overload_handoffs",
            "New callers handed to the generated fallback dialplan because the app or "
            "Asterisk was behind.",
            registry=registry,
        )
        self.post_dial_delay = Histogram(
            "continuity_post_dial_delay_seconds",
            "Seconds from the caller's arrival until the destination that took the call "
            "was dialed, by that destination's kind.",
            ["route"],
            buckets=PDD_BUCKETS,
            registry=registry,
        )
        self._children: dict[tuple[Counter | Histogram, tuple[str, ...]], Any] = {}

    def observe(self, record: CallRecord) -> None:
        route = route_of(record)
        self._child(self.calls, route, record.outcome).inc()
        self._child(self.plans, record.reason).inc()
        for reason in failover_reasons(record):
            self._child(self.failover_steps, reason).inc()
        if record.outcome == HANDED_TO_FALLBACK:
            self.handoffs.inc()
        delay = post_dial_delay(record)
        if delay is not None:
            self._child(self.post_dial_delay, route).observe(delay)

    def _child(self, metric: _Labelled, *values: str) -> _Labelled:
        """``metric.labels(*values)``, looked up once: the labels' few values repeat
        call after call, and ``labels()`` takes a lock and checks them each time."""
        key = (metric, values)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metric.labels(*values)
        return child


@dataclass(frozen=True, slots=True)
class Probes:
    """Read-only views of the running app's state, each a cheap callable.

    The composition root fills them in from the objects that own the state."""

    calls_in_progress: Callable[[], int]
    records_spooled: Callable[[], int]
    state_version: Callable[[], int]
    #: Unix time the routing state in use was loaded (None: never).
    state_loaded_at: Callable[[], float | None]
    state_from_database: Callable[[], bool]
    outage_open: Callable[[], bool]
    #: Unix time the open outage started (None: none open).
    outage_started_at: Callable[[], float | None]
    primary_skipped: Callable[[], bool]
    ari_connected: Callable[[], bool]
    ari_reconnects: Callable[[], int]
    ami_connected: Callable[[], bool]
    ami_reconnects: Callable[[], int]
    #: Whether this node leads (outage journal and notices run on the leader only).
    leads: Callable[[], bool] = lambda: True
    #: WebSocket messages exchanged with ARI since start: (received, sent).
    ari_messages: Callable[[], tuple[int, int]] = lambda: (0, 0)
    #: The ARI app's kept bridges by state (held, emptying, free).
    ari_bridges: Callable[[], Mapping[str, int]] = dict
    #: Kept bridges the sweep destroyed, a channel still in them after their call.
    ari_bridges_swept: Callable[[], int] = lambda: 0


def _gauge(name: str, doc: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, doc, value=value)


class StateCollector(Collector):
    """Gauges (and two counters kept by others) read from :class:`Probes` at scrape time."""

    def __init__(self, probes: Probes, clock: Callable[[], float] = time.time) -> None:
        self._p = probes
        self._clock = clock

    def collect(self) -> Iterator[Metric]:
        p = self._p
        yield _gauge(
            "continuity_calls_in_progress",
            "Calls the ARI app is handling now.",
            p.calls_in_progress(),
        )
        yield _gauge(
            "continuity_call_records_spooled",
            "Call records waiting on local disk for PostgreSQL.",
            p.records_spooled(),
        )
        yield _gauge(
            "continuity_routing_state_version",
            "Version of the routing state calls are routed with.",
            p.state_version(),
        )
        loaded = p.state_loaded_at()
        yield _gauge(
            "continuity_routing_state_loaded_timestamp_seconds",
            "Unix time the routing state in use was loaded (0: never).",
            loaded or 0.0,
        )
        yield _gauge(
            "continuity_routing_state_age_seconds",
            "Seconds since the routing state in use was loaded; it is reloaded on every "
            "change, so it grows while nothing changes or while PostgreSQL is away.",
            max(0.0, self._clock() - loaded) if loaded else 0.0,
        )
        yield _gauge(
            "continuity_routing_state_from_database",
            "1 once the routing state came from PostgreSQL; 0 while it is the disk cache's.",
            float(p.state_from_database()),
        )
        started = p.outage_started_at()
        yield _gauge(
            "continuity_outage",
            "1 while an outage of the primary trunk is declared, else 0.",
            float(p.outage_open()),
        )
        yield _gauge(
            "continuity_outage_start_time_seconds",
            "Unix time the current primary trunk outage started (0: no outage).",
            started or 0.0,
        )
        yield _gauge(
            "continuity_primary_skipped",
            "1 while routing skips the primary trunk (an outage in auto mode, or an "
            "operator's override), else 0.",
            float(p.primary_skipped()),
        )
        yield _gauge(
            "continuity_ari_connected",
            "1 while the ARI event WebSocket is connected.",
            float(p.ari_connected()),
        )
        yield CounterMetricFamily(
            "continuity_ari_reconnects",
            "ARI event WebSocket connections after the first.",
            value=p.ari_reconnects(),
        )
        received, sent = p.ari_messages()
        messages = CounterMetricFamily(
            "continuity_ari_websocket_messages",
            "WebSocket messages exchanged with ARI: events and REST replies received,"
            " REST requests sent.",
            labels=["direction"],
        )
        messages.add_metric(["received"], received)
        messages.add_metric(["sent"], sent)
        yield messages
        bridges = GaugeMetricFamily(
            "continuity_ari_bridges",
            "The ARI app's mixing bridges, kept from call to call: held by a call,"
            " emptying after their call's end, or free for the next call.",
            labels=["state"],
        )
        for state, count in sorted(p.ari_bridges().items()):
            bridges.add_metric([state], count)
        yield bridges
        yield CounterMetricFamily(
            "continuity_ari_bridges_swept",
            "Kept bridges destroyed because a channel was still in them 5 s after their"
            " call ended (hung up by the sweep; each one a hangup handler that did not act"
            " or an event lost).",
            value=p.ari_bridges_swept(),
        )
        yield _gauge(
            "continuity_ami_connected",
            "1 while the AMI session that watches trunk health is logged in.",
            float(p.ami_connected()),
        )
        yield CounterMetricFamily(
            "continuity_ami_reconnects",
            "AMI logins after the first.",
            value=p.ami_reconnects(),
        )
        yield _gauge(
            "continuity_leader",
            "1 while this node leads the nodes sharing the database (outage detection's "
            "journal and notices run there), else 0.",
            float(p.leads()),
        )


class Metrics:
    """The app's registry: call metrics plus the state collector."""

    def __init__(self, probes: Probes) -> None:
        self.registry = CollectorRegistry()
        self.calls = CallMetrics(self.registry)
        self.registry.register(StateCollector(probes))

    def render(self) -> bytes:
        """The Prometheus text exposition of every metric."""
        return generate_latest(self.registry)
