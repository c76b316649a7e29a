"""Issue 6: the FastAGI route and the ARI app send the same call to the same place.

For each state in the table, a caller dials the tracking number twice: once
through the ARI app (the generated dialplan's Stasis()), once through an
admin's own way in and dialplan, which asks ``AGI(agi://.../continuity_route)``
and dials the variables it sets (``tests/agi/entrance.py``). The carrier must
see the same calls both times, and the caller must end up in the same place.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import pytest

from continuity.core.model import LineKind
from tests.agi.entrance import AdminEntrance
from tests.dialplan.calls import Landing, landing, quiet
from tests.scenario import Scenario, external

MAIN = "+12125550101"
NOT_OURS = "+12125550177"
ANSWERING_SERVICE = "+13125550150"


@pytest.fixture
async def admin_entrance(scenario: Scenario) -> AdminEntrance:
    assert scenario.app.agi is not None
    return await AdminEntrance.open(scenario.stack, scenario.app.agi.port)


@dataclass(frozen=True)
class State:
    story: str
    setup: Callable[[Scenario], Awaitable[None]]
    dialed: str
    expected: Landing


async def primary_answers(s: Scenario) -> None:
    await s.tracking_number(MAIN)


async def continuity_on(s: Scenario) -> None:
    await s.tracking_number(MAIN, on=True, destination=external(ANSWERING_SERVICE))


async def main_line(s: Scenario) -> None:
    await s.line("main", LineKind.MAIN, destination=external(ANSWERING_SERVICE))
    await s.tracking_number(MAIN, line="main")


async def primary_503(s: Scenario) -> None:
    await main_line(s)
    await s.stack.set_behavior(MAIN, "reject:503")


async def primary_busy(s: Scenario) -> None:
    await main_line(s)
    await s.stack.set_behavior(MAIN, "reject:486")


async def everything_fails(s: Scenario) -> None:
    await s.line("main", LineKind.MAIN, destination=external(ANSWERING_SERVICE))
    await s.tracking_number(MAIN, line="main", on=True)
    await s.stack.set_behavior(ANSWERING_SERVICE, "reject:480")


async def nothing(s: Scenario) -> None:
    await s.tracking_number(MAIN)


STATES = [
    State(
        "continuity off: the primary answers",
        primary_answers,
        MAIN,
        Landing([("primary", MAIN, "answer")], "answered"),
    ),
    State(
        "continuity on: the answering service answers",
        continuity_on,
        MAIN,
        Landing([("pstn", ANSWERING_SERVICE, "answer")], "answered"),
    ),
    State(
        "the primary answers 503: the line's answering service answers",
        primary_503,
        MAIN,
        Landing(
            [("primary", MAIN, "reject:503"), ("pstn", ANSWERING_SERVICE, "answer")], "answered"
        ),
    ),
    State(
        "the primary is busy: the caller hears busy, nobody else is tried",
        primary_busy,
        MAIN,
        Landing([("primary", MAIN, "reject:486")], "ended:17"),
    ),
    State(
        "the answering service fails too: the line's voicemail answers",
        everything_fails,
        MAIN,
        Landing([("pstn", ANSWERING_SERVICE, "reject:480")], "voicemail:main"),
    ),
    State(
        "a number we do not route is rejected",
        nothing,
        NOT_OURS,
        Landing([], "ended:1"),
    ),
]


@pytest.mark.parametrize("state", STATES, ids=[s.story for s in STATES])
async def test_the_agi_route_and_the_ari_app_send_the_call_to_the_same_place(
    scenario: Scenario, admin_entrance: AdminEntrance, state: State
) -> None:
    await state.setup(scenario)
    stack = scenario.stack

    through_ari = await landing(stack, await scenario.call(state.dialed))
    await quiet(stack)
    through_agi = await landing(stack, await admin_entrance.call(state.dialed))

    assert through_ari == state.expected
    assert through_agi == through_ari
