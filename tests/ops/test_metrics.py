"""Issue 16: /metrics counts the calls made, by route and outcome, as Prometheus scrapes it."""

from __future__ import annotations

import asyncio

from continuity.admin import SettingsChange
from tests.ops.scrape import delta, metrics_endpoint
from tests.scenario import CALLER, Scenario, external

MAIN = "+12125550101"
RADIO = "+12125550103"
NOT_OURS = "+12125550177"
ANSWERING_SERVICE = "+13125550150"


async def _all_recorded(scenario: Scenario) -> None:
    async with asyncio.timeout(10):
        while (
            scenario.app.calls.calls
            or not scenario.app.recorder.idle()
            or scenario.app.calls.bridges.counts()["emptying"]  # both StasisEnds in
        ):
            await asyncio.sleep(0.02)


async def test_after_real_calls_the_counters_moved_by_exactly_those_calls_by_route_and_outcome(
    scenario: Scenario,
) -> None:
    await scenario.account(SettingsChange(destination=external(ANSWERING_SERVICE)))
    await scenario.tracking_number(MAIN)
    await scenario.tracking_number(RADIO)
    await scenario.stack.set_behavior(RADIO, "reject:503")  # the primary refuses this one

    async with metrics_endpoint(scenario.app) as metrics:
        before = await metrics.scrape()
        for number in (MAIN, MAIN, RADIO):
            call = await scenario.call(number)
            await call.wait_answered()
            await call.hangup()
            await call.wait_ended()
        stranger = await scenario.call(NOT_OURS)
        await stranger.wait_ended()
        await _all_recorded(scenario)
        after = await metrics.scrape()
        text = (await metrics.text()).decode()

    assert delta(before, after, "continuity_calls_total") == {
        (("outcome", "answered"), ("route", "primary")): 2,
        (("outcome", "answered"), ("route", "external")): 1,
        (("outcome", "unknown_number"), ("route", "none")): 1,
    }
    assert delta(before, after, "continuity_failover_steps_total") == {
        (("reason", "congestion"),): 1
    }
    assert delta(before, after, "continuity_call_plans_total") == {
        (("reason", "normal"),): 3,
        (("reason", "unknown_number"),): 1,
    }
    assert delta(before, after, "continuity_post_dial_delay_seconds_count") == {
        (("route", "primary"),): 2,
        (("route", "external"),): 1,
    }
    assert delta(before, after, "continuity_overload_handoffs_total") == {}
    assert after[("continuity_ari_connected", ())] == 1
    # Four calls took REST requests, and every request got its reply among the events.
    messages = delta(before, after, "continuity_ari_websocket_messages_total")
    assert messages[(("direction", "sent"),)] >= 4
    assert messages[(("direction", "received"),)] > messages[(("direction", "sent"),)]
    # The calls ended: their bridges are kept for the next ones, none had to be swept.
    # (As many held as before: an earlier test of this shared app may have made it
    # forget a call, as a restart would, and its bridge is another run's to release.)
    held = ("continuity_ari_bridges", (("state", "held"),))
    assert after[held] == before[held]
    assert after[("continuity_ari_bridges", (("state", "free"),))] >= 1
    assert delta(before, after, "continuity_ari_bridges_swept_total") == {}
    assert after[("continuity_ami_connected", ())] == 1
    assert after[("continuity_call_records_spooled", ())] == 0
    assert after[("continuity_routing_state_from_database", ())] == 1
    version = scenario.app.snapshots.current.version
    assert after[("continuity_routing_state_version", ())] == version
    # No phone number is ever a label or a value.
    for number in (CALLER, MAIN, RADIO, NOT_OURS, ANSWERING_SERVICE):
        assert number not in text and number.lstrip("+") not in text
