"""Atomic writes: racing writers, readers never seeing half a file, failures changing nothing."""

from __future__ import annotations

import json
import os
import stat
import threading
from pathlib import Path

import pytest

from continuity.files import READABLE, write_atomically

WRITES = 200


def payload(writer: int, n: int) -> str:
    # Large enough that a torn write would show: many pages per file.
    return json.dumps({"writer": writer, "n": n, "fill": "x" * (16 * 1024 + n)})


def test_two_writers_racing_on_one_file_never_fail_and_a_reader_always_sees_a_whole_file(
    tmp_path: Path,
) -> None:
    target = tmp_path / "routing-state.json"
    write_atomically(target, payload(0, 0))
    errors: list[BaseException] = []
    torn: list[str] = []
    done = threading.Event()

    def writer(k: int) -> None:
        try:
            for n in range(WRITES):
                write_atomically(target, payload(k, n))
        except BaseException as exc:  # noqa: BLE001 - collected and asserted on
            errors.append(exc)

    def reader() -> None:
        while not done.is_set():
            text = target.read_text(encoding="utf-8")
            try:
                data = json.loads(text)
            except ValueError:
                torn.append(text[:80])
                continue
            if len(data["fill"]) != 16 * 1024 + data["n"]:
                torn.append(text[:80])

    writers = [threading.Thread(target=writer, args=(k,)) for k in (1, 2)]
    watcher = threading.Thread(target=reader)
    watcher.start()
    for t in writers:
        t.start()
    for t in writers:
        t.join()
    done.set()
    watcher.join()

    assert errors == []
    assert torn == []
    assert json.loads(target.read_text())["n"] == WRITES - 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["routing-state.json"]  # no temp left


def test_a_new_file_is_private_unless_asked_otherwise(tmp_path: Path) -> None:
    old_umask = os.umask(0o077)
    try:
        write_atomically(tmp_path / "private.json", "{}")
        write_atomically(tmp_path / "extensions.conf", "; x\n", mode=READABLE)
    finally:
        os.umask(old_umask)

    assert stat.S_IMODE((tmp_path / "private.json").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "extensions.conf").stat().st_mode) == 0o644


def test_a_directory_in_the_way_fails_the_write_and_leaves_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "routing-state.json"
    target.mkdir()

    with pytest.raises(OSError):
        write_atomically(target, "{}")

    assert [p.name for p in tmp_path.iterdir()] == ["routing-state.json"]
    assert target.is_dir()


def test_a_symlink_at_the_target_is_replaced_and_what_it_pointed_to_is_untouched(
    tmp_path: Path,
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_text("keep me")
    target = tmp_path / "state.json"
    target.symlink_to(elsewhere)

    write_atomically(target, "{}")

    assert elsewhere.read_text() == "keep me"
    assert not target.is_symlink()
    assert target.read_text() == "{}"
