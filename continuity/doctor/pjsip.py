"""PJSIP as Asterisk loaded it: the trunks, their health and transport, the inbound endpoint."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from continuity import names
from continuity.agi.ami import Ami, AmiError
from continuity.config import Config
from continuity.doctor.result import Result

TRUNKS = (names.ENDPOINT_PRIMARY, names.ENDPOINT_PSTN)
#: Endpoints whose context the inbound check reads, at most.
MAX_ENDPOINTS = 50


def messages(response: Any) -> list[Mapping[str, Any]]:
    items = response if isinstance(response, list) else [response]
    return [m for m in items if hasattr(m, "get")]


def cannot(check: str, action: str) -> Result:
    return Result.skipped(check, f"needs the AMI action {action} (see AMI privileges)")


async def endpoint_details(ami: Ami, endpoint: str) -> list[Mapping[str, Any]] | None:
    """The PJSIPShowEndpoint messages of ``endpoint``; None if Asterisk has none such."""
    try:
        return messages(await ami.action({"Action": "PJSIPShowEndpoint", "Endpoint": endpoint}))
    except AmiError as exc:
        if "unable to retrieve endpoint" in str(exc).lower():
            return None
        raise


def _detail(found: list[Mapping[str, Any]]) -> Mapping[str, Any]:
    return next((m for m in found if m.get("Event") == "EndpointDetail"), {})


def pjsip_include(
    config: Config, trunks: Mapping[str, list[Mapping[str, Any]] | None], allowed: set[str]
) -> Result:
    check = "pjsip include"
    if "PJSIPShowEndpoint" not in allowed:
        return cannot(check, "PJSIPShowEndpoint")
    absent = [name for name, found in trunks.items() if found is None]
    if not absent:
        return Result.ok(check, f"Asterisk has endpoints {', '.join(TRUNKS)}")
    generated = f"{names.GENERATED_DIR}/{names.GENERATED_PJSIP}"
    if config.primary_trunk and config.pstn_trunk:
        fix = f'add `#include "{generated}"` to pjsip.conf, then `pjsip reload`'
    else:
        fix = "set primary_trunk and pstn_trunk (the product writes both), or define them"
    return Result.failed(check, f"Asterisk has no PJSIP endpoint {', '.join(absent)}", fix)


async def inbound_endpoint(ami: Ami, allowed: set[str]) -> Result:
    check, context = "inbound endpoint", names.CTX_TRACKING
    if not {"PJSIPShowEndpoints", "PJSIPShowEndpoint"} <= allowed:
        return cannot(check, "PJSIPShowEndpoints")
    listed = messages(await ami.action({"Action": "PJSIPShowEndpoints"}))
    endpoints = [
        str(m.get("ObjectName"))
        for m in listed
        if m.get("Event") == "EndpointList" and m.get("ObjectName") not in TRUNKS
    ]
    contexts: dict[str, str] = {}
    for endpoint in endpoints[:MAX_ENDPOINTS]:
        found = await endpoint_details(ami, endpoint)
        contexts[endpoint] = str(_detail(found or []).get("Context", "?"))
    ours = [e for e, c in contexts.items() if c == context]
    if ours:
        verb = "sends" if len(ours) == 1 else "send"
        return Result.ok(check, f"{', '.join(ours)} {verb} calls to {context}")
    seen = ", ".join(f"{e} -> {c}" for e, c in contexts.items()) or "no other endpoints"
    return Result.failed(
        check,
        f"no PJSIP endpoint sends calls to {context} ({seen})",
        f"set `context = {context}` on your carrier's endpoint in pjsip.conf, then `pjsip reload`",
    )


def trunk_checks(
    config: Config, trunks: Mapping[str, list[Mapping[str, Any]] | None], allowed: set[str]
) -> list[Result]:
    if "PJSIPShowEndpoint" not in allowed:
        return [cannot("trunks qualified", "PJSIPShowEndpoint"), _transport(config, trunks)]
    problems: list[str] = []
    fix = ""
    good: list[str] = []
    for trunk, messages in trunks.items():
        if messages is None:
            problems.append(f"{trunk} missing")
            fix = fix or "see pjsip include"
            continue
        statuses = {
            str(m.get("Status")) for m in messages if m.get("Event") == "ContactStatusDetail"
        }
        if "Reachable" in statuses:
            good.append(trunk)
        elif not statuses or statuses <= {"NonQualified", "Unknown"}:
            problems.append(
                f"{trunk} not qualified ({', '.join(sorted(statuses)) or 'no contact'})"
            )
            fix = fix or (
                f"set trunk_qualify_frequency above 0 (now {config.trunk_qualify_frequency}; "
                "qualify_frequency on the trunk's AOR), then `continuity dialplan apply`"
            )
        else:
            problems.append(f"{trunk} {', '.join(sorted(statuses))}")
            fix = fix or "the trunk does not answer OPTIONS: check its SIP URI and the network"
    qualified = (
        Result.failed("trunks qualified", "; ".join(problems), fix)
        if problems
        else Result.ok("trunks qualified", f"{', '.join(good)} reachable")
    )
    return [qualified, _transport(config, trunks)]


def _transport(config: Config, trunks: Mapping[str, list[Mapping[str, Any]] | None]) -> Result:
    check = "trunk transport"
    if not config.trunk_transport:
        return Result.failed(
            check,
            "trunk_transport is not set: Asterisk picks a transport per call",
            "set trunk_transport to the PJSIP transport the trunks use (`pjsip show "
            "transports`), then `continuity dialplan apply`",
        )
    wrong = [
        f"{trunk} uses {_detail(found).get('Transport') or 'none'}"
        for trunk, found in trunks.items()
        if found is not None and _detail(found).get("Transport") != config.trunk_transport
    ]
    if wrong:
        return Result.failed(
            check,
            f"trunk_transport is {config.trunk_transport}, but {'; '.join(wrong)}",
            "run `continuity dialplan apply` to write the trunks with it",
        )
    return Result.ok(check, f"trunk_transport = {config.trunk_transport}")
