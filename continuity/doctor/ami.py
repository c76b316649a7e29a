"""AMI: the login, its privileges, and what Asterisk actually loaded of ours."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from agi.ami import Ami, AmiCredentials, AmiError
from continuity import names
from continuity.config import Config
from continuity.doctor.result import Result

#: AMI action the product sends -> the manager.conf write class that allows it.
NEEDED_ACTIONS = {
    "Command": "command",
    "ShowDialPlan": "reporting",
    "PJSIPShowEndpoint": "system",
    "PJSIPShowEndpoints": "system",
    "Originate": "originate",
}
TRUNKS = (names.ENDPOINT_PRIMARY, names.ENDPOINT_PSTN)
#: Endpoints whose context the inbound check reads, at most.
MAX_ENDPOINTS = 50


def _messages(response: Any) -> list[Mapping[str, Any]]:
    items = response if isinstance(response, list) else [response]
    return [m for m in items if hasattr(m, "get")]


async def _endpoint(ami: Ami, endpoint: str) -> list[Mapping[str, Any]] | None:
    """The PJSIPShowEndpoint messages of ``endpoint``; None if Asterisk has none such."""
    try:
        return _messages(await ami.action({"Action": "PJSIPShowEndpoint", "Endpoint": endpoint}))
    except AmiError as exc:
        if "unable to retrieve endpoint" in str(exc).lower():
            return None
        raise


def _detail(messages: list[Mapping[str, Any]]) -> Mapping[str, Any]:
    return next((m for m in messages if m.get("Event") == "EndpointDetail"), {})


def _generated(config: Config, name: str) -> str:
    try:
        return (Path(config.asterisk_config_dir) / names.GENERATED_DIR / name).read_text("utf-8")
    except OSError:
        return ""


async def check_ami(config: Config) -> list[Result]:
    creds = AmiCredentials(config.ami_host, config.ami_port, config.ami_username, config.ami_secret)
    where = f"{config.ami_host}:{config.ami_port} as {config.ami_username!r}"
    try:
        async with Ami(creds) as ami:
            try:
                return await _checks_logged_in(config, ami, where)
            except (AmiError, TimeoutError, OSError) as exc:
                return [
                    Result.ok("AMI login", f"{where}: logged in"),
                    Result.failed(
                        "AMI privileges",
                        f"AMI stopped answering during the checks: {exc or 'timeout'}",
                        "check that Asterisk is running and not overloaded, then run again",
                    ),
                    *(Result.skipped(name, "AMI stopped answering") for name in _AFTER_LOGIN[1:]),
                ]
    except AmiError as exc:
        refused = "refused" in str(exc)
        fix = (
            f"set CONTINUITY_AMI_SECRET to the secret of [{config.ami_username}] in "
            "manager.conf (or fix ami_username)"
            if refused
            else "enable AMI (manager.conf [general] enabled = yes) and check ami_host/ami_port"
        )
        needs = "needs an AMI login"
        return [
            Result.failed("AMI login", f"{where}: {exc}", fix),
            *(Result.skipped(name, needs) for name in _AFTER_LOGIN),
        ]


_AFTER_LOGIN = (
    "AMI privileges",
    "dialplan include",
    "pjsip include",
    "voicemail include",
    "inbound endpoint",
    "trunks qualified",
    "trunk transport",
)


async def _checks_logged_in(config: Config, ami: Ami, where: str) -> list[Result]:
    results = [Result.ok("AMI login", f"{where}: logged in")]
    allowed = set((await ami.action({"Action": "ListCommands"})).keys())
    missing = [action for action in NEEDED_ACTIONS if action not in allowed]
    if missing:
        classes = sorted({NEEDED_ACTIONS[a] for a in missing})
        results.append(
            Result.failed(
                "AMI privileges",
                f"{config.ami_username!r} may not send {', '.join(missing)}",
                f"in manager.conf [{config.ami_username}] add {','.join(classes)} to write "
                "(write = system,reporting,command,originate), then `manager reload`",
            )
        )
    else:
        results.append(Result.ok("AMI privileges", "every action the product sends is allowed"))
    results.append(await _dialplan(config, ami, allowed))
    trunks: dict[str, list[Mapping[str, Any]] | None] = {}
    if "PJSIPShowEndpoint" in allowed:
        for trunk in TRUNKS:
            trunks[trunk] = await _endpoint(ami, trunk)
    results.append(_pjsip(config, trunks, allowed))
    results.append(await _voicemail(config, ami, allowed))
    results.append(await _inbound(ami, allowed))
    results.extend(_trunks(config, trunks, allowed))
    return results


def _cannot(check: str, action: str) -> Result:
    return Result.skipped(check, f"needs the AMI action {action} (see AMI privileges)")


async def _dialplan(config: Config, ami: Ami, allowed: set[str]) -> Result:
    check, context = "dialplan include", names.CTX_TRACKING
    if "ShowDialPlan" not in allowed:
        return _cannot(check, "ShowDialPlan")
    try:
        response = await ami.action({"Action": "ShowDialPlan", "Context": context})
    except AmiError as exc:
        if "did not find context" not in str(exc).lower():
            raise
        response = []
    if any(m.get("Event") == "ListDialplan" for m in _messages(response)):
        return Result.ok(check, f"Asterisk has context {context}")
    generated = f"{names.GENERATED_DIR}/{names.GENERATED_EXTENSIONS}"
    if f"[{context}]" not in _generated(config, names.GENERATED_EXTENSIONS):
        return Result.failed(
            check,
            f"Asterisk has no context {context}, and {generated} does not define it yet",
            "run `continuity dialplan apply` (or start `continuity serve`)",
        )
    return Result.failed(
        check,
        f"Asterisk has no context {context}: extensions.conf does not include {generated}",
        f'add `#include "{generated}"` to extensions.conf, then `dialplan reload`',
    )


def _pjsip(
    config: Config, trunks: Mapping[str, list[Mapping[str, Any]] | None], allowed: set[str]
) -> Result:
    check = "pjsip include"
    if "PJSIPShowEndpoint" not in allowed:
        return _cannot(check, "PJSIPShowEndpoint")
    absent = [name for name, found in trunks.items() if found is None]
    if not absent:
        return Result.ok(check, f"Asterisk has endpoints {', '.join(TRUNKS)}")
    generated = f"{names.GENERATED_DIR}/{names.GENERATED_PJSIP}"
    if config.primary_trunk and config.pstn_trunk:
        fix = f'add `#include "{generated}"` to pjsip.conf, then `pjsip reload`'
    else:
        fix = "set primary_trunk and pstn_trunk (the product writes both), or define them"
    return Result.failed(check, f"Asterisk has no PJSIP endpoint {', '.join(absent)}", fix)


async def _voicemail(config: Config, ami: Ami, allowed: set[str]) -> Result:
    check, context = "voicemail include", names.VOICEMAIL_CONTEXT
    if "Command" not in allowed:
        return _cannot(check, "Command")
    boxes = [
        line
        for line in _generated(config, names.GENERATED_VOICEMAIL).splitlines()
        if "=>" in line and not line.lstrip().startswith(";")
    ]
    if not boxes:
        return Result.ok(check, "no failover voicemail boxes to check")
    output = await ami.command(f"voicemail show users for {context}")
    if "There are no voicemail users" not in output and context in output:
        return Result.ok(check, f"Asterisk has the boxes of voicemail context {context}")
    path = f"{names.GENERATED_DIR}/{names.GENERATED_VOICEMAIL}"
    return Result.failed(
        check,
        f"Asterisk has no voicemail boxes in context {context}",
        f'add `#tryinclude "{path}"` at the end of voicemail.conf, then '
        "`module reload app_voicemail.so`",
    )


async def _inbound(ami: Ami, allowed: set[str]) -> Result:
    check, context = "inbound endpoint", names.CTX_TRACKING
    if not {"PJSIPShowEndpoints", "PJSIPShowEndpoint"} <= allowed:
        return _cannot(check, "PJSIPShowEndpoints")
    listed = _messages(await ami.action({"Action": "PJSIPShowEndpoints"}))
    endpoints = [
        str(m.get("ObjectName"))
        for m in listed
        if m.get("Event") == "EndpointList" and m.get("ObjectName") not in TRUNKS
    ]
    contexts: dict[str, str] = {}
    for endpoint in endpoints[:MAX_ENDPOINTS]:
        found = await _endpoint(ami, endpoint)
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


def _trunks(
    config: Config, trunks: Mapping[str, list[Mapping[str, Any]] | None], allowed: set[str]
) -> list[Result]:
    if "PJSIPShowEndpoint" not in allowed:
        return [_cannot("trunks qualified", "PJSIPShowEndpoint"), _transport(config, trunks)]
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
