"""`continuity --help` opens with the commands, grouped; settings have their own listing."""

from __future__ import annotations

import argparse
import shlex

import pytest

from continuity.cli import build_parser
from continuity.cli.layout import EXAMPLES
from continuity.config import SETTINGS


def _commands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    [sub] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(sub.choices)


def test_the_top_level_help_lists_every_command_before_the_options_and_no_setting_flag() -> None:
    parser = build_parser()
    text = parser.format_help()
    options_at = text.index("\noptions:")
    for name in _commands(parser):
        assert f"\n  {name} " in text[:options_at], name
    assert text.index("routing:") < text.index("running:") < options_at
    options = text[options_at : text.index("\nsettings:")]
    for name in SETTINGS:
        assert f"--{name.replace('_', '-')}" not in options
    assert "`continuity settings`" in text[options_at:]


def test_setting_flags_still_work_before_the_command() -> None:
    args = build_parser().parse_args(["--ari-url", "http://127.0.0.1:8089", "status"])
    assert args.ari_url == "http://127.0.0.1:8089"


@pytest.mark.parametrize("name", sorted(_commands(build_parser())))
def test_every_command_has_help_with_examples_that_parse(name: str) -> None:
    parser = build_parser()
    text = _commands(parser)[name].format_help()
    assert text.startswith(f"usage: continuity {name}")
    assert "\nexamples:\n" in text
    for line in EXAMPLES.get(name, "").splitlines():
        argv = shlex.split(line)
        if argv[0] == "continuity":
            parser.parse_args(argv[1:])  # an example that does not parse exits here
