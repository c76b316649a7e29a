"""bench.scale's results: the table of figures by count, and the files in bench/results/."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
from pathlib import Path
from typing import Any

from bench.scale_numbers import SOURCE_ROOT, loadavg

ROWS = (
    ("import of the numbers (s)", "import_s", "≤60 at 100,000"),
    ("app start: routing state loaded, ready to route (s)", "app_ready_s", "≤3"),
    ("RSS of the routing state process (MB)", "app_rss_mb", "≤300"),
    ("one change: admin call → committed (s, median)", "change_admin_call_s_median", ""),
    ("one change: commit → live on the ARI path (s, median)",
     "change_live_from_commit_s_median", "≤0.1"),
    ("one change from serve's console: admin call → live on the ARI path (s, median)",
     "change_in_serve_call_s_median", "≤0.1"),
    ("one change from another process (the CLI): admin call → live on the ARI path (s, median)",
     "change_live_from_call_s_median", "≤0.1"),
    ("fallback: render the file (s)", "dialplan_render_s", ""),
    ("fallback: read it back / expected items (s)", "dialplan_read_back_s", ""),
    ("fallback: file size (MB)", "dialplan_file_mb", ""),
    ("fallback: Asterisk `dialplan reload` (s)", "asterisk_dialplan_reload_s", ""),
    ("fallback: one change → live (render + read back + reload, s)",
     "fallback_change_live_s", "≤1"),
    ("pbx RSS after the reload (MB)", "pbx_rss_mb", ""),
    ("astdb: full apply, every route written (s)", "astdb_full_apply_s", ""),
    ("astdb: keys written by the full apply", "astdb_full_apply_keys", ""),
    ("astdb: one change → live in the fallback (s)", "astdb_change_live_s", "≤1"),
    ("astdb: a rewrite of the main line's routes (keys)", "astdb_rewrite_keys", ""),
    ("astdb: that rewrite (s)", "astdb_rewrite_s", ""),
    ("fallback call, idle: placed → answered (s, median, 0.3 s ring included)",
     "fallback_call_idle_s_median", ""),
    ("fallback call during the rewrite (s, median)",
     "fallback_call_during_rewrite_s_median", "at most 2x idle"),
    ("calls placed during the rewrite", "calls_during_rewrite", ""),
    ("calls refused or unanswered during it", "calls_refused_during_rewrite", "0"),
    ("astdb: generated file (kB)", "astdb_file_kb", ""),
    ("astdb: its `dialplan reload` (s)", "astdb_dialplan_reload_s", ""),
    ("astdb: pbx RSS with every route (MB)", "pbx_rss_mb_astdb", ""),
    ("load average after", "loadavg", ""),
)  # fmt: skip


def markdown(results: list[dict[str, Any]], meta: dict[str, Any]) -> str:
    head = "| Figure | " + " | ".join(f"{r['numbers']:,}" for r in results) + " | Target |"
    lines = [
        "# Scale: " + ", ".join(f"{r['numbers']:,}" for r in results) + " tracking numbers",
        "",
        f"Run {meta['at']} on commit {meta['commit']}; load average before: {meta['loadavg']}.",
        "",
        head,
        "|---|" + "---|" * (len(results) + 1),
    ]
    for title, key, target in ROWS:
        cells = [str(r.get(key, "-")) for r in results]
        lines.append(f"| {title} | " + " | ".join(cells) + f" | {target} |")
    return "\n".join(lines) + "\n"


def meta() -> dict[str, Any]:
    commit = subprocess.run(
        ["git", "-C", str(SOURCE_ROOT), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    )
    return {
        "at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "commit": commit.stdout.strip(),
        "loadavg": loadavg(),
        "cpus": os.cpu_count(),
    }


def write(out: Path, meta: dict[str, Any], results: list[dict[str, Any]]) -> Path:
    stamp = str(meta["at"]).replace("-", "").replace(":", "")
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{stamp}-scale.md"
    (out / f"{stamp}-scale.json").write_text(
        json.dumps({"meta": meta, "results": results}, indent=2) + "\n"
    )
    path.write_text(markdown(results, meta))
    return path
