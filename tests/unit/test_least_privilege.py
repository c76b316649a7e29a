"""Issue 12: files holding callers or secrets are private, and exposed secrets are named."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from continuity.config import load_config
from continuity.core.model import Snapshot
from continuity.errors import ConfigError
from continuity.exposure import exposure_warnings
from continuity.recorder import CallRecorder
from continuity.state_cache import StateCache
from tests.unit.test_recorder import Database, call_record


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_a_spooled_call_record_is_readable_by_the_app_s_user_only(tmp_path: Path) -> None:
    database = Database()
    database.down = True
    recorder = CallRecorder(tmp_path / "spool", database)

    await recorder.record(call_record(1))

    (spooled,) = (tmp_path / "spool").glob("*.json")
    assert "+13125550199" in spooled.read_text()
    assert mode(spooled) == 0o600
    assert mode(tmp_path / "spool") == 0o700


def test_the_routing_state_mirror_is_readable_by_the_app_s_user_only(tmp_path: Path) -> None:
    cache = StateCache(tmp_path / "routing-state.json")
    cache.save(Snapshot(version=3))
    assert mode(tmp_path / "routing-state.json") == 0o600


def test_a_database_password_on_the_command_line_is_warned_about() -> None:
    (warning,) = exposure_warnings(
        {"database_url": "postgresql://app:s3cret@db/continuity", "ami_host": "127.0.0.1"},
        None,
        {},
    )
    assert "--database-url" in warning and "ps" in warning
    assert "s3cret" not in warning
    assert exposure_warnings({"database_url": "postgresql://app@db/continuity"}, None, {}) == []


def test_a_config_file_with_secrets_that_every_user_can_read_is_warned_about(
    tmp_path: Path,
) -> None:
    config = tmp_path / "continuity.toml"
    config.write_text('ami_secret = "hunter2"\nami_host = "127.0.0.1"\n')
    config.chmod(0o644)
    (warning,) = exposure_warnings({}, config, {})
    assert "ami_secret" in warning and f"chmod 600 {config}" in warning
    assert "hunter2" not in warning

    config.chmod(0o640)
    assert exposure_warnings({}, None, {"CONTINUITY_CONFIG": str(config)}) == []


def test_trunks_without_a_transport_are_a_configuration_error() -> None:
    trunks = {
        "CONTINUITY_PRIMARY_TRUNK": "sip:primary.example.com",
        "CONTINUITY_PSTN_TRUNK": "sip:pstn.example.com",
    }
    with pytest.raises(ConfigError, match="trunk_transport: required") as refused:
        load_config({}, trunks)
    assert "pjsip.conf" in str(refused.value)
    with pytest.raises(ConfigError, match="set both"):
        load_config({}, {"CONTINUITY_PRIMARY_TRUNK": "sip:primary.example.com"})
    config = load_config({}, {**trunks, "CONTINUITY_TRUNK_TRANSPORT": "transport-udp"})
    assert config.trunk_transport == "transport-udp"
