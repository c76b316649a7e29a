"""Probes of an app at rest: connected, no calls, no outage (for metrics unit tests)."""

from __future__ import annotations

from continuity.metrics import Probes


def quiet_probes() -> Probes:
    return Probes(
        calls_in_progress=lambda: 0,
        records_spooled=lambda: 0,
        state_version=lambda: 1,
        state_loaded_at=lambda: None,
        state_from_database=lambda: True,
        outage_open=lambda: False,
        outage_started_at=lambda: None,
        primary_skipped=lambda: False,
        ari_connected=lambda: True,
        ari_reconnects=lambda: 0,
        ami_connected=lambda: True,
        ami_reconnects=lambda: 0,
    )
