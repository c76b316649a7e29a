"""log_format: text lines name the call in brackets; json lines carry call_id."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from continuity.logsetup import call_context, configure_logging


@pytest.fixture
def restore_root() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_lines_logged_while_handling_a_call_carry_its_id(fmt: str, restore_root: None) -> None:
    out = io.StringIO()
    configure_logging("INFO", fmt, out)
    log = logging.getLogger("continuity.ari_app.services")
    with call_context("1733050000.42"):
        log.info("primary failed (%s)", "congestion")
    log.info("not about a call")
    first, second = out.getvalue().splitlines()
    if fmt == "json":
        assert json.loads(first)["call_id"] == "1733050000.42"
        assert json.loads(first)["message"] == "primary failed (congestion)"
        assert "call_id" not in json.loads(second)
    else:
        assert first.endswith("ari_app.services: [call 1733050000.42] primary failed (congestion)")
        assert second.endswith("ari_app.services: not about a call")
