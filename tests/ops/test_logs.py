"""Issue 16: every log line about a call carries its id; one INFO line per call at its end."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from continuity.admin import SettingsChange
from continuity.logsetup import CallIdFilter, JsonFormatter, StormFilter
from tests.scenario import CALLER, Scenario, external

MAIN = "+12125550101"
ANSWERING_SERVICE = "+13125550150"


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """The app's log lines, as `log_format = json` writes them, at DEBUG."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.addFilter(CallIdFilter())
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield out
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


async def test_a_failed_over_call_logs_its_id_on_every_line_and_one_line_at_its_end(
    scenario: Scenario, json_log: io.StringIO
) -> None:
    await scenario.account(SettingsChange(destination=external(ANSWERING_SERVICE)))
    await scenario.tracking_number(MAIN)
    await scenario.stack.set_behavior(MAIN, "reject:503")

    call = await scenario.call(MAIN)
    await call.wait_answered()
    await call.hangup()
    record = await scenario.call_record(MAIN)

    lines = [json.loads(line) for line in json_log.getvalue().splitlines()]
    about = [line for line in lines if record.call_id in line["message"]]
    assert len(about) >= 3  # routed, the primary failed, answered
    assert all(line.get("call_id") == record.call_id for line in about)
    ended = [
        line
        for line in lines
        if line.get("call_id") == record.call_id and line["message"].startswith("call ended")
    ]
    assert len(ended) == 1
    [end] = ended
    assert end["level"] == "INFO"
    assert end["dialed"] == MAIN
    assert end["route"] == "primary:congestion > external:answered"
    assert end["outcome"] == "answered"
    assert end["duration_seconds"] > 0
    assert CALLER not in end["message"]  # the caller's number is not logged at INFO


def test_a_reconnect_storm_is_cut_to_a_few_lines_and_a_count() -> None:
    now = [0.0]
    storm = StormFilter(burst=3, window=60.0, clock=lambda: now[0])
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.addFilter(storm)
    logger = logging.getLogger("continuity.ari_app.client.stream")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        for attempt in range(50):
            now[0] += 0.5
            logger.warning("Reconnecting to ARI events in %.2f s (attempt %d)", 0.5, attempt)
        logging.getLogger("continuity.ari_app.client.stream.other").warning("a different line")
        now[0] += 60
        logger.warning("Reconnecting to ARI events in %.2f s (attempt %d)", 0.5, 51)
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
    lines = out.getvalue().splitlines()
    assert len(lines) == 3 + 1 + 1  # the burst, the other line, the next one with a count
    assert lines[3] == "a different line"
    assert lines[-1].endswith("(attempt 51) (and 47 more like it in the last 60 s)")
