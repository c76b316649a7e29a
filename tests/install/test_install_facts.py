"""Issue 12: what the README promises an installing admin, checked against the code."""

from __future__ import annotations

from pathlib import Path

import pytest

from continuity import names
from continuity.core.model import Snapshot
from continuity.dialplan_sync import DialplanSync, GeneratedFile
from continuity.errors import DialplanRejected
from continuity.install import (
    AMI_PRIVILEGES,
    INCLUDES,
    PLACEHOLDER,
    install,
    missing_includes,
    reload_hint,
)

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def test_the_readme_gives_exactly_the_ami_privileges_and_include_lines_the_product_uses() -> None:
    for line in AMI_PRIVILEGES.lines():
        assert f"\n   {line}\n" in README, line
    for include in INCLUDES:
        assert include.line in README


def test_install_writes_each_missing_file_once_and_finds_the_admin_s_include_lines(
    tmp_path: Path,
) -> None:
    (tmp_path / "extensions.conf").write_text(
        '[general]\n#tryinclude "continuity/extensions_continuity.conf"\n'
    )
    (tmp_path / "pjsip.conf").write_text(
        f'#include "{tmp_path}/continuity/pjsip_continuity.conf"\n'
    )
    (tmp_path / "voicemail.conf").write_text('; #include "continuity/voicemail_continuity.conf"\n')

    first = install(tmp_path, "[continuity-primary]\ntype = aor\n")
    again = install(tmp_path, None)

    assert [w.action for w in first] == ["wrote"] * 3
    assert [w.action for w in again] == ["kept"] * 3
    generated = tmp_path / names.GENERATED_DIR
    assert (generated / names.GENERATED_EXTENSIONS).read_text() == PLACEHOLDER
    assert "type = aor" in (generated / names.GENERATED_PJSIP).read_text()
    assert (generated / names.GENERATED_VOICEMAIL).stat().st_mode & 0o777 == 0o640
    assert [i.file for i in missing_includes(tmp_path)] == ["voicemail.conf"]  # a comment


def generated(path: Path, reload_results: list[Exception | None]) -> GeneratedFile:
    async def reload() -> None:
        result = reload_results.pop(0)
        if result is not None:
            raise result

    async def loaded(_section: str) -> set[tuple[object, ...]]:
        return set()

    return GeneratedFile(path, lambda _s: "new\n", lambda _t: {}, reload, loaded)


async def test_a_failed_reload_says_whether_the_restored_file_was_reloaded(tmp_path: Path) -> None:
    path = tmp_path / "extensions_continuity.conf"
    path.write_text("old\n")
    refused = OSError("AMI Command failed: No such command 'dialplan reload'")

    with pytest.raises(DialplanRejected) as both_failed:
        await DialplanSync([generated(path, [refused, refused])]).apply(Snapshot())
    message = str(both_failed.value)
    assert "reloading it failed too" in message
    assert "still in place and loaded" not in message
    assert path.read_text() == "old\n"

    with pytest.raises(DialplanRejected, match="back on disk and Asterisk reloaded it"):
        await DialplanSync([generated(path, [refused, None])]).apply(Snapshot())


def test_an_ami_refusal_comes_with_how_to_fix_it() -> None:
    no_dialplan = reload_hint("dialplan reload", "No such command 'dialplan reload'")
    assert "continuity install" in no_dialplan and "extensions.conf did not parse" in no_dialplan
    denied = reload_hint("module reload res_pjsip.so", "AMI Command failed: Permission denied")
    assert "write = system,command,reporting,originate" in denied
