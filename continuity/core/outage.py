"""Outage detection: a pure state machine. Health samples and the clock in, state and events out.

* **Detection.** The primary is *detected down* after ``fail_after``
  consecutive failed samples, and *detected up* again after ``recover_after``
  consecutive good ones, but only once no sample has failed for
  ``hold_down`` seconds. A trunk that flaps faster than the hold-down
  therefore stays in one outage instead of toggling.
* **Override.** An operator's override (``down`` or ``up``) wins over
  detection in both directions until it is removed.
* **Outage.** An outage is open while the override says ``down``, or, without
  an override, while the primary is detected down. Opening one emits exactly
  one :class:`OutageStarted`, closing it exactly one :class:`OutageResolved`.
* **Failover.** Calls skip the primary while an outage is open and either the
  override declared it or the policy is ``auto``. Under ``manual`` a detected
  outage is only notified.

Times are seconds on a monotonic clock; the caller stamps wall-clock times.
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass


class OutageMode(enum.StrEnum):
    #: Declare outages and fail over automatically; fail back on recovery.
    AUTO = "auto"
    #: Notify only: calls keep trying the primary unless an operator declares the outage.
    MANUAL = "manual"


class OverrideState(enum.StrEnum):
    #: The operator says the primary is down: fail over whatever detection says.
    DOWN = "down"
    #: The operator says the primary is fine: route to it whatever detection says.
    UP = "up"


@dataclass(frozen=True, slots=True)
class OutagePolicy:
    mode: OutageMode = OutageMode.AUTO
    fail_after: int = 3
    recover_after: int = 3
    hold_down: float = 60.0

    def __post_init__(self) -> None:
        if self.fail_after < 1 or self.recover_after < 1:
            raise ValueError("fail_after and recover_after must be at least 1")
        if self.hold_down < 0:
            raise ValueError("hold_down must not be negative")


@dataclass(frozen=True, slots=True)
class Sample:
    """One health reading of the primary trunk."""

    at: float
    reachable: bool
    #: What was seen, for the outage's cause (e.g. ``contact sip:… Unreachable``).
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Override:
    state: OverrideState
    by: str
    reason: str = ""


@dataclass(frozen=True, slots=True)
class OutageStarted:
    at: float
    cause: str
    #: Whether calls skip the primary from now on (``False``: notify only).
    failover: bool


@dataclass(frozen=True, slots=True)
class OutageResolved:
    at: float
    cause: str


OutageEvent = OutageStarted | OutageResolved


@dataclass(frozen=True, slots=True)
class DetectorState:
    detected_down: bool = False
    failures: int = 0
    successes: int = 0
    last_failure_at: float | None = None
    last_failure: str = ""
    override: Override | None = None

    @property
    def outage(self) -> bool:
        """Whether an outage is open (notices follow this)."""
        if self.override is not None:
            return self.override.state is OverrideState.DOWN
        return self.detected_down

    def failover(self, policy: OutagePolicy) -> bool:
        """Whether calls skip the primary (routing follows this)."""
        if self.override is not None:
            return self.override.state is OverrideState.DOWN
        return self.detected_down and policy.mode is OutageMode.AUTO


@dataclass(frozen=True, slots=True)
class Transition:
    state: DetectorState
    events: tuple[OutageEvent, ...] = ()


def resume(outage_open: bool, override: Override | None, now: float) -> DetectorState:
    """The state after a restart: an outage still open in the journal stays open
    until the primary is seen healthy for the hold-down (counted from ``now``)."""
    if outage_open:
        return DetectorState(
            detected_down=True,
            last_failure_at=now,
            last_failure="open before restart",
            override=override,
        )
    return DetectorState(override=override)


def take_lead(
    state: DetectorState, journal_open: bool, now: float, policy: OutagePolicy
) -> Transition:
    """This node starts leading: make the journal agree with what it sees now.

    An outage this node sees but the journal has not (the old leader died before
    declaring it) starts now; one the journal holds open that this node sees
    resolved (it cleared while the old leader was dying) is resolved now.
    """
    if state.outage and not journal_open:
        seen = state.last_failure or "declared by an operator"
        cause = f"already down when this node took the lead ({seen})"
        return Transition(state, (OutageStarted(now, cause, state.failover(policy)),))
    if journal_open and not state.outage:
        return Transition(state, (OutageResolved(now, "healthy when this node took the lead"),))
    return Transition(state)


def observe(state: DetectorState, sample: Sample, policy: OutagePolicy) -> Transition:
    """Count one sample and say what changed."""
    if sample.reachable:
        new = dataclasses.replace(state, failures=0, successes=state.successes + 1)
        quiet = new.last_failure_at is None or sample.at - new.last_failure_at >= policy.hold_down
        if new.detected_down and new.successes >= policy.recover_after and quiet:
            new = dataclasses.replace(new, detected_down=False)
    else:
        new = dataclasses.replace(
            state,
            failures=state.failures + 1,
            successes=0,
            last_failure_at=sample.at,
            last_failure=sample.detail or "health check failed",
        )
        if not new.detected_down and new.failures >= policy.fail_after:
            new = dataclasses.replace(new, detected_down=True)
    return _settle(state, new, sample.at, policy, _detection_cause(new, policy))


def set_override(
    state: DetectorState,
    override: Override | None,
    now: float,
    policy: OutagePolicy,
    by: str = "an operator",
) -> Transition:
    """An operator set the override, or (``None``, by ``by``) handed back to detection."""
    if override == state.override:
        return Transition(state)
    new = dataclasses.replace(state, override=override)
    if override is None:
        seen = "detected down" if new.detected_down else "healthy"
        cause = f"back to detection ({by}): the primary is {seen}"
    else:
        verb = "declared" if override.state is OverrideState.DOWN else "cleared"
        cause = f"{verb} by {override.by}" + (f": {override.reason}" if override.reason else "")
    return _settle(state, new, now, policy, cause)


def _detection_cause(state: DetectorState, policy: OutagePolicy) -> str:
    if state.detected_down:
        return (
            f"primary unreachable: {state.failures or policy.fail_after} failed health checks"
            f" in a row ({state.last_failure})"
        )
    return (
        f"primary reachable again: {state.successes} good health checks in a row"
        f" and none failed for {policy.hold_down:g} s"
    )


def _settle(
    old: DetectorState, new: DetectorState, at: float, policy: OutagePolicy, cause: str
) -> Transition:
    if new.outage and not old.outage:
        return Transition(new, (OutageStarted(at, cause, new.failover(policy)),))
    if old.outage and not new.outage:
        return Transition(new, (OutageResolved(at, cause),))
    return Transition(new)
