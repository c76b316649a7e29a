"""What Asterisk has loaded, asked over AMI: to verify a generated file after its reload."""

from __future__ import annotations

from typing import Any

from continuity.agi.ami import AmiActions, AmiError

#: (extension, priority, application, data), as AMI ListDialplan reports each priority.
DialplanItem = tuple[str, int, str, str]


async def dialplan_context(ami: AmiActions, context: str) -> set[tuple[object, ...]]:
    """Every priority of ``context``; empty if Asterisk has no such context."""
    try:
        response: Any = await ami.action({"Action": "ShowDialPlan", "Context": context})
    except AmiError as exc:
        if "did not find context" in str(exc).lower():
            return set()
        raise
    return {
        (m["Extension"], int(m["Priority"]), m["Application"], m.get("AppData", ""))
        for m in _messages(response)
        if m.get("Event") == "ListDialplan"
    }


async def endpoint_contacts(ami: AmiActions, endpoint: str) -> set[tuple[object, ...]]:
    """``(endpoint, contact URI)`` for each contact of the endpoint's AORs; empty if none."""
    try:
        response: Any = await ami.action({"Action": "PJSIPShowEndpoint", "Endpoint": endpoint})
    except AmiError as exc:
        if "unable to retrieve endpoint" in str(exc).lower():
            return set()
        raise
    found: set[tuple[object, ...]] = set()
    for message in _messages(response):
        if message.get("Event") != "AorDetail":
            continue
        for contact in filter(None, message.get("Contacts", "").split(",")):
            _aor, _, uri = contact.partition("/")
            found.add((endpoint, uri))
    return found


def _messages(response: Any) -> list[Any]:
    return response if isinstance(response, list) else [response]
