"""What a run of the app does with the calls it finds but does not own (pure).

After every start and every reconnection to Asterisk, the app lists the
channels and bridges. A caller that waits in our Stasis app with nobody routing
it (the run that did died, or lost Asterisk while its StasisStart went by) must
not be stranded: :func:`take_over` decides, for each call this run does not own,
what happens to each of its channels. The ARI adapter executes the decision.

* A caller bridged with an answered leg of ours, in the generated bridge context
  (or, from an older version of the app, in an ARI bridge): the conversation goes
  on and this run adopts it (it writes the record when one side ends; in an ARI
  bridge the hangup handlers hang up the other side).
* An answered leg not yet bridged with its waiting caller: adopted and bridged.
* A caller still being routed (a leg ringing, or between steps): the attempt
  under way is abandoned, counted as unanswered, and routing resumes at once with
  the next step of the chain. The dead run's ring timer is gone, and waiting a
  full ring time again would leave the caller hanging for nothing.
* A caller that was answered and is alone (its other side hung up), and every
  leg whose caller is gone or no longer ours: hung up.
* Channels in dialplan (voicemail, the fallback's own Dial()) are not the
  app's: left alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Listed:
    """One channel Asterisk listed, as the takeover sees it."""

    id: str
    #: The call it belongs to: the caller channel's id (its own id for a caller).
    call_id: str
    #: The plan step a leg of ours was dialing; ``None`` for a caller.
    step: int | None
    #: It sits in our Stasis app (a caller waiting for us, or an answered leg).
    in_app: bool
    #: Answered.
    up: bool
    #: In its call's ARI bridge.
    bridged: bool
    #: A caller's dialed number and identity.
    dialed: str = ""
    caller_number: str = ""
    caller_name: str = ""
    #: A caller in the generated bridge context (``names.CTX_BRIDGE``): bridged with
    #: its leg in dialplan, out of our app.
    in_bridge_context: bool = False


@dataclass(frozen=True, slots=True)
class Adopt:
    """The call goes on with ``leg`` answered; bridge the two unless ``bridged``."""

    caller: Listed
    leg: Listed

    @property
    def bridged(self) -> bool:
        return self.in_dialplan or (self.caller.bridged and self.leg.bridged)

    @property
    def in_dialplan(self) -> bool:
        return self.caller.in_bridge_context


@dataclass(frozen=True, slots=True)
class Resume:
    """Route ``caller`` from plan step ``step`` on (0: from the start)."""

    caller: Listed
    step: int
    #: The step whose attempt was abandoned, if one was under way.
    interrupted: int | None


@dataclass(frozen=True, slots=True)
class HangUp:
    channel_id: str
    why: str


Action = Adopt | Resume | HangUp


def take_over(channels: Iterable[Listed], owned: frozenset[str]) -> list[Action]:
    """The actions for every call among ``channels`` whose id is not in ``owned``."""
    calls: dict[str, list[Listed]] = {}
    for channel in channels:
        if channel.call_id not in owned:
            calls.setdefault(channel.call_id, []).append(channel)
    actions: list[Action] = []
    for call_id, members in calls.items():
        caller = next((c for c in members if c.step is None and c.id == call_id), None)
        legs = sorted((c for c in members if c.step is not None), key=_step)
        actions.extend(_decide(caller, legs))
    return actions


def _step(leg: Listed) -> int:
    return leg.step if leg.step is not None else -1


def _decide(caller: Listed | None, legs: list[Listed]) -> list[Action]:
    if caller is not None and caller.in_bridge_context:
        return _bridged_in_dialplan(caller, legs)
    if caller is None or not caller.in_app:
        why = "its caller is gone" if caller is None else "its caller left the app"
        return [HangUp(leg.id, why) for leg in legs]
    answered = [leg for leg in legs if leg.up and leg.in_app]
    if answered:
        keep = answered[-1]
        others: list[Action] = [
            HangUp(leg.id, "another leg of its call answered") for leg in legs if leg is not keep
        ]
        return [Adopt(caller, keep), *others]
    hang_legs: list[Action] = [HangUp(leg.id, "its attempt is abandoned") for leg in legs]
    if caller.up:  # answered, and whoever answered it is gone
        return [*hang_legs, HangUp(caller.id, "its other side hung up")]
    interrupted = legs[-1].step if legs else None
    step = interrupted + 1 if interrupted is not None else 0
    return [*hang_legs, Resume(caller, step, interrupted)]


def _bridged_in_dialplan(caller: Listed, legs: list[Listed]) -> list[Action]:
    """The caller is in the bridge context: the answered leg (the last one) is its
    other side; any other leg is a leftover."""
    answered = [leg for leg in legs if leg.up]
    if not answered:  # its leg is gone: nothing left to bridge it with
        hang_legs: list[Action] = [HangUp(leg.id, "its attempt is abandoned") for leg in legs]
        return [*hang_legs, HangUp(caller.id, "its other side hung up")]
    keep = answered[-1]
    others: list[Action] = [
        HangUp(leg.id, "another leg of its call answered") for leg in legs if leg is not keep
    ]
    return [Adopt(caller, keep), *others]
