"""The shipped Grafana dashboard queries only metrics the app exposes."""

from __future__ import annotations

import json
import re
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from continuity.metrics import Metrics
from tests.unit.quiet_app import quiet_probes

DASHBOARD = Path(__file__).parents[2] / "deploy" / "grafana" / "continuity.json"


def test_every_continuity_metric_the_dashboard_queries_is_exposed() -> None:
    metrics = Metrics(quiet_probes())
    metrics.calls.calls.labels("primary", "answered")  # labelled series exist once used
    metrics.calls.failover_steps.labels("congestion")
    metrics.calls.plans.labels("normal")
    metrics.calls.post_dial_delay.labels("primary")
    exposed = {
        sample.name
        for family in text_string_to_metric_families(metrics.render().decode())
        for sample in family.samples
    }
    data = json.loads(DASHBOARD.read_text())
    queries = [t["expr"] for p in data["panels"] for t in p.get("targets", [])]
    queried = {name for q in queries for name in re.findall(r"\bcontinuity_\w+", q)}
    assert queried, "the dashboard has continuity panels"
    assert queried <= exposed, sorted(queried - exposed)
    assert any("asterisk_" in q for q in queries)  # res_prometheus panels beside ours
