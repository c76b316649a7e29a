"""Issue 12: every box has a PIN the admin sets or resets, and VoiceMailMain asks for it."""

from __future__ import annotations

import asyncio
import re
import secrets
import stat

from continuity.core.model import LineKind
from continuity.dialplan_templates.voicemail import voicemail_path
from tests.dialplan.processes import run_cli
from tests.scenario import Scenario


def box_line(scenario: Scenario, line: str) -> str:
    text = voicemail_path(scenario.app.config.asterisk_config_dir).read_text()
    found = re.search(rf"^{re.escape(line)} => (.*)$", text, re.MULTILINE)
    assert found, text
    return found.group(1)


async def until_box_has(scenario: Scenario, line: str, pin: str) -> None:
    await scenario.synced()
    async with asyncio.timeout(10):
        while not box_line(scenario, line).startswith(f"{pin},"):
            await asyncio.sleep(0.05)


async def log_in(scenario: Scenario, line: str, keys: str) -> str:
    """The owner dials in to ``line``'s box and types ``keys`` then #; the box it opened."""
    pbx = scenario.stack.pbx
    await pbx.cli(
        f"channel originate Local/vm-{line}@pbx-voicemail-login extension {keys}@pbx-voicemail-keys"
    )
    async with asyncio.timeout(20):
        while True:  # until the box let the owner in, or the keypad is done
            shown = await pbx.cli("dialplan show globals")
            found = re.search(rf"VMLOGIN_{re.escape(line)}=(\S+)", shown)
            if found:
                return found.group(1)
            if f"VMKEYS={keys}" in shown:
                return ""
            await asyncio.sleep(0.1)


async def test_a_new_line_gets_a_pin_of_its_own_in_a_file_only_asterisk_s_group_reads(
    scenario: Scenario,
) -> None:
    await scenario.line("support", LineKind.DEPARTMENT)
    await scenario.line("billing", LineKind.DEPARTMENT)
    await scenario.synced()

    path = voicemail_path(scenario.app.config.asterisk_config_dir)
    async with asyncio.timeout(10):
        while "billing =>" not in path.read_text():
            await asyncio.sleep(0.05)
    pins = [box_line(scenario, line).split(",")[0] for line in ("support", "billing")]
    assert all(re.fullmatch(r"[0-9]{6}", pin) for pin in pins), pins
    assert pins[0] != pins[1] or pins[0] != "000000"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


async def test_the_admin_resets_a_pin_and_the_owner_logs_in_with_it_and_not_without(
    scenario: Scenario,
) -> None:
    line = f"sales{secrets.token_hex(3)}"  # Asterisk's globals outlive a test
    await scenario.line(line, LineKind.DEPARTMENT)

    reset = await run_cli(scenario.app.config, "voicemail", "pin", "reset", line)
    assert reset.returncode == 0, reset.stderr
    pin = reset.stdout.split()[-1]
    await until_box_has(scenario, line, pin)
    wrong = f"{(int(pin) + 1) % 10**6:06d}"

    assert await log_in(scenario, line, wrong) == ""
    assert await log_in(scenario, line, pin) == line


async def test_the_admin_sets_a_pin_on_standard_input_and_it_never_reaches_a_log(
    scenario: Scenario,
) -> None:
    await scenario.line("frontdesk", LineKind.DEPARTMENT)

    done = await run_cli(
        scenario.app.config, "voicemail", "pin", "set", "frontdesk", stdin="48151623\n"
    )
    assert done.returncode == 0, done.stderr
    assert "48151623" not in done.stdout + done.stderr
    await until_box_has(scenario, "frontdesk", "48151623")
    audit = await run_cli(scenario.app.config, "audit", "--json")
    assert "voicemail.pin" in audit.stdout
    assert "48151623" not in audit.stdout

    refused = await run_cli(
        scenario.app.config, "voicemail", "pin", "set", "frontdesk", stdin="12ab\n"
    )
    assert refused.returncode == 1
    assert "4 to 12 digits" in refused.stderr
    assert box_line(scenario, "frontdesk").startswith("48151623,")
