"""``dialing = dialplan``: the generated entry the app sends its callers to is labelled
with what the fallback was rendered from, so a file of another state has no such label."""

from __future__ import annotations

from continuity.config import UnknownNumberPolicy
from continuity.core.model import Snapshot, TrackingNumber, TrunkHealth
from continuity.core.static_route import dialplan_label
from continuity.dialplan_templates.render import render_extensions

NUMBER = "+12125550101"
REJECT = UnknownNumberPolicy("reject", "unallocated")


def _rendered(version: int, health: TrunkHealth, *, dialplan_dials: bool = True) -> str:
    snapshot = Snapshot(numbers={NUMBER: TrackingNumber(NUMBER)}, version=version)
    return render_extensions(snapshot, REJECT, 30, health, dialplan_dials=dialplan_dials)


def test_the_entry_names_the_routing_state_and_the_primarys_health() -> None:
    up, down = TrunkHealth(), TrunkHealth(primary_down=True)
    for version, health in ((3, up), (3, down), (4, up)):
        text = _rendered(version, health)
        labels = {dialplan_label(v, h) for v in (3, 4) for h in (up, down)}
        present = {label for label in labels if f"n({label})," in text}
        assert present == {dialplan_label(version, health)}


def test_the_app_dialing_itself_renders_no_entry() -> None:
    text = _rendered(3, TrunkHealth(), dialplan_dials=False)
    assert dialplan_label(3, TrunkHealth()) not in text
