"""`continuity line forward verify` without a call: an audited override; bad input first."""

from __future__ import annotations

import json

import pytest

from continuity.cli import main
from tests.cli.conftest import Run

pytestmark = pytest.mark.usefixtures("upgraded")

CELL = "+13125550161"


def test_the_admins_word_is_an_explicit_override_and_is_audited_as_such(run: Run) -> None:
    assert run("line", "add", "jdoe", "--kind", "user").returncode == 0
    assert run("line", "forward", "add", "jdoe", CELL).returncode == 0

    unknown = run("line", "forward", "verify", "jdoe", "+13125550199")
    assert unknown.returncode == 1  # refused before any call is placed
    assert "+13125550199 is not a forwarding number of line 'jdoe'" in unknown.stderr

    done = run("line", "forward", "verify", "jdoe", CELL, "--without-call")
    assert done.returncode == 0, done.stderr
    assert "marked verified on your word (no call)" in done.stdout
    [entry, *_] = json.loads(run("audit", "--json").stdout)
    assert (entry["action"], entry["new_value"]) == (
        "forwarding.verify-override",
        {"number": CELL, "by": "admin, without a call"},
    )
    listed = json.loads(run("line", "list", "--json").stdout)
    assert listed[0]["forwarding"] == [{"number": CELL, "verified": True}]


def test_verify_help_names_the_call_and_the_override(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["line", "forward", "verify", "--help"])
    text = capsys.readouterr().out
    assert "--without-call" in text and "keys the code" in text
