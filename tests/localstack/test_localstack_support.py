"""Wire formats and bookkeeping of the local stack, without Asterisk."""

from __future__ import annotations

import itertools
import json
import os
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from localstack import postgres, rootfs, temporary_database
from localstack.carrier import BEHAVIOR, HEADER, parse_observations
from localstack.pbxconfig import render_pbx
from localstack.ports import PortAllocator, ephemeral_floor


def test_observation_lines_are_uri_decoded() -> None:
    text = (
        HEADER
        + "abc.1|primary|%2B15551230001|%2B15551112222|O%27Brien%2C%20Pat|17.5|reject%3A503"
        + "|%3Csip%3A%2B12125550101%40h%3E%3Breason%3Dunconditional||%3Csip%3Ax%40h%3E"
        + "|127.0.0.11%3A5070\n"
    )

    [observation] = parse_observations(text)

    assert observation.number == "+15551230001"
    assert observation.caller_id_name == "O'Brien, Pat"
    assert observation.outcome == "reject:503"
    assert observation.time == 17.5
    assert observation.diversion == "<sip:+12125550101@h>;reason=unconditional"
    assert (observation.history_info, observation.from_header) == ("", "<sip:x@h>")
    assert observation.source_host == "127.0.0.11"  # which pbx node sent it


def test_a_malformed_observation_line_is_an_error() -> None:
    with pytest.raises(ValueError, match="malformed"):
        parse_observations("only|three|fields\n")


@pytest.mark.parametrize("behavior", ["answer", "noanswer", "reject:503", "hangup-after:2.5"])
def test_known_behaviours_are_accepted(behavior: str) -> None:
    assert BEHAVIOR.fullmatch(behavior)


@pytest.mark.parametrize("behavior", ["", "reject", "reject:99", "hangup-after:", "busy"])
def test_unknown_behaviours_are_refused(behavior: str) -> None:
    assert not BEHAVIOR.fullmatch(behavior)


def test_tcp_listening_ports_are_below_the_ephemeral_range_and_never_given_twice() -> None:
    """No outgoing connection (its source port is ephemeral) can take a stack's AMI or
    HTTP port between its allocation and Asterisk's bind; two allocators never agree."""
    given = [PortAllocator().tcp() for _ in range(50)]
    assert len(set(given)) == len(given)
    assert all(port < ephemeral_floor() for port in given)


def test_rtp_ranges_never_overlap_even_from_separate_allocators() -> None:
    """Each instance of a stack may build its own allocator; their RTP ranges must
    still be apart (CI once gave two instances the same block)."""
    ranges = sorted(PortAllocator().rtp_range() for _ in range(20))
    for (_, end), (start, _) in itertools.pairwise(ranges):
        assert end < start


def test_the_pbx_includes_the_generated_files() -> None:
    files = render_pbx(
        sip_bind="127.0.0.1:5060",
        inbound_match="127.0.0.1",
        primary_contact="sip:127.0.0.1:5070",
        pstn_contact="sip:127.0.0.1:5080",
    )
    assert '#include "continuity/extensions_continuity.conf"' in files["extensions.conf"]
    assert '#include "continuity/pjsip_continuity.conf"' in files["pjsip.conf"]
    assert "continuity/extensions_continuity.conf" in files


def test_a_rootfs_is_reused_only_with_the_current_provision_script(tmp_path: Path) -> None:
    marker = tmp_path / "rootfs" / rootfs.MARKER
    marker.parent.mkdir()
    marker.write_text(json.dumps({"provision_sha256": rootfs.provision_digest()}))
    assert rootfs.ensure_rootfs(tmp_path) == tmp_path.resolve() / "rootfs"

    marker.write_text(json.dumps({"provision_sha256": "older script"}))
    assert not rootfs._is_ready(marker.parent, rootfs.provision_digest())


def test_database_urls_keep_everything_but_the_database() -> None:
    url = postgres.database_url(
        "postgresql://postgres@127.0.0.1:5432/postgres?sslmode=disable", "x"
    )
    assert url == "postgresql://postgres@127.0.0.1:5432/x?sslmode=disable"
    assert "dbname=x" in postgres.database_url("host=127.0.0.1 user=postgres", "x")


async def test_a_temporary_database_exists_only_inside_its_block(database_url: str) -> None:
    async with temporary_database(database_url) as url:
        async with await psycopg.AsyncConnection.connect(url) as connection:
            cursor = await connection.execute("SELECT current_database()")
            row = await cursor.fetchone()
        assert row is not None
        name = row[0]
        assert name.startswith("continuity_test_")

    async with await psycopg.AsyncConnection.connect(database_url) as connection:
        query = sql.SQL("SELECT 1 FROM pg_database WHERE datname = {}").format(sql.Literal(name))
        cursor = await connection.execute(query)
        assert await cursor.fetchone() is None


def test_trees_of_killed_runs_are_pruned_but_recent_ones_kept(tmp_path: Path) -> None:
    instances = tmp_path / "srv" / "instances"
    stale, recent = instances / "pbx-stale", instances / "pbx-recent"
    for tree in (stale, recent):
        (tree / "run").mkdir(parents=True)
        (tree / "run" / "asterisk.pid").write_text("999999999\n")
    os.utime(stale, (0, 0))

    assert rootfs.prune_instances(tmp_path) == [stale]
    assert recent.exists()
