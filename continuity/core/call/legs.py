"""The channel variables of a leg the app originates: its caller ID and, for a
continuity leg, its redirecting identity (sent by the trunk as Diversion or
History-Info). What they hold is decided by :mod:`continuity.core.redirecting`."""

from __future__ import annotations

from continuity import names
from continuity.core.call.state import Call
from continuity.core.call_trace import destination_token
from continuity.core.redirecting import presented_name
from continuity.core.routing import RouteStep


def leg_variables(call: Call, step: RouteStep, leg: str) -> dict[str, str]:
    """Variables set on the new leg ``leg`` (its channel id) before it is dialed.

    The reason of a leg after a failed step comes from that step's cause.
    ``i``: set the data without sending an update to a channel not yet dialed.
    """
    variables = {
        "CALLERID(num)": call.caller_number,
        "CALLERID(name)": call.caller_name,
        names.VAR_TRACKING_NUMBER: call.dialed,
    }
    r = step.redirect
    if r is not None:
        previous = call.attempts[-1].cause if call.attempts else None
        number = r.caller_number or call.caller_number
        name = presented_name(r.name_prefix, call.caller_name)
        variables.update(
            {
                "CALLERID(num)": number,
                "CALLERID(name)": name,
                "CONNECTEDLINE(num,i)": number,
                "CONNECTEDLINE(name,i)": name,
                "REDIRECTING(from-num,i)": r.from_number,
                "REDIRECTING(reason,i)": r.reason_for(previous).value,
                "REDIRECTING(count,i)": "1",
            }
        )
        if r.to_number:
            variables["REDIRECTING(to-num,i)"] = r.to_number
    variables[names.VAR_DESTINATION] = destination_token(step.destination)
    variables["CHANNEL(hangup_handler_push)"] = f"{names.CTX_LEG_HANGUP},s,1"
    # The caller's current leg: its hangup handler and this leg's hang up the other.
    variables[f"SHARED({names.VAR_CURRENT_LEG},{call.caller_id})"] = leg
    return variables
