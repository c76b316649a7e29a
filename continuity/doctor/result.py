"""One doctor check's result, and how results are shown: ✓/✗ lines or JSON."""

from __future__ import annotations

import enum
import json
from collections.abc import Sequence
from dataclasses import dataclass


class Status(enum.StrEnum):
    OK = "ok"
    FAILED = "failed"
    #: Not checked: not configured, or a check it needs failed first.
    SKIPPED = "skipped"


MARKS = {Status.OK: "✓", Status.FAILED: "✗", Status.SKIPPED: "-"}


@dataclass(frozen=True, slots=True)
class Result:
    check: str
    status: Status
    detail: str
    #: One line: what to change to make the check pass (failed checks only).
    fix: str = ""

    @classmethod
    def ok(cls, check: str, detail: str) -> Result:
        return cls(check, Status.OK, detail)

    @classmethod
    def failed(cls, check: str, detail: str, fix: str) -> Result:
        return cls(check, Status.FAILED, detail, fix)

    @classmethod
    def skipped(cls, check: str, detail: str) -> Result:
        return cls(check, Status.SKIPPED, detail)


def healthy(results: Sequence[Result]) -> bool:
    return all(r.status is not Status.FAILED for r in results)


def as_text(results: Sequence[Result]) -> str:
    width = max((len(r.check) for r in results), default=0)
    lines = []
    for r in results:
        lines.append(f"{MARKS[r.status]} {r.check.ljust(width)}  {r.detail}")
        if r.fix:
            lines.append(f"  {' ' * width}  fix: {r.fix}")
    failed = sum(r.status is Status.FAILED for r in results)
    lines.append("")
    lines.append(f"{failed} problem(s) found" if failed else "everything checked is fine")
    return "\n".join(lines)


def as_json(results: Sequence[Result]) -> str:
    return json.dumps(
        {
            "ok": healthy(results),
            "checks": [
                {"check": r.check, "status": r.status.value, "detail": r.detail, "fix": r.fix}
                for r in results
            ],
        },
        indent=2,
        ensure_ascii=False,
    )
