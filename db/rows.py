"""Rows to model objects. The column names of the settings shared by every level."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from continuity.core.model import (
    AccountSettings,
    ContinuitySettings,
    Destination,
    DestinationKind,
    ForwardingNumber,
    Line,
    LineKind,
    TrackingNumber,
)

Row = Mapping[str, Any]


def destination(row: Row) -> Destination | None:
    if row["dest_kind"] is None:
        return None
    return Destination(DestinationKind(row["dest_kind"]), row["dest_target"])


def continuity(row: Row) -> ContinuitySettings:
    return ContinuitySettings(
        on=row["continuity_on"], enabled=row["continuity_enabled"], destination=destination(row)
    )


def continuity_columns(settings: ContinuitySettings) -> dict[str, Any]:
    dest = settings.destination
    return {
        "continuity_on": settings.on,
        "continuity_enabled": settings.enabled,
        "dest_kind": dest.kind.value if dest else None,
        "dest_target": dest.target if dest else None,
    }


def account(row: Row) -> AccountSettings:
    return AccountSettings(
        continuity=continuity(row),
        voice_agent=row["voice_agent"],
        failover_sip_codes=frozenset(row["failover_sip_codes"]),
        primary_timeout=row["primary_timeout"],
    )


def line(row: Row, forwarding: list[Row]) -> Line:
    return Line(
        id=row["id"],
        kind=LineKind(row["kind"]),
        name=row["name"],
        continuity=continuity(row),
        test_mode=row["test_mode"],
        test_until=row["test_until"],
        forwarding=tuple(
            ForwardingNumber(f["number"], f["added_at"], f["verified_at"]) for f in forwarding
        ),
    )


def tracking_number(row: Row) -> TrackingNumber:
    return TrackingNumber(
        number=row["number"],
        label=row["label"],
        line=row["line_id"],
        primary_target=row["primary_target"],
        continuity=continuity(row),
        test_mode=row["test_mode"],
        test_until=row["test_until"],
    )


def number_columns(number: TrackingNumber) -> dict[str, Any]:
    return {
        "number": number.number,
        "label": number.label,
        "line_id": number.line,
        "primary_target": number.primary_target,
        "test_mode": number.test_mode,
        "test_until": number.test_until,
        **continuity_columns(number.continuity),
    }


def line_columns(ln: Line) -> dict[str, Any]:
    return {
        "id": ln.id,
        "kind": ln.kind.value,
        "name": ln.name,
        "test_mode": ln.test_mode,
        "test_until": ln.test_until,
        **continuity_columns(ln.continuity),
    }
