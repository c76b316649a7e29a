"""Domain errors: each says what the admin did wrong and how to fix it."""

from __future__ import annotations


class ContinuityError(Exception):
    """Base of every error an admin may see. ``str()`` is the full message.

    ``field`` names the value at fault (``label``, ``destination``, ``primary_timeout``…)
    when one value is; the HTTP API answers 422 with it. ``None``: the request as a whole.
    """

    field: str | None = None


class InvalidNumber(ContinuityError):
    def __init__(self, text: str, reason: str, field: str | None = None) -> None:
        shown = text if len(text) <= 40 else text[:37] + "..."
        super().__init__(
            f"{shown!r} is not a valid phone number: {reason}. "
            "Give it in E.164 form, for example +12125550101."
        )
        self.text = text
        self.reason = reason
        self.field = field


class UnknownTrackingNumber(ContinuityError):
    def __init__(self, number: str, close: list[str]) -> None:
        hint = f" Close matches: {', '.join(close)}." if close else ""
        super().__init__(
            f"No tracking number {number} is configured.{hint} "
            "List them with `continuity number list`."
        )
        self.number = number
        self.close = close


class DuplicateTrackingNumber(ContinuityError):
    def __init__(self, number: str) -> None:
        super().__init__(
            f"Tracking number {number} already exists. "
            "Change it with `continuity number set` instead."
        )
        self.number = number
        self.field = "number"


class ConfigError(ContinuityError):
    """One or more configuration problems, each on its own line."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("invalid configuration:\n  - " + "\n  - ".join(problems))
        self.problems = problems


class StoreError(ContinuityError):
    """The store failed an operation. The PostgreSQL adapter raises these (and only
    these) for what its driver reports; services catch them, never a driver's error.

    ``detail`` is the database's own words, without the advice around them.
    """

    detail: str = ""


class StoreUnavailable(StoreError):
    """The database cannot be reached now: connection refused or lost, a timeout."""

    def __init__(self, detail: str) -> None:
        super().__init__(
            f"PostgreSQL is not reachable ({detail}). Check CONTINUITY_DATABASE_URL "
            "or --database-url, and that the server is running."
        )
        self.detail = detail


class SchemaOutdated(StoreError):
    """The database lacks a table or column this version uses: migrations are pending."""

    def __init__(self, detail: str) -> None:
        super().__init__(
            f"the database schema is older than this version of continuity ({detail}). "
            "Run `continuity db upgrade`."
        )
        self.detail = detail


class FailoverLoop(ContinuityError):
    def __init__(self, number: str, target: str, field: str | None = None) -> None:
        super().__init__(
            f"{target} is one of our own tracking numbers, so sending {number}'s calls "
            "there would loop back into this Asterisk. Choose a number outside it."
        )
        self.number = number
        self.target = target
        self.field = field


class UnknownLine(ContinuityError):
    def __init__(self, line: str, close: list[str], field: str | None = None) -> None:
        hint = f" Close matches: {', '.join(close)}." if close else ""
        super().__init__(
            f"No line {line!r} is configured.{hint} List them with `continuity line list`."
        )
        self.line = line
        self.field = field


class DuplicateLine(ContinuityError):
    def __init__(self, line: str, kind: str) -> None:
        extra = " (there can be only one main line)" if kind == "main" else ""
        super().__init__(f"Line {line!r} cannot be added: it already exists{extra}.")
        self.line = line
        self.field = "id" if kind != "main" else "kind"


class LineInUse(ContinuityError):
    def __init__(self, line: str, uses: list[str]) -> None:
        super().__init__(
            f"Line {line!r} cannot be removed: it is still used by {'; '.join(uses)}. "
            "Move them first (`continuity number set N --line OTHER`, or a new destination "
            "with `--voicemail OTHER` / `--clear-destination`), then remove the line."
        )
        self.line = line
        self.uses = uses


class InvalidSetting(ContinuityError):
    """A value that is not allowed here; the message says why and what to give instead."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class StaleVersion(ContinuityError):
    """The object changed since the caller read it (HTTP: If-Match failed, 412)."""

    def __init__(self, subject: str, expected: int, current: int) -> None:
        super().__init__(
            f"{subject} was changed by someone else since you read it (you had version "
            f"{expected}, it is now at version {current}). Nothing was written: read it "
            "again and redo your change."
        )
        self.subject = subject
        self.expected = expected
        self.current = current


class ChangeRejected(StoreError):
    """The database refused a change the checks let through. Nothing was written."""

    def __init__(self, detail: str, field: str | None = None) -> None:
        super().__init__(
            f"the change was not saved: {detail}. Nothing was written; correct the value "
            "and try again, or report this as a bug if the value looks right."
        )
        self.detail = detail
        self.field = field


class DialplanRejected(ContinuityError):
    """A generated file was not applied; ``after`` says what is on disk and loaded now."""

    def __init__(self, path: str, problem: str, after: str = "") -> None:
        after = after or "Nothing was written: the file on disk is unchanged."
        super().__init__(
            f"{path} was not applied: {problem}. {after} "
            "`continuity dialplan diff` shows what would change."
        )
        self.path = path
        self.problem = problem


class HostedByPrimary(ContinuityError):
    """A failover destination the primary system itself hosts: it would ring into the outage."""

    def __init__(self, owner: str, number: str, pattern: str) -> None:
        super().__init__(
            f"{number} is hosted by the primary system (primary-numbers entry {pattern}), so "
            f"failing {owner}'s calls over to it would ring into the very outage it is meant "
            "to bridge. Choose a number outside the primary system (a cell phone, an "
            f"answering service), or, if the entry is wrong, `continuity primary-numbers "
            f"remove {pattern}`."
        )
        self.owner = owner
        self.number = number
        self.pattern = pattern


class PrimaryRangeInUse(ContinuityError):
    """A primary-numbers entry that failover destinations already fall into."""

    def __init__(self, pattern: str, uses: list[str]) -> None:
        super().__init__(
            f"{pattern} cannot be listed as hosted by the primary system: these failover "
            f"destinations fall into it: {'; '.join(uses)}. Change them first (e.g. "
            "`continuity line set LINE --external E164`, `continuity line forward remove`)."
        )
        self.pattern = pattern
        self.uses = uses


class NotLeader(ContinuityError):
    """A leader-only write (outages, notices) refused: another node leads now."""


class ImportRefused(ContinuityError):
    """A bulk change refused whole: ``problems`` are (position, error) of each bad item.

    The CLI names each position as the row of its file; nothing was written."""

    def __init__(self, problems: list[tuple[int, ContinuityError]], where: str = "item") -> None:
        shown = problems[:50]
        lines = [f"{where} {index + 1}: {error}" for index, error in shown]
        if len(problems) > len(shown):
            lines.append(f"... and {len(problems) - len(shown)} more")
        super().__init__(
            f"nothing was imported: {len(problems)} "
            f"{'problem' if len(problems) == 1 else 'problems'}\n  " + "\n  ".join(lines)
        )
        self.problems = problems
