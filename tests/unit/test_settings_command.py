"""`continuity settings`: each setting's value and where it came from; secrets hidden."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from continuity.cli import build_parser
from continuity.cli.configuration import cmd_settings
from continuity.config import SETTINGS, load_config


async def test_settings_shows_each_value_and_its_source_and_hides_secrets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for _name, (env, _parse) in SETTINGS.items():
        monkeypatch.delenv(env, raising=False)
    monkeypatch.delenv("CONTINUITY_CONFIG", raising=False)
    monkeypatch.setenv("CONTINUITY_AMI_HOST", "127.0.0.2")
    monkeypatch.setenv("CONTINUITY_ARI_PASSWORD", "s3cret-ari")
    config_file = tmp_path / "continuity.toml"
    config_file.write_text('dial_timeout = 25\nlog_format = "json"\n')
    argv = ["--config", str(config_file), "--ari-url", "http://127.0.0.1:8089", "settings"]
    args = build_parser().parse_args([*argv, "--json"])
    config = load_config({n: getattr(args, n, None) for n in SETTINGS}, config_file=args.config)

    assert await cmd_settings(args, config) == 0

    out = capsys.readouterr().out
    rows = {row["setting"]: row for row in json.loads(out)}
    assert set(rows) == set(SETTINGS)
    assert rows["ari_url"] == {
        "setting": "ari_url",
        "flag": "--ari-url",
        "environment": "CONTINUITY_ARI_URL",
        "value": "http://127.0.0.1:8089",
        "from": "flag",
    }
    assert (rows["ami_host"]["value"], rows["ami_host"]["from"]) == ("127.0.0.2", "environment")
    assert (rows["dial_timeout"]["value"], rows["dial_timeout"]["from"]) == ("25", "file")
    assert (rows["log_format"]["value"], rows["log_format"]["from"]) == ("json", "file")
    assert (rows["agi_port"]["value"], rows["agi_port"]["from"]) == ("4573", "default")
    assert rows["ari_password"]["value"] == "***" and rows["ari_password"]["flag"] == "-"
    assert "s3cret-ari" not in out
