"""The outage detector alone: samples and the clock in, state and events out (no I/O)."""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import given
from hypothesis import strategies as st

from continuity.core.outage import (
    DetectorState,
    OutageMode,
    OutagePolicy,
    OutageResolved,
    OutageStarted,
    Override,
    OverrideState,
    Sample,
    Transition,
    observe,
    resume,
    set_override,
)

POLICY = OutagePolicy(OutageMode.AUTO, fail_after=2, recover_after=2, hold_down=4.0)


def run(
    samples: Sequence[tuple[float, bool]],
    policy: OutagePolicy = POLICY,
    state: DetectorState | None = None,
) -> tuple[DetectorState, list[object]]:
    state = state or DetectorState()
    events: list[object] = []
    for at, reachable in samples:
        step = observe(state, Sample(at, reachable, "contact Unreachable"), policy)
        state = step.state
        events.extend(step.events)
    return state, events


def test_one_failed_check_is_not_an_outage() -> None:
    state, events = run([(0, True), (1, False), (2, True), (3, False), (4, True)])
    assert events == []
    assert not state.failover(POLICY)


def test_n_failed_checks_in_a_row_declare_the_outage_and_calls_fail_over() -> None:
    state, events = run([(0, True), (1, False), (2, False)])
    assert len(events) == 1
    started = events[0]
    assert isinstance(started, OutageStarted)
    assert started.at == 2
    assert started.failover
    assert "2 failed health checks" in started.cause
    assert "contact Unreachable" in started.cause
    assert state.failover(POLICY)


def test_recovery_waits_for_m_good_checks_and_the_hold_down() -> None:
    state, events = run([(0, False), (1, False), (2, True), (3, True), (4, True)])
    assert [type(e) for e in events] == [OutageStarted]  # up at 2..4, but last failure was at 1
    state, events = run([(5, True)], state=state)
    assert [type(e) for e in events] == [OutageResolved]
    assert events[0].at == 5  # type: ignore[attr-defined]
    assert not state.failover(POLICY)


def test_a_trunk_flapping_faster_than_the_hold_down_stays_in_one_outage() -> None:
    flapping = [(t, t % 3 != 0) for t in range(0, 30)]  # fails every third second
    flapping[:2] = [(0, False), (1, False)]
    state, events = run(flapping)
    assert [type(e) for e in events] == [OutageStarted]
    state, events = run([(t, True) for t in range(30, 40)], state=state)
    assert [type(e) for e in events] == [OutageResolved]


def test_manual_policy_notifies_but_keeps_routing_to_the_primary() -> None:
    manual = OutagePolicy(OutageMode.MANUAL, fail_after=2, recover_after=2, hold_down=0)
    state, events = run([(0, False), (1, False)], policy=manual)
    assert isinstance(events[0], OutageStarted)
    assert not events[0].failover
    assert not state.failover(manual)
    declared = set_override(state, Override(OverrideState.DOWN, "cli:ops"), 2, manual)
    assert declared.events == ()  # the same outage, now failing over
    assert declared.state.failover(manual)


def test_declaring_by_hand_wins_over_a_healthy_trunk_until_handed_back() -> None:
    state, _ = run([(0, True), (1, True)])
    step = set_override(
        state, Override(OverrideState.DOWN, "cli:ops", "carrier maintenance"), 2, POLICY
    )
    assert step.events == (OutageStarted(2, "declared by cli:ops: carrier maintenance", True),)
    state, events = run([(3, True), (4, True), (10, True)], state=step.state)
    assert events == [] and state.failover(POLICY)
    step = set_override(state, None, 11, POLICY, by="cli:ops")
    assert [type(e) for e in step.events] == [OutageResolved]
    assert "healthy" in step.events[0].cause
    assert not step.state.failover(POLICY)


def test_clearing_by_hand_wins_over_a_detected_outage_in_both_directions() -> None:
    state, _ = run([(0, False), (1, False)])
    step = set_override(state, Override(OverrideState.UP, "cli:ops"), 2, POLICY)
    assert step.events == (OutageResolved(2, "cleared by cli:ops"),)
    assert not step.state.failover(POLICY)
    state, events = run([(3, False), (4, False)], state=step.state)
    assert events == [] and not state.failover(POLICY)  # still down, still overridden
    step = set_override(state, None, 5, POLICY, by="cli:ops")
    assert [type(e) for e in step.events] == [OutageStarted]
    assert step.state.failover(POLICY)


def test_an_outage_open_before_a_restart_is_resolved_only_after_the_hold_down() -> None:
    state = resume(True, None, now=100)
    assert state.failover(POLICY)
    state, events = run([(101, True), (102, True)], state=state)
    assert events == []
    state, events = run([(104, True)], state=state)
    assert [type(e) for e in events] == [OutageResolved]


@given(
    st.lists(
        st.one_of(
            st.tuples(st.just("sample"), st.booleans()),
            st.tuples(st.just("override"), st.sampled_from([None, *OverrideState])),
        ),
        max_size=80,
    ),
    st.sampled_from(list(OutageMode)),
)
def test_every_outage_has_exactly_one_start_and_one_resolution(
    inputs: list[tuple[str, object]], mode: OutageMode
) -> None:
    policy = OutagePolicy(mode, fail_after=2, recover_after=2, hold_down=3.0)
    state = DetectorState()
    kinds: list[type] = []
    for at, (what, value) in enumerate(inputs):
        if what == "sample":
            step: Transition = observe(state, Sample(at, bool(value)), policy)
        else:
            override = Override(value, "t") if isinstance(value, OverrideState) else None
            step = set_override(state, override, at, policy)
        state = step.state
        kinds.extend(type(e) for e in step.events)
        assert state.failover(policy) <= state.outage
    expected = [OutageStarted, OutageResolved] * len(kinds)
    assert kinds == expected[: len(kinds)]
    assert (len(kinds) % 2 == 1) == state.outage
