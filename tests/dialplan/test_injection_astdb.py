"""With ``fallback_store = astdb``: no label, name, number or target can add to, split or
alter a route in AstDB, over hostile states. Each number's value holds exactly the chain
the routing core chose, in exactly its eight fields, and the generated file holds no
number at all. A render may refuse only a value the admin service would never have stored.
"""

from __future__ import annotations

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from continuity import names
from continuity.core.model import Snapshot, TrunkHealth
from continuity.core.routing import plan_route
from continuity.core.static_route import static_route
from continuity.dialplan_templates.astdb import FIELD, PART, STEP, route_entries
from continuity.dialplan_templates.parse import extensions, parse_extensions
from continuity.dialplan_templates.render import UnsafeValue, render_extensions
from tests.dialplan.strategies import snapshots
from tests.dialplan.test_injection import PATTERN, POLICY, TIMEOUT, stored_values_are_valid

EXAMPLES = 2_000


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(snapshots(), st.booleans())
def test_hostile_values_never_add_split_or_change_a_route_in_astdb(
    snapshot: Snapshot, down: bool
) -> None:
    health = TrunkHealth(primary_down=down)
    try:
        entries = route_entries(snapshot, TIMEOUT, health)
        text = render_extensions(snapshot, POLICY, TIMEOUT, health, astdb=True)
    except UnsafeValue:
        event("refused")
        assert not stored_values_are_valid(snapshot)
        return
    event("written")
    assert extensions(parse_extensions(text), names.CTX_FALLBACK) == {PATTERN}
    assert set(entries) == set(snapshot.numbers)
    for number, value in entries.items():
        assert not set(value) & set(",()$[]{}\"'\\ \t\r\n")
        fields = value.split(FIELD)
        assert len(fields) == 8
        route = static_route(plan_route(snapshot, number, health, after_hours=False), TIMEOUT)
        steps = [s.split(PART) for s in fields[4].split(STEP)] if fields[4] else []
        assert all(len(s) == 5 for s in steps)
        assert [(d, int(t), c or None, token, r) for d, t, c, token, r in steps] == [
            (s.dial, int(s.timeout), s.failover_causes, s.token, s.redirect) for s in route.dials
        ]
        assert fields[0] == route.reason.value
        assert fields[2] == (route.mailbox or "")
