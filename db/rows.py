"""Rows to model objects. The column names of the settings shared by every level."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from continuity.core.model import (
    AccountSettings,
    CallerIdPolicy,
    ContinuitySettings,
    Destination,
    DestinationKind,
    ForwardingNumber,
    Line,
    LineKind,
    TrackingNumber,
)

Row = Mapping[str, Any]
#: Settings already built while reading many rows: most numbers share theirs, and the
#: objects are immutable, so 100,000 rows make a few hundred of them, not 100,000.
SettingsCache = dict[tuple[Any, ...], ContinuitySettings]
_KINDS = {k.value: k for k in DestinationKind}


def destination(row: Row) -> Destination | None:
    if row["dest_kind"] is None:
        return None
    return Destination(_KINDS[row["dest_kind"]], row["dest_target"])


def continuity(row: Row, cache: SettingsCache | None = None) -> ContinuitySettings:
    key = (row["continuity_on"], row["continuity_enabled"], row["dest_kind"], row["dest_target"])
    found = cache.get(key) if cache is not None else None
    if found is None:
        found = ContinuitySettings(
            on=row["continuity_on"],
            enabled=row["continuity_enabled"],
            destination=destination(row),
        )
        if cache is not None:
            cache[key] = found
    return found


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
        caller_id=CallerIdPolicy(row["caller_id"]),
        caller_name_prefix=row["caller_name_prefix"],
        send_history_info=row["send_history_info"],
        version=row["version"],
    )


def caller_id_columns(settings: AccountSettings) -> dict[str, Any]:
    return {
        "caller_id": settings.caller_id.value,
        "caller_name_prefix": settings.caller_name_prefix,
        "send_history_info": settings.send_history_info,
    }


def line(row: Row, forwarding: list[Row]) -> Line:
    return Line(
        id=row["id"],
        kind=LineKind(row["kind"]),
        name=row["name"],
        continuity=continuity(row),
        test_mode=row["test_mode"],
        test_until=row["test_until"],
        caller_id=CallerIdPolicy(row["caller_id"]) if row["caller_id"] else None,
        caller_name_prefix=row["caller_name_prefix"],
        forwarding=tuple(
            ForwardingNumber(f["number"], f["added_at"], f["verified_at"]) for f in forwarding
        ),
        version=row["version"],
    )


def tracking_number(row: Row, cache: SettingsCache | None = None) -> TrackingNumber:
    return TrackingNumber(
        number=row["number"],
        label=row["label"],
        line=row["line_id"],
        primary_target=row["primary_target"],
        continuity=continuity(row, cache),
        test_mode=row["test_mode"],
        test_until=row["test_until"],
        version=row["version"],
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


def account_columns(a: AccountSettings) -> dict[str, Any]:
    return {
        **continuity_columns(a.continuity),
        "voice_agent": a.voice_agent,
        "failover_sip_codes": sorted(a.failover_sip_codes),
        "primary_timeout": a.primary_timeout,
        **caller_id_columns(a),
    }


def line_columns(ln: Line) -> dict[str, Any]:
    return {
        "id": ln.id,
        "kind": ln.kind.value,
        "name": ln.name,
        "test_mode": ln.test_mode,
        "test_until": ln.test_until,
        "caller_id": ln.caller_id.value if ln.caller_id else None,
        "caller_name_prefix": ln.caller_name_prefix,
        **continuity_columns(ln.continuity),
    }
