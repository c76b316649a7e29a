"""The CSV format of `continuity number import` and `export`: one tracking number a row.

Parsing only: a row becomes a :class:`TrackingNumber` or an error naming its row
and column; whether the values may be stored is the admin service's to say.
Columns (a header row names them, in any order; only ``number`` is required):

``number``, ``label``, ``line``, ``primary_target``, ``continuity`` (on, off,
inherit), ``failover`` (enabled, disabled, inherit), ``destination_kind``
(external, voice_agent, sip, voicemail, or empty), ``destination_target``,
``test_mode`` (on, off), ``test_until`` (ISO 8601 with its UTC offset). An empty
cell means the default: no label, the main line, the number itself, inherit, no
destination, no test.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from continuity.core.model import (
    ContinuitySettings,
    Destination,
    DestinationKind,
    Snapshot,
    TrackingNumber,
)
from continuity.core.numbers import parse_e164
from continuity.errors import ContinuityError

COLUMNS = (
    "number",
    "label",
    "line",
    "primary_target",
    "continuity",
    "failover",
    "destination_kind",
    "destination_target",
    "test_mode",
    "test_until",
)
_ON = {"on": True, "off": False, "inherit": None, "": None}
_ENABLED = {"enabled": True, "disabled": False, "inherit": None, "": None}
_TEST: dict[str, bool | None] = {"on": True, "off": False, "": False}
_KINDS = {k.value: k for k in DestinationKind if k is not DestinationKind.PRIMARY}
#: Already E.164: passed on as written (the admin service checks the range exists).
_E164 = re.compile(r"\+[1-9][0-9]{5,14}\Z")


class CsvProblem(ContinuityError):
    def __init__(self, row: int, message: str) -> None:
        super().__init__(message)
        self.row = row


@dataclass(frozen=True, slots=True)
class Row:
    #: The file's line number where the row ends (the header is line 1).
    line: int
    number: TrackingNumber


def _choice(row: int, column: str, value: str, choices: dict[str, bool | None]) -> bool | None:
    try:
        return choices[value.strip().lower()]
    except KeyError:
        allowed = ", ".join(c for c in choices if c) + " or empty"
        raise CsvProblem(row, f"{column} {value!r}: give {allowed}") from None


def _e164(row: int, column: str, value: str, region: str) -> str:
    text = value.strip()
    if _E164.match(text):
        return text
    try:
        return parse_e164(text, region)
    except ContinuityError as exc:
        raise CsvProblem(row, f"{column}: {exc}") from None


def _until(row: int, value: str) -> dt.datetime | None:
    if not value.strip():
        return None
    try:
        until = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        until = None
    if until is None or until.tzinfo is None:
        raise CsvProblem(
            row, f"test_until {value!r}: give an ISO 8601 time with its offset, e.g. "
            "2026-12-01T18:00:00+00:00"
        )  # fmt: skip
    return until.astimezone(dt.UTC)


def _destination(
    row: int, kind: str, target: str, snapshot: Snapshot, region: str
) -> Destination | None:
    kind, target = kind.strip().lower(), target.strip()
    if not kind:
        if target:
            raise CsvProblem(row, f"destination_target {target!r} needs a destination_kind")
        return None
    if kind not in _KINDS:
        raise CsvProblem(row, f"destination_kind {kind!r}: give {', '.join(_KINDS)} or empty")
    found = _KINDS[kind]
    if found is DestinationKind.EXTERNAL:
        target = _e164(row, "destination_target", target, region)
    elif found is DestinationKind.VOICE_AGENT and not target:
        target = snapshot.account.voice_agent or ""
    return Destination(found, target)


def parse_row(line: int, cells: dict[str, str], snapshot: Snapshot, region: str) -> TrackingNumber:
    def cell(name: str) -> str:
        return cells.get(name) or ""

    if not cell("number").strip():
        raise CsvProblem(line, "number: it is empty; every row names its tracking number")
    test_mode = _choice(line, "test_mode", cell("test_mode"), _TEST)
    return TrackingNumber(
        number=_e164(line, "number", cell("number"), region),
        label=cell("label"),
        line=cell("line").strip() or None,
        primary_target=(
            _e164(line, "primary_target", cell("primary_target"), region)
            if cell("primary_target").strip()
            else None
        ),
        continuity=ContinuitySettings(
            on=_choice(line, "continuity", cell("continuity"), _ON),
            enabled=_choice(line, "failover", cell("failover"), _ENABLED),
            destination=_destination(
                line, cell("destination_kind"), cell("destination_target"), snapshot, region
            ),
        ),
        test_mode=bool(test_mode),
        test_until=_until(line, cell("test_until")),
    )


def read_rows(
    lines: Iterable[str], snapshot: Snapshot, region: str
) -> tuple[list[Row], list[CsvProblem]]:
    """Every row parsed, and every problem found (all of them, not only the first)."""
    reader = csv.reader(lines)
    try:
        header = next(reader)
    except StopIteration:
        return [], [CsvProblem(1, f"the file is empty; its first row names the columns: "
                                  f"{','.join(COLUMNS)}")]  # fmt: skip
    except csv.Error as exc:
        return [], [CsvProblem(1, f"not CSV: {exc}")]
    names = [h.strip().lower() for h in header]
    unknown = [n for n in names if n not in COLUMNS]
    if unknown or "number" not in names or len(set(names)) != len(names):
        return [], [
            CsvProblem(
                1,
                f"the header {','.join(header)!r} must name the columns, each once, from: "
                f"{','.join(COLUMNS)} (number is required)",
            )
        ]
    rows: list[Row] = []
    problems: list[CsvProblem] = []
    first: dict[str, int] = {}
    try:
        for cells in reader:
            line = reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if len(cells) != len(names):
                problems.append(
                    CsvProblem(line, f"it has {len(cells)} cells, the header {len(names)}")
                )
                continue
            try:
                number = parse_row(line, dict(zip(names, cells, strict=True)), snapshot, region)
            except CsvProblem as exc:
                problems.append(exc)
                continue
            if number.number in first:
                again = f"{number.number} is already given on row {first[number.number]}"
                problems.append(CsvProblem(line, again))
                continue
            first[number.number] = line
            rows.append(Row(line, number))
    except csv.Error as exc:
        problems.append(CsvProblem(reader.line_num, f"not CSV: {exc}"))
    if not rows and not problems:
        problems.append(CsvProblem(1, "the file lists no tracking number"))
    return rows, problems


def _flag(value: bool | None, on: str, off: str) -> str:
    return "inherit" if value is None else on if value else off


def format_rows(numbers: Iterable[TrackingNumber]) -> Iterator[list[str]]:
    """The header, then one row per number, in the order given."""
    yield list(COLUMNS)
    for n in numbers:
        dest = n.continuity.destination
        yield [
            n.number,
            n.label,
            n.line or "",
            n.primary_target or "",
            _flag(n.continuity.on, "on", "off"),
            _flag(n.continuity.enabled, "enabled", "disabled"),
            dest.kind.value if dest else "",
            dest.target if dest else "",
            "on" if n.test_mode else "off",
            n.test_until.astimezone(dt.UTC).isoformat() if n.test_until else "",
        ]
