"""The redirecting identity each continuity leg carries, without I/O."""

from __future__ import annotations

import pytest

from continuity.core.model import (
    AccountSettings,
    CallerIdPolicy,
    ContinuitySettings,
    Destination,
    DestinationKind,
    Line,
    LineKind,
    Snapshot,
    TrackingNumber,
    TrunkHealth,
)
from continuity.core.redirecting import (
    NAME_PREFIX_MAX,
    Redirect,
    RedirectReason,
    clean_name_prefix,
    presented_name,
)
from continuity.core.routing import PlanReason, plan_route
from continuity.core.static_route import redirect_args, static_route
from continuity.core.validation import check_name_prefix
from continuity.errors import InvalidSetting

MAIN = "+12125550101"
SERVICE = Destination(DestinationKind.EXTERNAL, "+13125550150")
AGENT = Destination(DestinationKind.SIP, "agent-endpoint")


def state(
    line: Line | None = None, *, on: bool | None = None, account: AccountSettings | None = None
) -> Snapshot:
    account = account or AccountSettings(ContinuitySettings(False, True, SERVICE))
    lines = {line.id: line} if line else {}
    number = TrackingNumber(MAIN, line=line.id if line else None, continuity=ContinuitySettings(on))
    return Snapshot(account, {MAIN: number}, lines)


def continuity_leg(snapshot: Snapshot, health: TrunkHealth | None = None) -> Redirect:
    plan = plan_route(snapshot, MAIN, health)
    [redirect] = [step.redirect for step in plan.steps if step.redirect is not None]
    return redirect


def test_the_primary_and_the_voicemail_carry_no_redirect_the_continuity_leg_does() -> None:
    plan = plan_route(state(Line("sales", LineKind.DEPARTMENT)), MAIN)
    assert [step.redirect is not None for step in plan.steps] == [False, True, False]
    redirect = plan.steps[1].redirect
    assert redirect == Redirect(MAIN, None, SERVICE.target, None, "")


@pytest.mark.parametrize(
    ("snapshot", "health", "reason"),
    [
        (state(on=True), None, PlanReason.CONTINUITY),
        (state(), TrunkHealth(primary_down=True), PlanReason.OUTAGE),
        (state(Line("sales", LineKind.DEPARTMENT, test_mode=True)), None, PlanReason.TEST_MODE),
    ],
)
def test_a_call_moved_before_the_primary_is_redirected_unconditionally(
    snapshot: Snapshot, health: TrunkHealth | None, reason: PlanReason
) -> None:
    assert plan_route(snapshot, MAIN, health).reason is reason
    redirect = continuity_leg(snapshot, health)
    assert redirect.reason_for(34) is RedirectReason.UNCONDITIONAL


def test_after_the_primary_the_reason_follows_how_it_failed() -> None:
    redirect = continuity_leg(state())
    assert redirect.reason_for(19) is RedirectReason.NO_ANSWER  # rang out
    assert redirect.reason_for(34) is RedirectReason.UNAVAILABLE  # 503
    assert redirect.reason_for(20) is RedirectReason.UNAVAILABLE  # unreachable
    assert redirect.reason_for(None) is RedirectReason.UNAVAILABLE


def test_the_line_overrides_the_accounts_caller_id_and_prefix() -> None:
    account = AccountSettings(
        ContinuitySettings(False, True, SERVICE),
        caller_id=CallerIdPolicy.TRACKING,
        caller_name_prefix="Acme",
    )
    plain = Line("sales", LineKind.DEPARTMENT, name="Sales")
    assert continuity_leg(state(plain, account=account)).caller_number == MAIN
    assert continuity_leg(state(plain, account=account)).name_prefix == "Acme"
    own = Line(
        "sales",
        LineKind.DEPARTMENT,
        name="Sales",
        caller_id=CallerIdPolicy.KEEP,
        caller_name_prefix="{line}:",
    )
    redirect = continuity_leg(state(own, account=account))
    assert (redirect.caller_number, redirect.name_prefix) == (None, "Sales:")
    none = Line("sales", LineKind.DEPARTMENT, caller_name_prefix="")
    assert continuity_leg(state(none, account=account)).name_prefix == ""


def test_a_sip_destination_is_redirected_without_a_to_number() -> None:
    line = Line("sales", LineKind.DEPARTMENT, continuity=ContinuitySettings(destination=AGENT))
    redirect = continuity_leg(state(line, on=True))
    assert (redirect.from_number, redirect.to_number) == (MAIN, None)


@pytest.mark.parametrize(
    ("name", "clean"),
    [
        ('Sales "VIP"', "Sales VIP"),
        ("Sales\r\nX-Evil: 1", "Sales X-Evil: 1"),
        ("back\\slash <sip:x@y>;tag=1", "back slash sip:x@y tag 1"),
        ("Zoë & Co.", "Zoë & Co."),
        ("x" * 40, "x" * NAME_PREFIX_MAX),
        ("\x00\x7f", ""),
    ],
)
def test_a_line_name_becomes_display_text_no_header_can_be_broken_out_of(
    name: str, clean: str
) -> None:
    assert clean_name_prefix(name) == clean


def test_the_prefix_goes_before_the_callers_name() -> None:
    assert presented_name("Sales:", "Jane Doe") == "Sales: Jane Doe"
    assert presented_name("Sales:", "") == "Sales:"
    assert presented_name("", "Jane Doe") == "Jane Doe"


@pytest.mark.parametrize("bad", ['Sales "VIP"', "a\nb", "back\\slash", "(x)", "a,b", "x" * 25])
def test_a_prefix_the_far_end_could_misread_is_refused(bad: str) -> None:
    with pytest.raises(InvalidSetting, match="caller-name prefix"):
        check_name_prefix(bad)


def test_dialplan_gets_the_redirect_as_plain_uri_encoded_arguments() -> None:
    redirect = Redirect(MAIN, RedirectReason.UNCONDITIONAL, SERVICE.target, MAIN, "Zoë & Co:")
    assert (
        redirect_args(redirect)
        == f"{MAIN}^unconditional^{SERVICE.target}^{MAIN}^Zo%C3%AB%20%26%20Co%3A"
    )
    assert redirect_args(None) == ""
    route = static_route(plan_route(state(), MAIN), 30)
    assert [step.redirect for step in route.dials] == ["", f"{MAIN}^^{SERVICE.target}^^"]
