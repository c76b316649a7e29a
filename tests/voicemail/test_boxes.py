"""The generated voicemail.conf: a box per line, names that cannot break the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from continuity.core.model import Line, LineKind, Snapshot
from continuity.dialplan_templates.voicemail import render_voicemail
from continuity.files import replace_if_changed
from continuity.voicemail.boxes import BoxSync


def lines(*specs: tuple[str, str]) -> Snapshot:
    return Snapshot(
        lines={i: Line(i, LineKind.DEPARTMENT, name=name) for i, name in specs}, version=7
    )


def test_every_line_has_a_box_and_its_name_cannot_add_fields_or_comments() -> None:
    text = render_voicemail(lines(("sales", "Sales, East; |x=1"), ("jdoe", "")))

    boxes = [ln for ln in text.splitlines() if "=>" in ln]
    assert boxes == ["jdoe => ,jdoe", "sales => ,Sales East x 1"]
    assert "[continuity]" in text


async def test_a_failed_reload_is_retried_on_the_next_apply_even_without_changes(
    tmp_path: Path,
) -> None:
    reloads: list[str] = []

    async def reload() -> None:
        reloads.append("reload")
        if len(reloads) == 1:
            raise OSError("AMI refused the connection")

    sync = BoxSync(tmp_path / "vm.conf", render_voicemail, replace_if_changed, reload)
    snapshot = lines(("sales", "Sales"))
    with pytest.raises(OSError):
        await sync.apply(snapshot)

    assert await sync.apply(snapshot)
    assert not await sync.apply(snapshot)
    assert reloads == ["reload", "reload"]
