"""One call as a pure state machine: state, events, commands and :func:`step`."""

from continuity.core.call.machine import step
from continuity.core.call.state import Call, Leg, Phase, Policy, call_key, new_call

__all__ = ["Call", "Leg", "Phase", "Policy", "call_key", "new_call", "step"]
