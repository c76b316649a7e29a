"""Business hours in PostgreSQL: schedules, the default, each line's hours; audited writes.

The writes run inside an admin change's transaction (:class:`db.changes.AdminChange`).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import psycopg
from psycopg.rows import DictRow
from psycopg.types.json import Jsonb

from continuity.core.hours import OpenRange, Schedule
from continuity.core.model import Destination, DestinationKind, Line
from continuity.db.audit import audit

Cursor = psycopg.AsyncCursor[DictRow]
Conn = psycopg.AsyncConnection[Any]


def schedule_row(row: dict[str, Any]) -> Schedule:
    return Schedule(
        name=row["name"],
        timezone=row["timezone"],
        ranges=tuple(OpenRange(tuple(r["days"]), r["start"], r["end"]) for r in row["ranges"]),
        holidays=tuple(sorted(row["holidays"])),
    )


def schedule_columns(schedule: Schedule) -> dict[str, Any]:
    return {
        "timezone": schedule.timezone,
        "ranges": [{"days": list(r.days), "start": r.start, "end": r.end} for r in schedule.ranges],
        "holidays": [d.isoformat() for d in schedule.holidays],
    }


@dataclasses.dataclass(frozen=True, slots=True)
class LoadedHours:
    schedules: dict[str, Schedule]
    default: str | None
    #: line id -> (its schedule, its after-hours destination)
    lines: dict[str, tuple[str | None, Destination | None]]

    def apply(self, lines: dict[str, Line]) -> dict[str, Line]:
        """``lines`` with their schedule and after-hours destination set."""
        return {
            line_id: dataclasses.replace(line, schedule=hours[0], after_hours=hours[1])
            if (hours := self.lines.get(line_id))
            else line
            for line_id, line in lines.items()
        }


async def load_hours(cur: Cursor) -> LoadedHours:
    """Inside the snapshot's transaction: schedules, the default, each line's hours."""
    await cur.execute("SELECT * FROM schedules ORDER BY name")
    rows = await cur.fetchall()
    await cur.execute("SELECT * FROM line_hours")
    line_rows = await cur.fetchall()
    return LoadedHours(
        {r["name"]: schedule_row(r) for r in rows},
        next((r["name"] for r in rows if r["is_default"]), None),
        {
            r["line_id"]: (
                r["schedule"],
                Destination(DestinationKind(r["after_kind"]), r["after_target"])
                if r["after_kind"]
                else None,
            )
            for r in line_rows
        },
    )


def _line_hours(line: Line) -> dict[str, Any]:
    after = line.after_hours
    return {
        "schedule": line.schedule,
        "after_kind": after.kind.value if after else None,
        "after_target": after.target if after else None,
    }


async def save_schedule(
    conn: Conn, actor: str, old: Schedule | None, new: Schedule, default: bool | None
) -> None:
    """Insert or update ``new``; ``default`` True/False makes it (not) the default."""
    after = schedule_columns(new)
    if default:
        await conn.execute(
            "UPDATE schedules SET is_default = false WHERE is_default AND name <> %s",
            (new.name,),
        )
    await conn.execute(
        "INSERT INTO schedules (name, timezone, ranges, holidays, is_default)"
        " VALUES (%s, %s, %s, %s, coalesce(%s, false))"
        " ON CONFLICT (name) DO UPDATE SET timezone = EXCLUDED.timezone,"
        " ranges = EXCLUDED.ranges, holidays = EXCLUDED.holidays,"
        " is_default = coalesce(%s, schedules.is_default), updated_at = now()",
        (new.name, new.timezone, Jsonb(after["ranges"]), after["holidays"], default, default),
    )
    await audit(
        conn,
        actor,
        "schedule.add" if old is None else "schedule.set",
        new.name,
        schedule_columns(old) if old else None,
        {**after, **({} if default is None else {"default": default})},
    )


async def remove_schedule(conn: Conn, actor: str, schedule: Schedule) -> None:
    await conn.execute("DELETE FROM schedules WHERE name = %s", (schedule.name,))
    await audit(conn, actor, "schedule.remove", schedule.name, schedule_columns(schedule), None)


async def save_line_hours(conn: Conn, actor: str, old: Line, new: Line) -> None:
    before, after = _line_hours(old), _line_hours(new)
    if before == after:
        return
    await conn.execute(
        "INSERT INTO line_hours (line_id, schedule, after_kind, after_target)"
        " VALUES (%s, %s, %s, %s) ON CONFLICT (line_id) DO UPDATE SET"
        " schedule = EXCLUDED.schedule, after_kind = EXCLUDED.after_kind,"
        " after_target = EXCLUDED.after_target",
        (new.id, after["schedule"], after["after_kind"], after["after_target"]),
    )
    await audit(conn, actor, "line.hours", new.id, before, after)
