"""Issue 6: the FastAGI route and the ARI app send the same call to the same place.
Issue 19: and each leg carries the same redirecting identity and caller ID.

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

from continuity.admin import SettingsChange
from continuity.core.model import CallerIdPolicy, LineKind
from localstack import LocalStack
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
    #: The Diversion reason of each leg the carrier saw ("": none).
    reasons: tuple[str, ...] = ()
    #: The caller ID (number, name) the last leg presented, where it is not the caller's.
    presented: tuple[str, str] | None = None


#: (number, Diversion, caller ID number, caller ID name) of each leg the carrier saw.
Identity = list[tuple[str, str, str, str]]


def identity(stack: LocalStack) -> Identity:
    return [
        (o.number, o.diversion, o.caller_id_number, o.caller_id_name)
        for o in stack.carrier_observations()
    ]


def reasons(legs: Identity) -> tuple[str, ...]:
    return tuple(diversion.partition(";reason=")[2] for _, diversion, _, _ in legs)


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


async def primary_rings_out(s: Scenario) -> None:
    await s.account(SettingsChange(), primary_timeout=1)
    await main_line(s)
    await s.stack.set_behavior(MAIN, "noanswer")


async def presents_the_tracking_number(s: Scenario) -> None:
    await s.account(SettingsChange(), caller_id=CallerIdPolicy.TRACKING)
    await s.line("main", LineKind.MAIN, on=True, destination=external(ANSWERING_SERVICE))
    await s.admin.change_line(
        "main", SettingsChange(), name="Main & Co", caller_name_prefix="{line}:"
    )
    await s.tracking_number(MAIN, line="main")


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
        ("unconditional",),
    ),
    State(
        "the primary answers 503: the line's answering service answers",
        primary_503,
        MAIN,
        Landing(
            [("primary", MAIN, "reject:503"), ("pstn", ANSWERING_SERVICE, "answer")], "answered"
        ),
        ("", "unavailable"),
    ),
    State(
        "the primary rings out: the line's answering service answers",
        primary_rings_out,
        MAIN,
        Landing([("primary", MAIN, "noanswer"), ("pstn", ANSWERING_SERVICE, "answer")], "answered"),
        ("", "no-answer"),
    ),
    State(
        "the line presents the tracking number and its name to the answering service",
        presents_the_tracking_number,
        MAIN,
        Landing([("pstn", ANSWERING_SERVICE, "answer")], "answered"),
        ("unconditional",),
        (MAIN, "Main & Co:"),
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
        ("unconditional",),
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
    ari_identity = identity(stack)
    await quiet(stack)
    through_agi = await landing(stack, await admin_entrance.call(state.dialed))
    agi_identity = identity(stack)

    assert through_ari == state.expected
    assert through_agi == through_ari
    assert reasons(ari_identity) == (state.reasons or ("",) * len(ari_identity))
    if state.presented is not None:
        assert ari_identity[-1][2:] == state.presented
    assert agi_identity == ari_identity
