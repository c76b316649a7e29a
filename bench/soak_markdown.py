"""The soak's results as Markdown (``bench/results/soak-*.md``), from its JSON."""

from __future__ import annotations

from typing import Any


def _row(*cells: object) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def as_markdown(data: dict[str, Any]) -> str:
    calls, records, usage = data["calls"], data["records"], data["app_usage"]
    at_restart = records["problems_of_calls_up_at_the_asterisk_restart"]
    s, load = data["settings"], data["load_average"]
    lines = [
        f"# Soak under faults, {data['started']}",
        "",
        f"Commit `{data['commit']}`. {s['rate']:g} calls/s for {s['seconds'] / 60:g} min,"
        f" {s['hold']:g} s holds. Load average {load['start']} at start, {load['end']} at the end"
        f" ({data['machine']}).",
        "",
        f"Arguments: `{' '.join(data['arguments'])}`",
        "",
        "## Faults",
        "",
        "| fault | at | lasted (until all back) | detail |",
        "|---|---|---|---|",
        *(
            f"| {f['name']} | {f['at_s']} s | {f['lasted_s']} s | {f['detail']} |"
            for f in data["faults"]
        ),
        "",
        "## Calls",
        "",
        "| placed | answered | routed | misrouted | lost | lost outside the Asterisk restart |",
        "|---|---|---|---|---|---|",
        _row(
            calls["placed"],
            calls["answered"],
            calls["routed"],
            len(calls["misrouted"]),
            calls["lost"],
            calls["lost_outside_restart"],
        ),
        "",
        f"Landed: {', '.join(f'{k} {v}' for k, v in calls['landed'].items()) or 'nowhere'}.",
        "",
    ]
    if calls["misrouted"]:
        lines += ["Misrouted:", "", *(f"- {m}" for m in calls["misrouted"][:50]), ""]
    if calls["lost_calls"]:
        lines += ["Lost calls (at: seconds after the first call):", ""]
        for c in calls["lost_calls"][:100]:
            restart = " (Asterisk restart)" if c["in_asterisk_restart"] else ""
            lines.append(f"- {c['caller']} at {c['at_s']} s{restart}: {c['cause']}")
        lines.append("")
    lines += [
        "## Call records",
        "",
        "Outside the Asterisk restart:",
        "",
        "| calls that reached the carrier | records | lost | doubled | not where the call landed |",
        "|---|---|---|---|---|",
        _row(records["calls_that_reached_the_carrier"], records["records_found"],
             len(records["lost"]), len(records["doubled"]),
             len(records["not_where_the_call_landed"])),
        "",
        f"Routed by: {', '.join(f'{k} {v}' for k, v in records['paths'].items())}.",
        "",
        *(f"- lost: {c}" for c in records["lost"][:50]),
        *(f"- doubled: {c}" for c in records["doubled"][:50]),
        *(f"- {w}" for w in records["not_where_the_call_landed"][:50]),
        "",
        f"Calls up at the Asterisk restart ({calls['up_at_the_asterisk_restart']}), counted apart"
        f" above: {len(at_restart)} record problems.",
        "",
        *(f"- {w}" for w in at_restart[:50]),
        "",
        "## The app's memory and file descriptors (sampled every 10 s)",
        "",
        f"{usage['runs']} runs of the app (each SIGKILL starts a new one); the longest ran"
        f" {usage['longest_run_minutes']} min: RSS {usage['rss_mib_first_last']} MiB first/last,"
        f" slope {usage['rss_mib_slope_per_min']} MiB/min"
        f" ({usage['rss_mib_slope_per_min_second_half']} over its second half);"
        f" fds {usage['fds_first_last']}, slope {usage['fds_slope_per_min']}/min"
        f" ({usage['fds_slope_per_min_second_half']} over its second half).",
        "",
        "| at | pid | RSS MiB | fds |",
        "|---|---|---|---|",
        *(_row(f"{u['at_s']} s", u["pid"], u["rss_mib"], u["fds"])
          for u in data["app_usage_samples"]),
        "",
        f"## Asterisk channels left over at the end: {data['leftover_channels']}",
        "",
        "## Post-dial delay per window (SIPp's INVITE to the pbx → the pbx's INVITE to a trunk)",
        "",
        "| window | calls | p50 ms | p99 ms | slowest (caller at s: ms) |",
        "|---|---|---|---|---|",
        *(
            _row(f"{w['from_s']:g}-{w['to_s']:g} s", w["calls"], w["p50_ms"], w["p99_ms"],
                 ", ".join(f"{c} at {at:g}: {ms:g}" for c, at, ms in w.get("slowest", [])))
            for w in data["post_dial_delay_windows"]
        ),
        "",
    ]  # fmt: skip
    if data["app_log_errors"]:
        lines += [
            "## Errors in the app's log (first 50)",
            "",
            "```",
            *data["app_log_errors"],
            "```",
            "",
        ]
    return "\n".join(lines)
