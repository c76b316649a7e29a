"""The hand-off onset ramp (``bench/onset.py``) as a summary row and a Markdown table."""

from __future__ import annotations

from typing import Any

from bench.stats import fmt

_SHARES = ("app", "pbx", "others")
TARGET = "≥90 % of the dialplan's saturation rate"


def _rate(value: float | None, limit: float) -> str:
    return f"{value:g} calls/s" if value is not None else f"not reached by {limit:g} calls/s"


def summary_row(onset: dict[str, Any]) -> list[str]:
    limit = onset["ramp"]["limit"]
    share = onset.get("share")
    saturation = onset.get("ari_saturation_rate")
    saturation_share = onset.get("ari_saturation_share")
    return [
        "Rate at which the ARI route starts handing calls off (open-loop SIPp ramp)",
        f"ARI hands off from {_rate(onset['ari_handoff_rate'], limit)}"
        + (f" ({share * 100:.0f} %)" if share is not None else "")
        + (
            f"; it saturates at {saturation:g} calls/s"
            + (f" ({saturation_share * 100:.0f} %)" if saturation_share is not None else "")
            if saturation is not None
            else ""
        ),
        f"pure dialplan saturates at {_rate(onset['dialplan_saturation_rate'], limit)}",
        TARGET,
        "-" if share is None else ("yes" if share >= 0.9 else "no"),
    ]


def markdown(onset: dict[str, Any]) -> str:
    ramp, criteria = onset["ramp"], onset["criteria"]
    out = [
        "## Hand-off onset (open-loop SIPp ramp)\n",
        f"SIPp calls straight into the pbx from {ramp['start']:g} calls/s, "
        f"{ramp['step']:g} calls/s more per step, {ramp['seconds']:g} s per step, hold "
        f"{ramp['hold_s']:g} s; at each rate the routes ran one after the other. Dialplan "
        f"saturates at the first step with more than {criteria['max_failed'] * 100:g} % of "
        f"its calls not routed or a p90 post-dial delay above "
        f"{criteria['pdd_p90_bound_ms']:g} ms; ARI hands off at the first step with at "
        f"least {criteria['min_handed'] * 100:g} % of its calls handed to the fallback "
        f"dialplan (first hand-off of any size: "
        f"{_rate(onset['ari_first_handoff_rate'], ramp['limit'])}). CPU is each process's "
        "time during the step minus its idle rate over as long, per call.\n",
    ]
    header = [
        "calls/s",
        "route",
        "calls",
        "routed/misrouted/lost",
        "handed off",
        "PDD p50",
        "PDD p90",
        "PDD p99",
        "mean concurrent",
        "app CPU ms/call",
        "pbx CPU ms/call",
        "app / pbx / other processes, share of a core",
    ]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for s in onset["steps"]:
        v, d = s["verdicts"], s["pdd_ms"]
        cpu, util = s["cpu_ms_per_call_marginal"], s["cpu_utilisation"]
        mark = " (saturated)" if s["saturated"] else (" (hands off)" if s["handing_off"] else "")
        row = [
            f"{s['rate']:g}",
            s["route"] + mark,
            str(s["calls"]),
            f"{v['routed']}/{v['misrouted']}/{v['lost']}",
            str(s["handed_off"]),
            fmt(d["p50"], 2),
            fmt(d["p90"], 2),
            fmt(d["p99"], 2),
            fmt(s["mean_concurrency"], 0),
            fmt(cpu.get("app"), 2),
            fmt(cpu.get("pbx"), 2),
            " / ".join(
                f"{max(0.0, util.get(n, 0.0)) * 100:.0f}%" for n in ("app", "pbx", "others")
            ),
        ]
        lines.append("| " + " | ".join(row) + " |")
    out.append("\n".join(lines) + "\n")
    return "\n".join(out)
