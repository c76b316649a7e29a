"""Issue 12: whatever the admin service accepts renders; whatever it refuses, it never wrote.

Each example starts from a small account (a main line, a department, a user
line, two numbers) and sends a few random changes through the service, as
the HTTP API would: valid values mixed with hostile text, wrong types, empty
values, our own trunks as SIP targets, numbers that are not E.164, codes and
timeouts out of range. Every change is either refused with a message (and the
database is exactly as before: same state, same version, same audit log) or
accepted, and then the state renders, parses back with the strict parser
``apply`` uses, dials exactly the chains the routing core chose, and every
AGI variable is one command.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from continuity.admin import KEEP, Admin, SettingsChange
from continuity.agi.commands import set_variable
from continuity.agi.route import route_variables
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
from continuity.core.routing import plan_route
from continuity.core.static_route import static_route
from continuity.db.pool import Pool
from continuity.db.store import Store
from continuity.dialplan_templates.parse import parse_extensions
from continuity.dialplan_templates.render import render_extensions
from continuity.dialplan_templates.voicemail import render_voicemail
from continuity.errors import ContinuityError
from tests.admin.conftest import LoopThread
from tests.dialplan.strategies import hostile
from tests.dialplan.test_injection import POLICY, TIMEOUT, assert_exactly_the_chains
from tests.scenario import reset_database

EXAMPLES = 100
AGENT = "voice-bot"
MAIN = "+12125550101"
SALES = "+12125550102"
NUMBERS = [MAIN, SALES, "+12125550103", "+13125550150", "+13125550151", "+442079460958"]
BAD_NUMBERS = [
    "", " ", "+1 212 555 0103", "2125550103", "+15551230001", "+1212555010", "+12125550103\x00",
    "+1999999999999999", "12125550103", "+0123456", "+12125550103;x", "${EXTEN}",
]  # fmt: skip
LINE_IDS = ["main", "sales", "jdoe", "jdoe", "b2"]
BAD_LINE_IDS = ["", "Sales", "-x", "a" * 41, "sales\n", "x y", "b2;"]
ENDPOINTS = [
    "agent", "voice-bot", "lab-peer/sip:bob@10.0.0.7", "vb/sip:ai@vb.test;transport=tcp",
    "desk/sips:+13125550150@pbx.example:5061",
]  # fmt: skip
BAD_ENDPOINTS = [
    "", "continuity-primary", "Continuity-PSTN", "continuity-inbound", "ep/sip:;", "ep/sip:",
    "ep/sip:@h", "ep/sip:u@h:0", "ep/sip:u@h:99999", f"ep/sip:{MAIN}@10.0.0.1",
    f"continuity-pstn/sip:{SALES}@127.0.0.1", "ep/sip:u@[::1]", "ep,x", "a" * 65,
    "ep/sip:u@" + "h." * 130 + "x",
]  # fmt: skip
BAD_CODES = [0, 200, 399, 700, -1, 2**31, True]
CODES = [frozenset({408, 503}), frozenset({486}), frozenset({400, 699}), frozenset({504})]
BAD_TIMEOUTS = [0, 601, -5, 2**31, 99_999_999_999, True, "20", 2.5]
TEXTS = ["", "Spring campaign", "x" * 100, "é ☎ Zoë", 'Sales ;-- } [evil] ${EXTEN} "x" \\;']
BAD_TEXTS = ["x" * 101, "x" * 100_000, "a\x1b[31mred", "nul\x00", "two\nlines", "\u2028", 7]
LINE_KINDS = [*LineKind]
SETTINGS = ["on", "enabled", "destination"]
#: Each change, and the fields one of which may be hostile.
FIELDS = {
    "add_number": ["number", "label", "line", "primary", *SETTINGS],
    "change_number": ["label", "line", "primary", *SETTINGS],
    "remove_number": ["number"],
    "add_line": ["id", "kind", "name", *SETTINGS],
    "change_line": ["id", "name", *SETTINGS],
    "remove_line": ["id"],
    "test_mode": ["id", "on"],
    "add_forwarding": ["id", "number"],
    "verify_forwarding": ["id", "number"],
    "remove_forwarding": ["id", "number"],
    "account": ["agent", "codes", "timeout", *SETTINGS],
}
#: Per kind of value: (valid, hostile).
VALUES: dict[str, tuple[st.SearchStrategy[Any], st.SearchStrategy[Any]]] = {
    "text": (st.sampled_from(TEXTS), st.one_of(st.sampled_from(BAD_TEXTS), hostile)),
    "number": (st.sampled_from(NUMBERS), st.one_of(st.sampled_from(BAD_NUMBERS), hostile)),
    "line": (st.sampled_from(LINE_IDS), st.one_of(st.sampled_from(BAD_LINE_IDS), hostile)),
    "endpoint": (st.sampled_from(ENDPOINTS), st.one_of(st.sampled_from(BAD_ENDPOINTS), hostile)),
    "flag": (st.sampled_from([None, True, False]), st.sampled_from(["on", 1, 0, "inherit"])),
    "bool": (st.booleans(), st.sampled_from([None, "on", 1, 0])),
    "kind": (st.sampled_from(LINE_KINDS), st.sampled_from(["user", None, DestinationKind.SIP])),
    "codes": (
        st.sampled_from(CODES),
        st.frozensets(st.sampled_from(BAD_CODES), max_size=3) | st.sampled_from([[408], "408"]),
    ),
    "timeout": (st.sampled_from([1, 20, 600]), st.sampled_from(BAD_TIMEOUTS)),
}

Change = Callable[[Admin], Awaitable[None]]


class Values:
    """Draws a change's values: all valid, except the one field chosen to be hostile."""

    def __init__(self, draw: st.DrawFn, hostile_field: str | None) -> None:
        self._draw = draw
        self._hostile = hostile_field

    def __call__(self, field: str, kind: str, *, keep: bool = False, none: bool = False) -> Any:
        if keep and self._draw(st.booleans()):
            return KEEP
        if none and self._draw(st.integers(0, 3)) == 0:
            return None
        valid, bad = VALUES[kind]
        return self._draw(bad if field == self._hostile else valid)

    def destination(self, field: str, *, keep: bool = False) -> Any:
        if keep and self._draw(st.booleans()):
            return KEEP
        kinds = [None, *(k for k in DestinationKind if k is not DestinationKind.PRIMARY)]
        kind: DestinationKind | None = self._draw(st.sampled_from(kinds))
        if field == self._hostile and self._draw(st.integers(0, 4)) == 0:
            kind = DestinationKind.PRIMARY
        if kind is None:
            return None
        if kind is DestinationKind.VOICE_AGENT:
            target = AGENT if field != self._hostile else self(field, "endpoint")
        else:
            value_kind = {"sip": "endpoint", "voicemail": "line"}.get(kind.value, "number")
            target = self(field, value_kind)
        return Destination(kind, target)

    def settings(self) -> ContinuitySettings:
        return ContinuitySettings(
            self("on", "flag"), self("enabled", "flag"), self.destination("destination")
        )

    def change(self) -> SettingsChange:
        return SettingsChange(
            self("on", "flag", keep=True),
            self("enabled", "flag", keep=True),
            self.destination("destination", keep=True),
        )


@st.composite
def changes(draw: st.DrawFn) -> tuple[str, Change]:
    """One admin change, named for the statistics; at most one of its values is hostile."""
    kind = draw(st.sampled_from(list(FIELDS)))
    v = Values(draw, draw(st.sampled_from([None, *FIELDS[kind]])))
    if kind == "add_number":
        new = TrackingNumber(
            v("number", "number"),
            v("label", "text"),
            v("line", "line", none=True),
            v("primary", "number", none=True),
            v.settings(),
        )
        return kind, lambda admin: admin.add_number(new)
    if kind == "change_number":
        target, change = draw(st.sampled_from([MAIN, SALES])), v.change()
        label, line = v("label", "text", keep=True), v("line", "line", keep=True, none=True)
        primary = v("primary", "number", keep=True, none=True)
        return kind, lambda admin: admin.change_number(
            target, change, label=label, line=line, primary_target=primary
        )
    if kind == "remove_number":
        number = v("number", "number")
        return kind, lambda admin: admin.remove_number(number)
    if kind == "add_line":
        line = Line(v("id", "line"), v("kind", "kind"), v("name", "text"), v.settings())
        return kind, lambda admin: admin.add_line(line)
    if kind == "change_line":
        line_id, change, name = v("id", "line"), v.change(), v("name", "text", keep=True)
        return kind, lambda admin: admin.change_line(line_id, change, name=name)
    if kind == "remove_line":
        line_id = v("id", "line")
        return kind, lambda admin: admin.remove_line(line_id)
    if kind == "test_mode":
        line_id, on = v("id", "line"), v("on", "bool")
        return kind, lambda admin: admin.set_test_mode(line_id, on)
    if kind.endswith("_forwarding"):
        line_id, number = v("id", "line"), v("number", "number")
        return kind, lambda admin: getattr(admin, kind)(line_id, number)
    change, agent = v.change(), v("agent", "endpoint", keep=True, none=True)
    codes, timeout = v("codes", "codes", keep=True), v("timeout", "timeout", keep=True)
    return kind, lambda admin: admin.change_account(
        change, voice_agent=agent, failover_sip_codes=codes, primary_timeout=timeout
    )


async def starting_state(pool: Pool, admin: Admin) -> None:
    await reset_database(pool)
    await admin.change_account(SettingsChange(), voice_agent=AGENT)
    await admin.add_line(Line("main", LineKind.MAIN, "Front desk"))
    await admin.add_line(Line("sales", LineKind.DEPARTMENT, "Sales"))
    await admin.add_line(Line("jdoe", LineKind.USER, "J. Doe"))
    await admin.add_forwarding("jdoe", "+13125550160")
    await admin.verify_forwarding("jdoe", "+13125550160")
    await admin.add_number(TrackingNumber(MAIN, "Website"))
    await admin.add_number(TrackingNumber(SALES, "Billboard", line="sales"))


async def audit_length(pool: Pool) -> int:
    async with pool.connection() as conn:
        cur = await conn.execute("SELECT count(*) FROM audit_log")
        row = await cur.fetchone()
        assert row is not None
        return int(row[0])


def assert_it_routes(snapshot: Snapshot) -> None:
    """Rendered, read back with the strict parser, every chain as planned; AGI too."""
    for down in (False, True):
        health = TrunkHealth(primary_down=down)
        text = render_extensions(snapshot, POLICY, TIMEOUT, health)
        assert_exactly_the_chains(snapshot, health, parse_extensions(text))
        for tracking in snapshot.numbers:
            route = static_route(plan_route(snapshot, tracking, health), TIMEOUT)
            for name, value in route_variables(route).items():
                set_variable(name, value)
    render_voicemail(snapshot)


class Harness:
    def __init__(self, admin_db: str) -> None:
        self.pool = Pool(admin_db, open=False, min_size=1, max_size=1)
        self.admin = Admin(Store(self.pool), "property")

    async def run(self, steps: list[tuple[str, Change]]) -> list[str]:
        outcomes = []
        await starting_state(self.pool, self.admin)
        for name, step in steps:
            before, audited = await self.admin.snapshot(), await audit_length(self.pool)
            try:
                await step(self.admin)
            except ContinuityError as exc:
                outcomes.append(f"{name} refused")
                assert str(exc).strip(), f"{name} refused without a message"
                assert exc.field is None or isinstance(exc.field, str)
                assert await self.admin.snapshot() == before, f"{name} wrote: {exc}"
                assert await audit_length(self.pool) == audited
                continue
            outcomes.append(f"{name} accepted")
            assert_it_routes(await self.admin.snapshot())
        return outcomes


def test_every_change_is_refused_with_nothing_written_or_renders_and_parses_back(
    admin_db: str, loop_thread: LoopThread
) -> None:
    harness = Harness(admin_db)
    loop_thread.run(harness.pool.open(wait=True))

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(st.lists(changes(), min_size=1, max_size=4))
    def property_(steps: list[tuple[str, Change]]) -> None:
        for outcome in loop_thread.run(harness.run(steps)):
            event(outcome)

    try:
        property_()
    finally:
        loop_thread.run(harness.pool.close())
