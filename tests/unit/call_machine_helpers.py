"""A call driven through the pure state machine, as a test reads it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from continuity.core.call import Call, Policy, new_call, step
from continuity.core.call.commands import Command, Record
from continuity.core.call.events import Event
from continuity.core.causes import failover_causes
from continuity.core.model import Destination, DestinationKind
from continuity.core.records import CallRecord, RoutedBy
from continuity.core.redirecting import Redirect
from continuity.core.routing import PlanReason, RoutePlan, RouteStep

MAIN = "+12125550101"
ANSWERING_SERVICE = "+13125550150"
CALLER = "+15551230001"
T0 = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)

PRIMARY = RouteStep(
    Destination(DestinationKind.PRIMARY, MAIN), 20, failover_causes(frozenset({503, 408}))
)
SERVICE = RouteStep(
    Destination(DestinationKind.EXTERNAL, ANSWERING_SERVICE),
    redirect=Redirect(MAIN, None, ANSWERING_SERVICE, None, ""),
)
VOICEMAIL = RouteStep(Destination(DestinationKind.VOICEMAIL, "main"))


def plan(*steps: RouteStep, reason: PlanReason = PlanReason.NORMAL) -> RoutePlan:
    return RoutePlan(MAIN, reason, steps, "main")


UNKNOWN = RoutePlan("+12125550177", PlanReason.UNKNOWN_NUMBER, ())


@dataclass
class Driven:
    """One call and every command its events produced, in order."""

    call: Call
    commands: list[Command] = field(default_factory=list)
    clock: dt.datetime = T0

    def on(self, event: Event, after: float = 0.1) -> list[Command]:
        """Step ``event`` ``after`` seconds later; the commands it produced."""
        self.clock += dt.timedelta(seconds=after)
        self.call, produced = step(self.call, event, self.clock)
        self.commands.extend(produced)
        return produced

    @property
    def records(self) -> list[CallRecord]:
        return [c.record for c in self.commands if isinstance(c, Record)]

    @property
    def record(self) -> CallRecord:
        [record] = self.records
        return record


def a_call(
    route: RoutePlan,
    policy: Policy | None = None,
    path: RoutedBy = RoutedBy.APP,
    caller_id: str = "1733050000.42",
) -> Driven:
    policy = policy or Policy()
    dialed = route.tracking_number
    return Driven(new_call(caller_id, dialed, CALLER, "Jane", route, T0, policy, path))
