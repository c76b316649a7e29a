"""AMI: the login, its privileges, and what Asterisk actually loaded of ours."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from continuity import names
from continuity.agi.ami import Ami, AmiCredentials, AmiError
from continuity.config import Config, FallbackStore
from continuity.doctor.pjsip import (
    TRUNKS,
    cannot,
    endpoint_details,
    inbound_endpoint,
    messages,
    pjsip_include,
    trunk_checks,
)
from continuity.doctor.result import Result

#: AMI action the product sends -> the manager.conf write class that allows it.
NEEDED_ACTIONS = {
    "Command": "command",
    "ShowDialPlan": "reporting",
    "PJSIPShowEndpoint": "system",
    "PJSIPShowEndpoints": "system",
    "Originate": "originate",
}
#: With ``fallback_store = astdb``: the AMI actions that write and read the routes.
ASTDB_ACTIONS = {"DBPut": "system", "DBDel": "system", "DBGet": "system", "DBGetTree": "system"}


def needed_actions(config: Config) -> dict[str, str]:
    astdb = config.fallback_store is FallbackStore.ASTDB
    return {**NEEDED_ACTIONS, **(ASTDB_ACTIONS if astdb else {})}


def _generated(config: Config, name: str) -> str:
    try:
        return (Path(config.asterisk_config_dir) / names.GENERATED_DIR / name).read_text("utf-8")
    except OSError:
        return ""


async def check_ami(config: Config, creds: AmiCredentials) -> list[Result]:
    where = f"{creds.host}:{creds.port} as {creds.username!r}"
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
    results.append(await _privileges(config, ami, allowed))
    results.append(await _dialplan(config, ami, allowed))
    trunks: dict[str, list[Mapping[str, Any]] | None] = {}
    if "PJSIPShowEndpoint" in allowed:
        for trunk in TRUNKS:
            trunks[trunk] = await endpoint_details(ami, trunk)
    results.append(pjsip_include(config, trunks, allowed))
    results.append(await _voicemail(config, ami, allowed))
    results.append(await inbound_endpoint(ami, allowed))
    results.extend(trunk_checks(config, trunks, allowed))
    return results


async def _read_classes(ami: Ami, username: str) -> set[str] | None:
    """The user's read classes, from `manager show user` (None if not shown)."""
    output = await ami.command(f"manager show user {username}")
    for line in output.splitlines():
        name, sep, value = line.partition(":")
        if sep and name.strip() == "read perm":
            return {c.strip() for c in value.split(",") if c.strip()}
    return None


async def _privileges(config: Config, ami: Ami, allowed: set[str]) -> Result:
    check, user = "AMI privileges", config.ami_username
    problems: list[str] = []
    needed = needed_actions(config)
    write = sorted({needed[a] for a in needed if a not in allowed})
    missing = [action for action in needed if action not in allowed]
    if missing:
        problems.append(f"{user!r} may not send {', '.join(missing)}")
    read: set[str] | None = None
    if "Command" in allowed:
        read = await _read_classes(ami, user)
        if read is not None and not read & {"system", "all"}:
            problems.append(f"{user!r} does not receive system events (trunk health)")
        if read is not None and not read & {"user", "all"}:
            problems.append(
                f"{user!r} does not receive user events (codes keyed on verification calls)"
            )
    if not problems:
        return Result.ok(check, "every action the product sends is allowed")
    fixes = []
    if write:
        fixes.append(f"add {','.join(write)} to write")
    if read is not None and not read & {"system", "all"}:
        fixes.append("add system to read")
    if read is not None and not read & {"user", "all"}:
        fixes.append("add user to read")
    return Result.failed(
        check,
        "; ".join(problems),
        f"in manager.conf [{user}] {' and '.join(fixes)} (write = system,reporting,command,"
        "originate; read = system,call,user), then `manager reload`",
    )


async def _dialplan(config: Config, ami: Ami, allowed: set[str]) -> Result:
    check, context = "dialplan include", names.CTX_TRACKING
    if "ShowDialPlan" not in allowed:
        return cannot(check, "ShowDialPlan")
    try:
        response = await ami.action({"Action": "ShowDialPlan", "Context": context})
    except AmiError as exc:
        if "did not find context" not in str(exc).lower():
            raise
        response = []
    if any(m.get("Event") == "ListDialplan" for m in messages(response)):
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


async def _voicemail(config: Config, ami: Ami, allowed: set[str]) -> Result:
    check, context = "voicemail include", names.VOICEMAIL_CONTEXT
    if "Command" not in allowed:
        return cannot(check, "Command")
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
