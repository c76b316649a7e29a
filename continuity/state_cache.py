"""The last known routing state on local disk, for starting while PostgreSQL is down."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

from continuity.core.model import (
    AccountSettings,
    Destination,
    DestinationKind,
    Snapshot,
    TrackingNumber,
)

log = logging.getLogger(__name__)


def _dest_to_json(dest: Destination | None) -> dict[str, str] | None:
    return None if dest is None else {"kind": dest.kind.value, "target": dest.target}


def _dest_from_json(data: dict[str, str] | None) -> Destination | None:
    return None if data is None else Destination(DestinationKind(data["kind"]), data["target"])


def snapshot_to_json(snapshot: Snapshot) -> dict[str, Any]:
    return {
        "version": snapshot.version,
        "account": {
            "continuity_enabled": snapshot.account.continuity_enabled,
            "default_destination": _dest_to_json(snapshot.account.default_destination),
        },
        "numbers": [
            {
                "number": n.number,
                "label": n.label,
                "primary_target": n.primary_target,
                "continuity_enabled": n.continuity_enabled,
                "continuity_destination": _dest_to_json(n.continuity_destination),
            }
            for n in snapshot.numbers.values()
        ],
    }


def snapshot_from_json(data: dict[str, Any]) -> Snapshot:
    account = AccountSettings(
        continuity_enabled=bool(data["account"]["continuity_enabled"]),
        default_destination=_dest_from_json(data["account"]["default_destination"]),
    )
    numbers = {
        n["number"]: TrackingNumber(
            number=n["number"],
            label=n["label"],
            primary_target=n["primary_target"],
            continuity_enabled=n["continuity_enabled"],
            continuity_destination=_dest_from_json(n["continuity_destination"]),
        )
        for n in data["numbers"]
    }
    return Snapshot(account=account, numbers=numbers, version=int(data["version"]))


class StateCache:
    """Writes atomically (temp file, fsync, rename), so a crash never leaves half a file."""

    def __init__(self, path: Path) -> None:
        self._path = path

    def save(self, snapshot: Snapshot) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self._path.with_suffix(".tmp")
        with tmp.open("w", encoding="utf-8") as fh:
            json.dump(snapshot_to_json(snapshot), fh)
            fh.flush()
            os.fsync(fh.fileno())
        tmp.replace(self._path)

    def load(self) -> Snapshot | None:
        try:
            text = self._path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        try:
            return snapshot_from_json(json.loads(text))
        except (ValueError, KeyError, TypeError) as exc:
            log.warning("ignoring unreadable state cache %s: %s", self._path, exc)
            return None
