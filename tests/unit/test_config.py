"""Configuration layers and the errors an admin sees for bad values."""

from __future__ import annotations

from pathlib import Path

import pytest

from continuity.config import Dialing, UnknownNumberPolicy, load_config
from continuity.errors import ConfigError


def test_a_flag_beats_the_environment_which_beats_the_file(tmp_path: Path) -> None:
    file = tmp_path / "continuity.toml"
    file.write_text('dial_timeout = 11\nari_url = "http://127.0.0.1:1"\nlog_level = "debug"\n')
    env = {"CONTINUITY_DIAL_TIMEOUT": "22", "CONTINUITY_ARI_URL": "http://127.0.0.1:2"}
    config = load_config({"dial_timeout": "33"}, env, file)
    assert config.dial_timeout == 33
    assert config.ari_url == "http://127.0.0.1:2"
    assert config.log_level == "DEBUG"


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    file = tmp_path / "continuity.toml"
    file.write_text('colour = "blue"\n')
    env = {"CONTINUITY_DIAL_TIMEOUT": "soon", "CONTINUITY_UNKNOWN_NUMBER": "explode"}
    with pytest.raises(ConfigError) as err:
        load_config({"database_url": "mysql://x"}, env, file)
    text = str(err.value)
    assert "unknown setting 'colour'" in text
    assert "CONTINUITY_DIAL_TIMEOUT" in text
    assert "CONTINUITY_UNKNOWN_NUMBER" in text
    assert "--database-url: must start with postgresql://" in text


def test_secrets_never_show_in_the_config_repr() -> None:
    env = {"CONTINUITY_ARI_PASSWORD": "hunter2", "CONTINUITY_AMI_SECRET": "s3"}
    config = load_config({}, env)
    assert config.ari_password == "hunter2"
    assert "hunter2" not in repr(config)
    assert "s3" not in repr(config)


@pytest.mark.parametrize("text", ["reject:unallocated", "announce:ss-noservice"])
def test_unknown_number_policies_parse(text: str) -> None:
    assert str(UnknownNumberPolicy.parse(text)) == text


@pytest.mark.parametrize("text", ["reject:maybe", "announce:", "announce:x;y", "ring"])
def test_bad_unknown_number_policies_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="expected reject"):
        UnknownNumberPolicy.parse(text)


def test_who_dials_is_the_app_unless_the_admin_hands_it_to_the_dialplan() -> None:
    assert load_config({}, {}).dialing is Dialing.ARI
    assert load_config({}, {"CONTINUITY_DIALING": "Dialplan"}).dialing is Dialing.DIALPLAN
    with pytest.raises(ConfigError, match="CONTINUITY_DIALING: must be ari or dialplan"):
        load_config({}, {"CONTINUITY_DIALING": "asterisk"})
