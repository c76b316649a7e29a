"""Render the Asterisk files the product owns, and write them atomically.

Every value that reaches a generated file passes one of the checks below:
extension names and mailboxes must match a strict grammar, dial strings are
checked and their ``;`` escaped, and free text (labels) only ever lands in a
comment, reduced to characters no parser reads as syntax. A value that fails
a check stops the render: the previous file stays in place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from continuity import names
from continuity.config import REJECT_REASONS, UnknownNumberPolicy
from continuity.core.causes import NO_ANSWER_CAUSE
from continuity.core.hours import DAYS, Schedule
from continuity.core.model import DestinationKind, Snapshot, TrunkHealth
from continuity.core.records import RoutedBy
from continuity.core.redirecting import RedirectReason
from continuity.core.routing import plan_route
from continuity.core.static_route import (
    ARG_SEPARATOR,
    CAUSE_SEPARATOR,
    RING_TIMEOUT_CAUSE,
    UNAVAILABLE_CAUSE,
    DialStep,
    StaticRoute,
    dialplan_label,
    static_route,
)
from continuity.core.verification import CODE_DIGITS, READ_TIMEOUT
from continuity.dialplan_templates.environment import constants, environment

#: Every value written into dialplan must match this: no separators, no ``${``,
#: no newlines, nothing Asterisk's config parser or expression engine reads.
_SAFE = re.compile(r"[A-Za-z0-9+@:._/-]+\Z")
#: An extension we write for a tracking number: E.164 digits only. ``_`` would
#: make it a pattern, ``/`` a caller-id match, anything else is not a number.
_NUMBER_PATTERN = "[+]?[0-9]{1,20}"
_NUMBER = re.compile(_NUMBER_PATTERN + r"\Z")
#: A mailbox is a line id: it names an extension and an app_voicemail box.
_MAILBOX = re.compile(r"[a-z0-9][a-z0-9-]{0,39}\Z")
#: A Dial() resource. ``;`` (SIP URI parameters) is written escaped as ``\;``;
#: ``,`` ``&`` ``(`` ``)`` ``$`` ``[`` and whitespace never pass.
_DIAL = re.compile(r"[A-Za-z0-9+@:._/=;-]{1,300}\Z")
#: The redirecting handler's arguments: E.164 numbers, a reason, a URI-encoded
#: prefix, separated by ``^``. Nothing else (no ``,`` ``(`` ``)`` ``$`` or space).
_REDIRECT = re.compile(r"[A-Za-z0-9+%^._-]{0,200}\Z")
#: What survives of free text in a comment; everything else becomes ``?``.
_COMMENT_UNSAFE = re.compile(r"[^A-Za-z0-9 _.,'+@/:&-]")
_COMMENT_MAX = 60
#: A destination as the call trace names it: ``kind/target``, the target URL-quoted.
_TOKEN = re.compile(r"[a-z_]+/[A-Za-z0-9_.~%-]*\Z")


class UnsafeValue(ValueError):
    def __init__(self, what: str, value: str, allowed: str) -> None:
        super().__init__(
            f"refusing to write {what} {value!r} into dialplan: {allowed}. The previous "
            "generated files stay in place; correct the value (`continuity number list`, "
            "`continuity line list`) and apply again"
        )
        self.what = what
        self.value = value


def _safe(what: str, value: str) -> str:
    if not _SAFE.match(value):
        raise UnsafeValue(what, value, "only letters, digits and + @ : . _ / - are allowed")
    return value


def _number(value: str) -> str:
    if not _NUMBER.match(value):
        raise UnsafeValue("tracking number", value, "it must be E.164 digits, e.g. +12125550101")
    return value


def _mailbox(value: str) -> str:
    if not _MAILBOX.match(value):
        raise UnsafeValue("mailbox", value, "it must be a line id: a-z, 0-9 and -")
    return value


def _dial(value: str) -> str:
    if not _DIAL.match(value):
        raise UnsafeValue(
            "dial string", value, "only letters, digits and + @ : . _ / = ; - are allowed"
        )
    return value.replace(";", "\\;")


def _redirect(value: str) -> str:
    if not _REDIRECT.match(value):
        raise UnsafeValue(
            "redirecting arguments", value, "only E.164 numbers, reasons and ^ are allowed"
        )
    return value


def _token(value: str) -> str:
    if not _TOKEN.match(value):
        raise UnsafeValue("destination", value, "it must be kind/quoted-target")
    return value


def comment(text: str) -> str:
    """``text`` reduced to one line no config parser reads as anything but a comment."""
    cleaned = _COMMENT_UNSAFE.sub("?", " ".join(text.split()))
    if len(cleaned) > _COMMENT_MAX:
        cleaned = cleaned[: _COMMENT_MAX - 3] + "..."
    return cleaned


@dataclass(frozen=True, slots=True)
class FallbackStep:
    dial: str
    timeout: int
    #: Q.850 causes that move on, as FIELDNUM() reads them; ``None``: any failure does.
    causes: str | None
    #: The destination, as the call trace records where the call landed.
    token: str
    #: The redirecting pre-dial handler's arguments; empty: the leg carries none.
    redirect: str = ""


@dataclass(frozen=True, slots=True)
class FallbackChain:
    reason: str
    steps: tuple[FallbackStep, ...]
    mailbox: str | None


@dataclass(frozen=True, slots=True)
class FallbackHours:
    """How the fallback tells in hours from out of hours, and the chain out of hours."""

    schedule: str
    timezone: str
    #: Local dates closed all day, as STRFTIME(%Y-%m-%d) writes them.
    holidays: tuple[str, ...]
    #: GotoIfTime's ``times,weekdays,mdays,months`` of each open range and day.
    checks: tuple[str, ...]
    closed: FallbackChain


@dataclass(frozen=True, slots=True)
class FallbackRoute:
    number: str
    reason: str
    label: str
    steps: tuple[FallbackStep, ...]
    #: The line's mailbox, if the chain ends in voicemail.
    mailbox: str | None
    #: The number's line, for the call trace.
    line: str | None
    #: Set when the chain differs out of the line's business hours.
    hours: FallbackHours | None = None


def _step(step: DialStep) -> FallbackStep:
    return FallbackStep(
        _dial(step.dial),
        int(step.timeout),
        step.failover_causes,
        _token(step.token),
        _redirect(step.redirect),
    )


def _chain(route: StaticRoute) -> FallbackChain:
    return FallbackChain(
        route.reason.value,
        tuple(_step(step) for step in route.dials),
        _mailbox(route.mailbox) if route.mailbox is not None else None,
    )


def _gotoiftime(schedule: Schedule) -> tuple[str, ...]:
    """One check per open range and day. Asterisk's ranges include their end minute,
    ours exclude it: 09:00-17:00 is written 09:00-16:59."""
    checks: list[str] = []
    for r in schedule.ranges:
        last = r.end - 1
        times = f"{r.start // 60:02d}:{r.start % 60:02d}-{last // 60:02d}:{last % 60:02d}"
        checks.extend(f"{times},{DAYS[day]},*,*" for day in r.days)
    return tuple(checks)


def _hours(snapshot: Snapshot, number: str, closed: StaticRoute) -> FallbackHours:
    line = snapshot.line_of(snapshot.numbers[number])
    schedule = snapshot.schedule_of(line) if line is not None else None
    if schedule is None:  # plan_route closes only lines that have a schedule
        raise UnsafeValue("schedule", number, "the number's line has no schedule")
    return FallbackHours(
        _safe("schedule name", schedule.name),
        _safe("time zone", schedule.timezone),
        tuple(d.isoformat() for d in schedule.holidays),
        _gotoiftime(schedule),
        _chain(closed),
    )


def fallback_routes(
    snapshot: Snapshot,
    dial_timeout: int,
    health: TrunkHealth | None = None,
    only: set[str] | None = None,
) -> list[FallbackRoute]:
    """Each number's chain as the ARI app would route it now, as dial steps; a number
    whose chain differs out of business hours gets both, and the checks between them.
    ``only``: just those numbers (the ones of the snapshot among them)."""
    routes = []
    chosen = snapshot.numbers if only is None else [n for n in only if n in snapshot.numbers]
    for number in sorted(chosen):
        plan = plan_route(snapshot, number, health, after_hours=False)
        opened = static_route(plan, dial_timeout)
        closed = static_route(plan_route(snapshot, number, health, after_hours=True), dial_timeout)
        chain = _chain(opened)
        routes.append(
            FallbackRoute(
                _number(number),
                chain.reason,
                comment(snapshot.numbers[number].label),
                chain.steps,
                chain.mailbox,
                _mailbox(plan.line) if plan.line is not None else None,
                None if closed == opened else _hours(snapshot, number, closed),
            )
        )
    return routes


@dataclass(frozen=True, slots=True)
class ScheduleHours:
    """One schedule's open-or-closed check, as ``continuity-hours`` holds it (astdb)."""

    key: str
    schedule: str
    timezone: str
    holidays: tuple[str, ...]
    checks: tuple[str, ...]


def schedule_hours(snapshot: Snapshot) -> list[ScheduleHours]:
    found = []
    for index, name in enumerate(sorted(snapshot.schedules)):
        schedule = snapshot.schedules[name]
        found.append(
            ScheduleHours(
                f"hours{index + 1}",
                _safe("schedule name", schedule.name),
                _safe("time zone", schedule.timezone),
                tuple(d.isoformat() for d in schedule.holidays),
                _gotoiftime(schedule),
            )
        )
    return found


def render_extensions(
    snapshot: Snapshot,
    unknown: UnknownNumberPolicy,
    dial_timeout: int,
    health: TrunkHealth | None = None,
    *,
    astdb: bool = False,
    dialplan_dials: bool = False,
) -> str:
    """The generated extensions file. ``astdb``: its fallback context is generic and reads
    each number's route from AstDB (``continuity.dialplan_templates.astdb``), so the
    file holds no number at all and changes only with lines, schedules and policies.
    ``dialplan_dials`` (``dialing = dialplan``): the tracking context has the entry the
    app sends its callers to, labelled with the state rendered (so the file changes with
    every routing state then, even with ``astdb``)."""
    template = environment().get_template("extensions_continuity.conf.j2")
    routes = [] if astdb else fallback_routes(snapshot, dial_timeout, health)
    label = (
        dialplan_label(int(snapshot.version), health or TrunkHealth()) if dialplan_dials else None
    )
    return template.render(
        **constants(),
        # With astdb the file does not change with every routing state, only the routes do.
        state="routes in AstDB" if astdb else f"v{int(snapshot.version)}",
        astdb=astdb,
        dialplan_label=label,
        path_dialplan=RoutedBy.DIALPLAN.value,
        schedules=schedule_hours(snapshot) if astdb else [],
        routes=routes,
        closed_routes=[r for r in routes if r.hours is not None],
        unknown=unknown,
        mailboxes=[_mailbox(line.mailbox) for _, line in sorted(snapshot.lines.items())],
        unknown_cause=REJECT_REASONS.get(unknown.value, 1),
        congestion_cause=REJECT_REASONS["congestion"],  # every destination failed, as in ARI
        number_regex=f"^{_NUMBER_PATTERN}$",
        cause_separator=CAUSE_SEPARATOR,
        ring_timeout_cause=RING_TIMEOUT_CAUSE,
        unavailable_cause=UNAVAILABLE_CAUSE,
        verify_code_digits=CODE_DIGITS,
        verify_read_timeout=READ_TIMEOUT,
        arg_separator=ARG_SEPARATOR,
        no_answer_cause=NO_ANSWER_CAUSE,
        reason_no_answer=RedirectReason.NO_ANSWER.value,
        reason_unavailable=RedirectReason.UNAVAILABLE.value,
        path_fallback=RoutedBy.FALLBACK.value,
        path_handed_over=RoutedBy.HANDED_TO_FALLBACK.value,
        voicemail_kind=DestinationKind.VOICEMAIL.value,
    )


def extensions_path(asterisk_config_dir: Path) -> Path:
    return asterisk_config_dir / names.GENERATED_DIR / names.GENERATED_EXTENSIONS
