"""Logging: text or JSON lines, the call id on every line about a call, quiet storms.

The call id lives in a context variable. The composition root sets it around
the handling of each ARI event (all of one call's events share a key), so every
line logged meanwhile, by any module, carries it; :class:`CallIdFilter` copies it
onto the record. One INFO line per call, at its end, comes from
:func:`log_call_end`, called where the call record is written.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import json
import logging
import sys
import time
from collections.abc import Awaitable, Callable, Hashable, Iterator
from typing import Any, TextIO, TypeVar

from continuity.core.records import CallRecord

log = logging.getLogger("continuity.calls")

#: The call the current task is handling, or None.
CALL_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar("call_id", default=None)

#: Loggers whose repeated lines are rate-limited: connection loss and retries.
STORM_LOGGERS = (
    "continuity.ari_app.client.stream",
    "continuity.agi.ami_monitor",
    "panoramisk",
    "psycopg.pool",
    "continuity.snapshot",
    "continuity.recorder",
    "continuity.db.listener",
)

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s:%(call)s %(message)s"

E = TypeVar("E")


@contextlib.contextmanager
def call_context(call_id: str | None) -> Iterator[None]:
    """Lines logged inside are about call ``call_id``."""
    token = CALL_ID.set(call_id)
    try:
        yield
    finally:
        CALL_ID.reset(token)


def with_call_id(
    handler: Callable[[E], Awaitable[None]], key: Callable[[E], Hashable]
) -> Callable[[E], Awaitable[None]]:
    """Wrap an event handler: each event is handled inside its call's context."""

    async def handle(event: E) -> None:
        call = key(event)
        with call_context(str(call) if call is not None else None):
            await handler(event)

    return handle


class CallIdFilter(logging.Filter):
    """Puts ``call_id`` (or None) on every record; ``call`` is its text form for formats."""

    def filter(self, record: logging.LogRecord) -> bool:
        call_id = getattr(record, "call_id", None) or CALL_ID.get()
        record.call_id = call_id
        record.call = f" [call {call_id}]" if call_id else ""
        return True


class StormFilter(logging.Filter):
    """Lets ``burst`` lines of one kind (logger + message template) through per
    ``window`` seconds from the reconnect-prone loggers, then one summary."""

    def __init__(
        self,
        burst: int = 3,
        window: float = 60.0,
        loggers: tuple[str, ...] = STORM_LOGGERS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self._burst = burst
        self._window = window
        self._loggers = loggers
        self._clock = clock
        #: (logger, template) -> (window start, lines seen in it)
        self._seen: dict[tuple[str, str], tuple[float, int]] = {}
        #: logger name -> whether it is one of ``loggers`` (or below one)
        self._watching: dict[str, bool] = {}

    def _watched(self, name: str) -> bool:
        watched = self._watching.get(name)
        if watched is None:  # once per logger: every call's line passes here
            watched = any(name == n or name.startswith(n + ".") for n in self._loggers)
            self._watching[name] = watched
        return watched

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._watched(record.name):
            return True
        key = (record.name, str(record.msg))
        now = self._clock()
        start, count = self._seen.get(key, (now, 0))
        if now - start >= self._window:
            suppressed = count - self._burst
            start, count = now, 0
            if suppressed > 0:
                record.msg = f"{record.msg} (and {suppressed} more like it in the last %.0f s)"
                record.args = (*_args(record), self._window)
        count += 1
        self._seen[key] = (start, count)
        if len(self._seen) > 1000:
            self._seen.clear()
        return count <= self._burst


def _args(record: logging.LogRecord) -> tuple[Any, ...]:
    if isinstance(record.args, tuple):
        return record.args
    return () if record.args is None else (record.args,)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, call_id, exception."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        call_id = getattr(record, "call_id", None)
        if call_id:
            data["call_id"] = call_id
        for name in ("dialed", "route", "outcome", "duration_seconds"):
            if hasattr(record, name):
                data[name] = getattr(record, name)
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False)


def configure_logging(level: str, fmt: str, stream: TextIO | None = None) -> logging.Handler:
    """Replace the root logger's handlers with one: ``text`` or ``json`` lines.

    Neither format shows where a line was logged from, nor its thread or process, so
    records skip finding them (the logging HOWTO's "Optimization"): a third of the
    cost of the one line every call logs (issue 13)."""
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.addFilter(CallIdFilter())
    handler.addFilter(StormFilter())
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per ARI request is noise
    logging.getLogger("panoramisk").setLevel(logging.WARNING)  # a line per AMI login too
    return handler


def route_taken(record: CallRecord) -> str:
    """``primary:congestion > external:answered``, or ``none``."""
    return " > ".join(f"{a.kind}:{a.result}" for a in record.attempts) or "none"


def log_call_end(record: CallRecord) -> None:
    """The one INFO line per call, at its end (the caller's number is not in it)."""
    route = route_taken(record)
    duration = (record.ended_at - record.started_at).total_seconds()
    log.info(
        "call ended: dialed %s, route %s, outcome %s, %.2f s",
        record.tracking_number,
        route,
        record.outcome,
        duration,
        extra={
            "call_id": record.call_id,
            "dialed": record.tracking_number,
            "route": route,
            "outcome": record.outcome,
            "duration_seconds": round(duration, 3),
        },
    )
