"""The fallback routes in AstDB: one value per number, and a change routes only what changed."""

from __future__ import annotations

import dataclasses
from typing import Any, cast

from continuity.agi.ami import AmiActions
from continuity.core.model import (
    ContinuitySettings,
    Destination,
    DestinationKind,
    Line,
    LineKind,
    Snapshot,
    TrackingNumber,
    TrunkHealth,
)
from continuity.dialplan_astdb import AstDbRoutes
from continuity.dialplan_templates.astdb import route_entries

MAIN = "+12125550101"
SALES = "+12125550102"
CELL = "+13125550150"
HOSTILE = "Spring ;-- sale } [evil] exten => _X.,1,Dial(PJSIP/x) ${EXTEN} $[1], (y)"


def state() -> Snapshot:
    line = Line(
        "main",
        LineKind.MAIN,
        continuity=ContinuitySettings(destination=Destination(DestinationKind.EXTERNAL, CELL)),
    )
    backup = Destination(DestinationKind.SIP, "backup/sip:desk@10.0.0.7:5070;transport=udp")
    return Snapshot(
        lines={"main": line},
        numbers={
            MAIN: TrackingNumber(MAIN, label=HOSTILE),
            SALES: TrackingNumber(
                SALES, continuity=ContinuitySettings(on=True, destination=backup)
            ),
        },
        version=4,
    )


def test_each_number_is_one_value_of_checked_pieces_a_dialplan_cannot_misread() -> None:
    entries = route_entries(state(), 30)
    main = entries[MAIN].split("|")
    assert main[:4] == ["normal", "main", "main", ""]  # reason, line, mailbox, all hours
    primary, cell = main[4].split("!")
    assert primary.split("#")[:2] == [f"PJSIP/{MAIN}@continuity-primary", "20"]
    assert cell.split("#")[0] == f"PJSIP/{CELL}@continuity-pstn"
    sales = entries[SALES].split("|")
    assert sales[0] == "continuity"
    assert sales[4].split("#")[0] == "PJSIP/backup/sip:desk@10.0.0.7:5070;transport=udp"
    for value in entries.values():
        assert not set(value) & set(",()$[]{} \"'\\\n")  # the label never reaches a route


class Counting:
    def __init__(self) -> None:
        self.asked: list[set[str] | None] = []

    def __call__(
        self, snapshot: Snapshot, health: TrunkHealth, only: set[str] | None
    ) -> dict[str, str]:
        self.asked.append(only)
        return route_entries(snapshot, 30, health, only)


def test_a_change_to_one_number_routes_that_number_again_and_a_line_change_routes_all() -> None:
    entries = Counting()
    health = TrunkHealth()
    routes = AstDbRoutes(cast(AmiActions, cast(Any, None)), entries, lambda: health)
    first = state()
    before = routes.routes(first)

    cell = Destination(DestinationKind.EXTERNAL, "+13125550199")
    changed = dataclasses.replace(
        first.numbers[MAIN], continuity=ContinuitySettings(on=True, destination=cell)
    )
    second = dataclasses.replace(first, numbers={**first.numbers, MAIN: changed}, version=5)
    after = routes.routes(second)
    assert entries.asked == [None, {MAIN}]
    assert after[SALES] == before[SALES]
    assert after[MAIN] != before[MAIN] and "+13125550199" in after[MAIN]

    gone = dataclasses.replace(second, numbers={MAIN: changed}, version=6)
    assert set(routes.routes(gone)) == {MAIN}
    assert entries.asked[-1] == {SALES}

    main = dataclasses.replace(first.lines["main"], name="Main line")
    renamed = dataclasses.replace(gone, lines={"main": main}, version=7)
    routes.routes(renamed)
    assert entries.asked[-1] is None  # what every route depends on changed: all again
