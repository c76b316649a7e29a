"""The last known routing state on local disk, for starting while PostgreSQL is down."""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path
from typing import Any

from continuity.core.hours import OpenRange, Schedule
from continuity.core.model import (
    AccountSettings,
    CallerIdPolicy,
    ContinuitySettings,
    Destination,
    DestinationKind,
    ForwardingNumber,
    Line,
    LineKind,
    Snapshot,
    TrackingNumber,
)
from continuity.files import write_atomically

log = logging.getLogger(__name__)


def _settings_out(s: ContinuitySettings) -> dict[str, Any]:
    dest = s.destination
    return {
        "on": s.on,
        "enabled": s.enabled,
        "destination": None if dest is None else [dest.kind.value, dest.target],
    }


def _settings_in(d: dict[str, Any]) -> ContinuitySettings:
    dest = d["destination"]
    return ContinuitySettings(
        on=d["on"],
        enabled=d["enabled"],
        destination=None if dest is None else Destination(DestinationKind(dest[0]), dest[1]),
    )


def _dest_out(dest: Destination | None) -> list[str] | None:
    return None if dest is None else [dest.kind.value, dest.target]


def _dest_in(data: list[str] | None) -> Destination | None:
    return None if data is None else Destination(DestinationKind(data[0]), data[1])


def _schedule_out(s: Schedule) -> dict[str, Any]:
    return {
        "name": s.name,
        "timezone": s.timezone,
        "ranges": [[list(r.days), r.start, r.end] for r in s.ranges],
        "holidays": [d.isoformat() for d in s.holidays],
    }


def _schedule_in(d: dict[str, Any]) -> Schedule:
    return Schedule(
        d["name"],
        d["timezone"],
        tuple(OpenRange(tuple(r[0]), int(r[1]), int(r[2])) for r in d["ranges"]),
        tuple(dt.date.fromisoformat(h) for h in d["holidays"]),
    )


def _when(text: str | None) -> dt.datetime | None:
    return None if text is None else dt.datetime.fromisoformat(text)


def snapshot_to_json(snapshot: Snapshot) -> dict[str, Any]:
    acc = snapshot.account
    return {
        "version": snapshot.version,
        "primary_numbers": list(snapshot.primary_numbers),
        "schedules": [_schedule_out(s) for s in snapshot.schedules.values()],
        "default_schedule": snapshot.default_schedule,
        "account": {
            "continuity": _settings_out(acc.continuity),
            "voice_agent": acc.voice_agent,
            "failover_sip_codes": sorted(acc.failover_sip_codes),
            "primary_timeout": acc.primary_timeout,
            "caller_id": acc.caller_id.value,
            "caller_name_prefix": acc.caller_name_prefix,
            "send_history_info": acc.send_history_info,
        },
        "lines": [
            {
                "id": ln.id,
                "kind": ln.kind.value,
                "name": ln.name,
                "continuity": _settings_out(ln.continuity),
                "test_mode": ln.test_mode,
                "test_until": ln.test_until.isoformat() if ln.test_until else None,
                "schedule": ln.schedule,
                "after_hours": _dest_out(ln.after_hours),
                "caller_id": ln.caller_id.value if ln.caller_id else None,
                "caller_name_prefix": ln.caller_name_prefix,
                "forwarding": [
                    [
                        f.number,
                        f.added_at.isoformat(),
                        f.verified_at.isoformat() if f.verified_at else None,
                    ]
                    for f in ln.forwarding
                ],
            }
            for ln in snapshot.lines.values()
        ],
        "numbers": [
            {
                "number": n.number,
                "label": n.label,
                "line": n.line,
                "primary_target": n.primary_target,
                "continuity": _settings_out(n.continuity),
                "test_mode": n.test_mode,
                "test_until": n.test_until.isoformat() if n.test_until else None,
            }
            for n in snapshot.numbers.values()
        ],
    }


def snapshot_from_json(data: dict[str, Any]) -> Snapshot:
    acc = data["account"]
    account = AccountSettings(
        continuity=_settings_in(acc["continuity"]),
        voice_agent=acc["voice_agent"],
        failover_sip_codes=frozenset(acc["failover_sip_codes"]),
        primary_timeout=int(acc["primary_timeout"]),
        # Caches written before caller-ID settings existed hold none: the defaults.
        caller_id=CallerIdPolicy(acc.get("caller_id", CallerIdPolicy.KEEP.value)),
        caller_name_prefix=str(acc.get("caller_name_prefix", "")),
        send_history_info=bool(acc.get("send_history_info", False)),
    )
    lines = {
        ln["id"]: Line(
            id=ln["id"],
            kind=LineKind(ln["kind"]),
            name=ln["name"],
            continuity=_settings_in(ln["continuity"]),
            test_mode=bool(ln["test_mode"]),
            test_until=_when(ln.get("test_until")),
            schedule=ln.get("schedule"),
            after_hours=_dest_in(ln.get("after_hours")),
            caller_id=CallerIdPolicy(ln["caller_id"]) if ln.get("caller_id") else None,
            caller_name_prefix=ln.get("caller_name_prefix"),
            forwarding=tuple(
                ForwardingNumber(f[0], dt.datetime.fromisoformat(f[1]), _when(f[2]))
                for f in ln["forwarding"]
            ),
        )
        for ln in data["lines"]
    }
    numbers = {
        n["number"]: TrackingNumber(
            number=n["number"],
            label=n["label"],
            line=n["line"],
            primary_target=n["primary_target"],
            continuity=_settings_in(n["continuity"]),
            test_mode=bool(n.get("test_mode", False)),
            test_until=_when(n.get("test_until")),
        )
        for n in data["numbers"]
    }
    return Snapshot(
        account=account,
        numbers=numbers,
        lines=lines,
        version=int(data["version"]),
        primary_numbers=tuple(data.get("primary_numbers", ())),
        schedules={s.name: s for s in map(_schedule_in, data.get("schedules", []))},
        default_schedule=data.get("default_schedule"),
    )


class StateCache:
    """Writes atomically (temp file, fsync, rename), so a crash never leaves half a file."""

    def __init__(self, path: Path) -> None:
        self._path = path

    @property
    def path(self) -> Path:
        return self._path

    def save(self, snapshot: Snapshot) -> None:
        # Numbers and forwarding numbers: for this user only.
        write_atomically(self._path, json.dumps(snapshot_to_json(snapshot)), mode=0o600)

    def load(self) -> Snapshot | None:
        try:
            text = self._path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:  # a directory in its place, unreadable, not UTF-8
            log.warning("cannot read the state cache %s: %s", self._path, exc)
            return None
        try:
            return snapshot_from_json(json.loads(text))
        except (ValueError, KeyError, TypeError, IndexError) as exc:
            log.warning("ignoring unreadable state cache %s: %s", self._path, exc)
            return None
