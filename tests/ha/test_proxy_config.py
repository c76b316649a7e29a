"""`continuity proxy render`: Kamailio's files, from the nodes, checked by Kamailio itself."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

from continuity.db import migrate
from continuity.db.leader import NodeRegistry
from continuity.db.pool import Pool
from localstack.kamailio import KAMAILIO
from tests.conftest import Run


def kamailio_accepts(config_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [KAMAILIO, "-c", "-f", str(config_dir / "kamailio.cfg")],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_the_rendered_proxy_config_names_every_node_and_kamailio_accepts_it(
    run: Run, tmp_path: Path
) -> None:
    done = run(
        "proxy",
        "render",
        "--listen",
        "127.0.0.1:5099",
        "--node",
        "pbx1=sip:127.0.0.1:5070",
        "--node",
        "pbx2=sip:127.0.0.1:5071",
        "--config-dir",
        str(tmp_path),
        "--out-dir",
        str(tmp_path),
        "--runtime-dir",
        str(tmp_path),
    )
    assert done.returncode == 0, done.stderr
    listed = (tmp_path / "dispatcher.list").read_text()
    assert "1 sip:127.0.0.1:5070 0 0 duid=pbx1" in listed
    assert "1 sip:127.0.0.1:5071 0 0 duid=pbx2" in listed
    checked = kamailio_accepts(tmp_path)
    assert checked.returncode == 0, checked.stderr


async def test_without_nodes_given_the_registered_nodes_are_rendered(
    run: Run, cli_db: str, tmp_path: Path
) -> None:
    await migrate.upgrade(cli_db)
    async with Pool(cli_db, open=False, min_size=1) as pool:
        await NodeRegistry(pool).heartbeat("east", "sip:127.0.0.1:5080", dt.datetime.now(dt.UTC))
        await NodeRegistry(pool).heartbeat("west", "", dt.datetime.now(dt.UTC))
    done = run("proxy", "render", "--listen", "127.0.0.1:5099")
    assert done.returncode == 0, done.stderr
    assert "1 sip:127.0.0.1:5080 0 0 duid=east" in done.stdout
    assert "duid=west" not in done.stdout  # no SIP URI: not a dispatch target


def test_a_bad_node_is_refused_and_nothing_is_written(run: Run, tmp_path: Path) -> None:
    for bad in ("pbx1=sip:;evil", "pbx 1=sip:127.0.0.1:5070", "pbx1", "pbx1=sip:127.0.0.1:99999"):
        done = run("proxy", "render", "--node", bad, "--out-dir", str(tmp_path))
        assert done.returncode == 2, (bad, done.stdout, done.stderr)
        assert "node" in done.stderr
    assert list(tmp_path.iterdir()) == []
