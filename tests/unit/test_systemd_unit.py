"""The supervisor unit brings a killed app back in about a second, locked down."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from continuity import names
from continuity.config import Config

UNIT = Path(__file__).resolve().parents[2] / "deploy" / "systemd" / "continuity.service"


def directives() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in UNIT.read_text().splitlines():
        if line and not line.startswith(("#", "[")) and "=" in line:
            key, _, value = line.partition("=")
            found.setdefault(key, []).append(value)
    return found


def test_the_unit_restarts_the_app_after_any_exit_within_a_second_and_never_gives_up() -> None:
    unit = directives()
    assert unit["Restart"] == ["always"]
    assert unit["RestartSec"] == ["1"]
    assert unit["StartLimitIntervalSec"] == ["0"]
    assert unit["ExecStart"][0].endswith("continuity serve")


def test_the_unit_writes_only_where_the_app_must_and_drops_every_privilege() -> None:
    unit = directives()
    for option in ("NoNewPrivileges", "ProtectHome", "PrivateTmp", "PrivateDevices"):
        assert unit[option] == ["yes"], option
    assert unit["ProtectSystem"] == ["strict"]
    assert unit["CapabilityBoundingSet"] == [""]
    defaults = Config()
    spool_dir = PurePosixPath(names.CALL_TRACE_FILE).parent
    assert unit["ReadWritePaths"][0].split() == [
        str(defaults.state_dir),
        f"-{defaults.asterisk_config_dir / names.GENERATED_DIR}",
        f"-{defaults.asterisk_spool_dir / str(spool_dir)}",
    ]
