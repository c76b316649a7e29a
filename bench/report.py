"""The results: one JSON file and one Markdown table per run, under bench/results/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench import onset_report
from bench.stats import fmt

TARGETS = {
    "pdd": "ARI adds ≤5 ms p50, ≤20 ms p99 at 20 calls/s",
    "cpu": "≤0.5 ms",
    "rate": "the app is never the bottleneck; report both rates",
    "outage": "≤3 s at 1 s qualify, no call lost during the switch",
    "cli": "≤100 ms",
}


def _met(ok: bool | None) -> str:
    return "-" if ok is None else ("yes" if ok else "**no**")


def _g(d: dict[str, Any] | None, *path: str) -> Any:
    for key in path:
        if not isinstance(d, dict):
            return None
        d = d.get(key)
    return d


def _pair(route: dict[str, Any] | None) -> str:
    p50, p99 = _g(route, "pdd_ms", "p50"), _g(route, "pdd_ms", "p99")
    return f"p50 {fmt(p50, 2)} / p99 {fmt(p99, 2)} ms"


def summary_rows(results: dict[str, Any]) -> list[list[str]]:
    rows = []
    pdd = results.get("post_dial_delay")
    if pdd:
        ari = pdd["routes"].get("ari", {})
        dp = {"pdd_ms": ari.get("baseline_pdd_ms")}
        agi = pdd["routes"].get("agi")
        up50, up99 = ari.get("overhead_p50_ms"), ari.get("overhead_p99_ms")
        side = "; ".join(
            [
                f"dialplan {_pair(dp)}",
                f"ARI {_pair(ari)}",
                (
                    f"FastAGI {_pair(agi)} (+{fmt(agi.get('overhead_p50_ms'), 2)} p50 over "
                    "its dialplan calls)"
                )
                if agi
                else "FastAGI: not available yet",
            ]
        )
        ok = None if up50 is None else (up50 <= 5 and up99 <= 20)
        rows.append(
            [
                "Post-dial delay, ARI minus dialplan, at "
                f"{pdd['rate_per_route']:g} calls/s per route",
                f"+{fmt(up50, 2)} ms p50, +{fmt(up99, 2)} ms p99",
                side,
                TARGETS["pdd"],
                _met(ok),
            ]
        )
        cpu = pdd.get("app_cpu_ms_per_call") or {}
        ari_cpu, agi_cpu = cpu.get("ari"), cpu.get("agi")
        rows.append(
            [
                "App CPU time per routed call (ARI)",
                f"{fmt(ari_cpu, 2)} ms",
                f"FastAGI {fmt(agi_cpu, 2)} ms" if agi_cpu is not None else "—",
                TARGETS["cpu"],
                _met(None if ari_cpu is None else ari_cpu <= 0.5),
            ]
        )
        marginal = (pdd.get("app_cpu_ms_per_call_marginal") or {}).get("ari")
        if marginal is not None:
            rows.append(
                [
                    "App CPU per ARI call, marginal (block minus the idle rate)",
                    f"{fmt(marginal, 2)} ms",
                    f"idle {fmt((pdd['routes']['ari'].get('app_idle_cpu_per_s') or 0) * 1000, 1)}"
                    " ms/s",
                    TARGETS["cpu"],
                    _met(marginal <= 0.5),
                ]
            )
        messages = pdd["routes"].get("ari", {}).get("ari_messages_per_call")
        wakeups = pdd["routes"].get("ari", {}).get("app_wakeups_per_call_marginal")
        if messages is not None:
            rows.append(
                [
                    "ARI WebSocket messages per call",
                    fmt(messages, 1),
                    f"the app's loop woke {fmt(wakeups, 1)} times per call"
                    if wakeups is not None
                    else "—",
                    "≤12",
                    _met(messages <= 12),
                ]
            )
    rate = results.get("call_rate")
    if rate:
        top = max(r["concurrency"] for r in rate)
        by_route = {r["route"]: r for r in rate if r["concurrency"] == top}
        top_ari, top_dp = by_route.get("ari"), by_route.get("dialplan")
        bad = sum(r["verdicts"]["misrouted"] + r["verdicts"]["lost"] for r in rate)
        ari_rate = _g(top_ari, "routed_per_s", "p50")
        dp_rate = _g(top_dp, "routed_per_s", "p50")
        app_util = _g(top_ari, "cpu_utilisation", "app")
        ok = None
        if ari_rate is not None and dp_rate is not None:
            ok = bad == 0 and ari_rate >= 0.9 * dp_rate and (app_util or 0) < 0.8
        rows.append(
            [
                f"Sustained routed call rate ({top} concurrent)",
                f"ARI {fmt(ari_rate)} calls/s, {bad} misrouted or lost, "
                f"{(top_ari or {}).get('handed_off', 0)} handed to the fallback dialplan;"
                f" app at {fmt((app_util or 0) * 100, 0)}% of a core",
                f"pure dialplan {fmt(dp_rate)} calls/s"
                + (
                    f"; FastAGI {fmt(_g(by_route['agi'], 'routed_per_s', 'p50'))} calls/s"
                    if "agi" in by_route
                    else ""
                ),
                TARGETS["rate"],
                _met(ok),
            ]
        )
    outage = results.get("outage_switch")
    if outage:
        if outage.get("available"):
            rows.append(
                [
                    "Primary outage → first call reaching continuity",
                    f"{fmt(_g(outage, 'switch_s', 'p50'), 2)} s p50, "
                    f"{outage.get('lost', '-')} calls lost",
                    f"qualify {outage.get('qualify_s')} s",
                    TARGETS["outage"],
                    _met(outage.get("met")),
                ]
            )
        else:
            rows.append(
                [
                    "Primary outage → first call reaching continuity",
                    outage["note"],
                    "qualify 1 s",
                    TARGETS["outage"],
                    "-",
                ]
            )
    cli = results.get("cli_change")
    if cli:
        first = cli["commit_to_first_routed_call_ms"]
        ok = None if first["max"] is None else first["max"] <= 100
        rows.append(
            [
                "CLI change → first call routed by it",
                f"{fmt(first['p50'])} ms p50, {fmt(first['max'])} ms max (n={first['n']})",
                f"app loaded the state {fmt(cli['commit_to_app_loaded_ms']['p50'])} ms p50 "
                "after commit",
                TARGETS["cli"],
                _met(ok),
            ]
        )
    if results.get("handoff_onset"):
        rows.append(onset_report.summary_row(results["handoff_onset"]))
    for figures, left in (results.get("pbx_left_behind") or {}).items():
        rows.append(
            [
                f"Channels the pbx kept after the calls ({figures})",
                f"{left['channels']} left behind by a masquerade",
                f"{left['calls_processed']} calls processed",
                "0",
                _met(left["channels"] == 0),
            ]
        )
    return rows


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def markdown(results: dict[str, Any]) -> str:
    meta = results["meta"]
    out = [
        f"# Benchmark run {meta['started']}\n",
        f"Commit `{meta['commit']}` ({meta['dirty_files']} files changed since), "
        + (
            f"the app from `{meta['app_commit']}`, "
            if meta.get("app_commit", meta["commit"]) != meta["commit"]
            else ""
        )
        + f"{meta['cpus']} CPUs, load average at start "
        f"{meta['loadavg']}, {meta['asterisk']}. Post-dial delay from kernel packet "
        f"timestamps on loopback (resolution {meta['timestamp_resolution']}).\n",
        f"Arguments: `{meta['argv']}`\n",
        "## Summary\n",
        _table(["Figure", "Measured", "Side by side", "Target", "Met"], summary_rows(results)),
    ]
    pdd = results.get("post_dial_delay")
    if pdd:
        out.append(
            f"## Post-dial delay (ms), {pdd['rate_per_route']:g} calls/s per route, "
            f"hold {pdd['hold_s']:g} s\n"
        )
        out.append(
            "Each app route ran in a block of its own, its calls alternating with "
            "pure-dialplan calls (`dialplan` pools those). Other processes on the machine "
            f"used up to {(pdd.get('others_utilisation') or 0) * 100:.0f}% of a core meanwhile.\n"
        )
        rows = []
        for route, r in pdd["routes"].items():
            s, v = r["pdd_ms"], r["verdicts"]
            rows.append(
                [
                    route,
                    str(s["n"]),
                    fmt(s["p50"], 2),
                    fmt(s["p90"], 2),
                    fmt(s["p99"], 2),
                    fmt(s["iqr"], 2),
                    f"{fmt(s['min'], 2)}-{fmt(s['max'], 2)}",
                    f"{v['routed']}/{v['misrouted']}/{v['lost']}",
                ]
            )
        if "agi" not in pdd["routes"]:
            rows.append(["agi", "not available yet", "", "", "", "", "", ""])
        out.append(
            _table(
                ["route", "n", "p50", "p90", "p99", "IQR", "min-max", "routed/misrouted/lost"], rows
            )
        )
    if results.get("call_rate"):
        out.append("## Call rate and cost by concurrency (closed loop)\n")
        rows = []
        for r in results["call_rate"]:
            rate, s, v = r["routed_per_s"], r["pdd_ms"], r["verdicts"]
            cpu, util = r["cpu_ms_per_call"], r["cpu_utilisation"]
            rows.append(
                [
                    str(r["concurrency"]),
                    r["route"],
                    str(r["calls"]),
                    f"{fmt(rate['p50'])} ({fmt(rate['min'])}-{fmt(rate['max'])})",
                    f"{v['misrouted']}/{v['lost']}/{r.get('handed_off', 0)}",
                    fmt(s["p50"], 2),
                    fmt(s["p99"], 2),
                    fmt(cpu.get("app"), 2)
                    + f" ({fmt((r.get('cpu_ms_per_call_marginal') or {}).get('app'), 2)})",
                    fmt(r.get("app_wakeups_per_call_marginal"), 1),
                    fmt(cpu.get("pbx"), 2),
                    " / ".join(
                        f"{fmt(max(0.0, util.get(n, 0)) * 100, 0)}%"
                        for n in ("app", "pbx", "carrier", "primary", "others")
                    ),
                ]
            )
        out.append(
            _table(
                [
                    "concurrent",
                    "route",
                    "calls",
                    "routed/s p50 (min-max)",
                    "misrouted/lost/handed off",
                    "PDD p50",
                    "PDD p99",
                    "app CPU ms/call (marginal)",
                    "app loop wake-ups/call",
                    "pbx CPU ms/call",
                    "CPU app / pbx / carrier / primary / other processes",
                ],
                rows,
            )
        )
    after = results.get("after_overload")
    if after:
        seconds = after.get("routed_again_after_s")
        out.append(
            f"After the heaviest block the app routed a call again {seconds:.1f} s after the "
            "load ended.\n"
            if seconds is not None
            else "After the heaviest block the app routed **no** call again: "
            f"{after['attempts']} calls over {after.get('limit_s', 120):g} s, none routed.\n"
        )
    if results.get("cli_change"):
        cli = results["cli_change"]
        first, loaded = cli["commit_to_first_routed_call_ms"], cli["commit_to_app_loaded_ms"]
        out.append(f"## CLI change (ms), a call every {cli['probe_interval_ms']:g} ms\n")
        out.append(
            _table(
                ["from commit to", "n", "p50", "min-max"],
                [
                    [
                        "app logged the new state",
                        str(loaded["n"]),
                        fmt(loaded["p50"]),
                        f"{fmt(loaded['min'])}-{fmt(loaded['max'])}",
                    ],
                    [
                        "first call's INVITE at the new destination",
                        str(first["n"]),
                        fmt(first["p50"]),
                        f"{fmt(first['min'])}-{fmt(first['max'])}",
                    ],
                ],
            )
        )
        out.append(
            f"Calls that arrived after the first new-route call but went the old way: "
            f"{cli['calls_routed_by_old_state_after_first_new']}.\n"
        )
    if results.get("handoff_onset"):
        out.append(onset_report.markdown(results["handoff_onset"]))
    if results.get("profile"):
        out.append("## Profile of the app (py-spy, ARI calls)\n")
        out.append("```\n" + results["profile"] + "\n```\n")
    return "\n".join(out)


def stem_of(results: dict[str, Any]) -> str:
    """The results' file name without extension: the run's UTC start time."""
    started: str = results["meta"]["started"]
    return started.replace(":", "").replace("-", "")


def write(results: dict[str, Any], directory: Path) -> tuple[Path, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    stem = stem_of(results)
    json_path, md_path = directory / f"{stem}.json", directory / f"{stem}.md"
    json_path.write_text(json.dumps(results, indent=2, sort_keys=False) + "\n")
    md_path.write_text(markdown(results))
    return json_path, md_path
