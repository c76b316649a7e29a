"""Read a generated extensions file back, the way Asterisk's config parser would.

Strict on purpose: it accepts only what our templates write (context headers,
``exten =>`` and ``same =>`` lines, ``;`` comments, ``\\;`` escapes) and
refuses everything else a value could smuggle in: block comments, ``#include``
and ``#exec``, ``include =>`` and ``switch =>``, templates, caller-id matches,
non-ASCII and control characters. ``apply`` runs it before writing a file;
the injection tests run it on every rendered file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

_CONTEXT = re.compile(r"\[([A-Za-z0-9_-]{1,79})\]\Z")
_EXTEN = re.compile(r"_?[A-Za-z0-9+*#.!\[\]-]{1,80}\Z")
_PRIORITY = re.compile(r"(n|[1-9][0-9]{0,5})(?:\(([A-Za-z0-9_-]{1,40})\))?\Z")
#: Splits a line around escaped semicolons, which stand for themselves.
_SEMICOLON = re.compile(r"\\(;)")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_APP = re.compile(r"([A-Za-z][A-Za-z0-9_]{0,39})\((.*)\)\Z", re.DOTALL)


class InvalidDialplan(ValueError):
    def __init__(self, line_number: int, line: str, problem: str) -> None:
        super().__init__(
            f"generated dialplan line {line_number} {line!r}: {problem}. This is a bug in "
            "the templates or a value they let through: nothing was written"
        )
        self.line_number = line_number


@dataclass(frozen=True, slots=True)
class Priority:
    """One priority as Asterisk registers it (``dialplan show``, AMI ListDialplan)."""

    exten: str
    priority: int
    label: str | None
    app: str
    data: str


#: context -> its priorities in file order.
Dialplan = dict[str, list[Priority]]


def _strip_comment(number: int, raw: str) -> str:
    """The line without its comment, ``\\;`` unescaped to ``;`` as Asterisk does."""
    if ";" not in raw:
        return raw
    out: list[str] = []
    for index, piece in enumerate(_SEMICOLON.split(raw)):
        if index % 2:  # an escaped semicolon, captured by the split
            out.append(piece)
            continue
        comment = piece.find(";")
        if comment < 0:
            out.append(piece)
            continue
        if piece.startswith(";--", comment):
            raise InvalidDialplan(number, raw, "a block comment would hide what follows")
        out.append(piece[:comment])
        break
    return "".join(out)


def _check_characters(number: int, raw: str) -> None:
    if not raw.isascii() or _CONTROL.search(raw):
        raise InvalidDialplan(number, raw, "non-ASCII or control characters")


def parse_extensions(text: str) -> Dialplan:
    """Parse ``text``; raise :class:`InvalidDialplan` at the first thing we never write."""
    dialplan: Dialplan = {}
    taken: set[tuple[str, str, int]] = set()
    context: str | None = None
    exten: str | None = None
    last = 0
    for number, raw in enumerate(text.split("\n"), start=1):
        _check_characters(number, raw)
        line = _strip_comment(number, raw).strip()
        if not line:
            continue
        if line.startswith("#"):
            raise InvalidDialplan(number, raw, "directives (#include, #exec) are never generated")
        if line.startswith("["):
            match = _CONTEXT.match(line)
            if match is None:
                raise InvalidDialplan(number, raw, "not a plain [context] header")
            context, exten, last = match.group(1), None, 0
            if context in dialplan:
                raise InvalidDialplan(number, raw, "context defined twice")
            dialplan[context] = []
            continue
        key, sep, value = line.partition("=>")
        key = key.strip()
        if not sep or key not in ("exten", "same"):
            raise InvalidDialplan(number, raw, "only exten => and same => lines are generated")
        if context is None:
            raise InvalidDialplan(number, raw, "a line before the first [context]")
        if key == "exten":
            name, comma, value = value.partition(",")
            exten = name.strip()
            if not comma or not _EXTEN.match(exten):
                raise InvalidDialplan(number, raw, "not a plain extension name")
        elif exten is None:
            raise InvalidDialplan(number, raw, "same => before any exten =>")
        prio_text, comma, app_text = value.partition(",")
        prio = _PRIORITY.match(prio_text.strip())
        app = _APP.match(app_text.strip())
        if not comma or prio is None:
            raise InvalidDialplan(number, raw, "not a priority: 1, n, or either with (label)")
        if app is None:
            raise InvalidDialplan(number, raw, "not an App(data) call")
        if prio.group(1) == "n":
            if last == 0:
                raise InvalidDialplan(number, raw, "priority n with no priority before it")
            priority = last + 1
        else:
            priority = int(prio.group(1))
        last = priority
        if (context, exten, priority) in taken:
            raise InvalidDialplan(number, raw, "this priority is already taken")
        taken.add((context, exten, priority))
        dialplan[context].append(
            Priority(exten, priority, prio.group(2), app.group(1), app.group(2))
        )
    return dialplan


def extensions(dialplan: Dialplan, context: str) -> set[str]:
    return {p.exten for p in dialplan.get(context, [])}


def program(dialplan: Dialplan, context: str, exten: str) -> list[Priority]:
    """The priorities of one extension, in priority order."""
    return sorted((p for p in dialplan.get(context, []) if p.exten == exten), key=_order)


def _order(p: Priority) -> int:
    return p.priority


def summary(priorities: Iterable[Priority]) -> set[tuple[object, ...]]:
    """What Asterisk must report for these priorities: (exten, priority, app, data)."""
    return {(p.exten, p.priority, p.app, p.data) for p in priorities}


def expected_dialplan(text: str) -> dict[str, set[tuple[object, ...]]]:
    """Context -> what AMI ShowDialPlan must list for it once ``text`` is loaded."""
    return {context: summary(prios) for context, prios in parse_extensions(text).items()}
