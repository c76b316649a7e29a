"""Issue 16: `continuity doctor` on the running install, and on a pbx with four faults."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from continuity import names
from continuity.compose_cli import doctor as diagnose
from continuity.config import Config
from continuity.doctor import Result, Status
from continuity.doctor.ari import LEFT_BEHIND
from localstack import LocalStack
from localstack.instance import AsteriskInstance
from localstack.pbxconfig import GENERATED_EXTENSIONS, render_pbx
from localstack.ports import LOOPBACK
from localstack.product import fallback_route
from tests.conftest import AttachLogs
from tests.dialplan.processes import run_cli
from tests.scenario import Scenario, external

#: The generated dialplan is on disk, but extensions.conf does not include it.
GENERATED_DIALPLAN = f"[{names.CTX_TRACKING}]\nexten => _+X.,1,Stasis({names.ARI_APP})\n"


MAIN = "+12125550101"
SALES = "+12125550102"
#: A number the routing state does not have.
STRAY = "+12125550199"


async def routed_in_astdb(scenario: Scenario, *numbers: str) -> None:
    """Until the fallback holds a route for each of ``numbers``."""
    async with asyncio.timeout(10):
        for number in numbers:
            while await fallback_route(scenario.stack.pbx, scenario.app.config, number) is None:
                await asyncio.sleep(0.05)


async def test_the_doctor_finds_nothing_wrong_with_the_running_install(scenario: Scenario) -> None:
    await scenario.line("sales")  # its failover voicemail box is generated and loaded
    await scenario.tracking_number(SALES, line="sales")
    await routed_in_astdb(scenario, SALES)
    async with asyncio.timeout(10):
        while "sales" not in await scenario.stack.pbx.cli(
            f"voicemail show users for {names.VOICEMAIL_CONTEXT}"
        ):
            await asyncio.sleep(0.05)

    results = await diagnose(scenario.app.config)

    for r in results:
        print(f"{r.status.value:8} {r.check}: {r.detail} {r.fix}")
    # The stack is shared with the other tests' calls: a channel a masquerade left
    # behind in one of them (an Asterisk race, about one in 1,000 ARI calls) is no fault
    # of this install, and tests/unit/test_doctor_left_behind.py checks how it is named.
    failed = [r for r in results if r.status is Status.FAILED and r.check != LEFT_BEHIND]
    assert failed == []
    assert next(r for r in results if r.check == LEFT_BEHIND).status is not Status.SKIPPED
    checked = {r.check for r in results if r.status is Status.OK}
    assert {
        "ARI",
        "Asterisk version",
        "ARI app",
        "AMI login",
        "AMI privileges",
        "dialplan include",
        "pjsip include",
        "voicemail include",
        "inbound endpoint",
        "trunks qualified",
        "trunk transport",
        "fallback routes",
        "database",
        "state_dir",
        "config dir",
        "SMTP",
        "webhook",
    } <= checked


async def test_the_doctor_finds_routes_changed_in_astdb_behind_the_apps_back_until_reapplied(
    scenario: Scenario,
) -> None:
    """An admin deletes one number's AstDB key, overwrites another's and adds a key for a
    number the product does not have: the fallback would route all three wrong while the
    app is down, and the app, which remembers what it wrote, would not rewrite them."""
    await scenario.tracking_number(MAIN)
    await scenario.tracking_number(SALES, on=True, destination=external("+13125550150"))
    await routed_in_astdb(scenario, MAIN, SALES)
    config, pbx, family = scenario.app.config, scenario.stack.pbx, names.ASTDB_FAMILY
    route = await fallback_route(pbx, config, MAIN)

    async def fallback_routes() -> Result:
        return next(r for r in await diagnose(config) if r.check == "fallback routes")

    clean = await fallback_routes()
    await pbx.cli(f"database del {family} {MAIN}")
    await pbx.cli(f"database put {family} {SALES} {route}")
    await pbx.cli(f"database put {family} {STRAY} {route}")
    found = await fallback_routes()
    applied = await run_cli(config, "dialplan", "apply")
    after = await fallback_routes()

    print(clean, found, after, sep="\n")
    assert clean.status is Status.OK
    assert "each of the 2 tracking numbers" in clean.detail
    assert found.status is Status.FAILED
    assert f"1 missing ({MAIN})" in found.detail
    assert f"1 stale ({SALES})" in found.detail
    assert f"1 extra ({STRAY})" in found.detail
    assert "`continuity dialplan apply`" in found.fix
    assert applied.returncode == 0, applied.stderr
    assert after.status is Status.OK, after
    assert await fallback_route(pbx, config, STRAY) is None


def _faulty_pbx(stack: LocalStack) -> AsteriskInstance:
    """A pbx as a hurried admin left it: extensions.conf lacks the #include, the AMI
    user may not originate nor read system events, the trunks are never qualified,
    and the carrier's calls land in a context of the admin's own."""
    pbx = AsteriskInstance(stack.pbx.rootfs, "faulty")
    files = render_pbx(
        sip_bind=f"{LOOPBACK}:{pbx.sip_port}",
        inbound_match=LOOPBACK,
        primary_contact=stack.primary_contact,
        pstn_contact=stack.pstn_contact,
        qualify_frequency=0,
    )
    include = f'#include "{GENERATED_EXTENSIONS}"'
    files["extensions.conf"] = files["extensions.conf"].replace(include, "")
    files[GENERATED_EXTENSIONS] = GENERATED_DIALPLAN
    files["pjsip.conf"] = files["pjsip.conf"].replace(
        f"context = {names.CTX_TRACKING}", "context = from-carrier"
    )
    manager = pbx.base_configs()["manager.conf"]
    files["manager.conf"] = manager.replace("read = all", "read = call").replace(
        "write = all", "write = system,reporting,command"
    )
    pbx.configs.update(files)
    return pbx


@pytest.fixture
async def faulty(
    scenario: Scenario, local_stack: LocalStack, attach_logs: AttachLogs, tmp_path: Path
) -> AsyncIterator[Config]:
    """The product's settings, pointed at the faulty pbx, with a wrong ARI password; no
    tracking numbers (its AstDB holds none either)."""
    product = scenario.app
    async with _faulty_pbx(local_stack) as pbx:
        attach_logs(pbx)
        yield dataclasses.replace(
            product.config,
            ari_url=pbx.ari.url.removesuffix("/ari"),
            ari_username=pbx.ari.username,
            ari_password="not-" + pbx.ari.password,
            ami_host=pbx.ami.host,
            ami_port=pbx.ami.port,
            ami_username=pbx.ami.username,
            ami_secret=pbx.ami.secret,
            asterisk_config_dir=pbx.etc_dir,
            state_dir=tmp_path / "state",
            web_listen="",  # this install runs no console
        )


def _environment(config: Config) -> dict[str, str]:
    values = {
        "DATABASE_URL": config.database_url,
        "ARI_URL": config.ari_url,
        "ARI_USERNAME": config.ari_username,
        "ARI_PASSWORD": config.ari_password,
        "AMI_HOST": config.ami_host,
        "AMI_PORT": str(config.ami_port),
        "AMI_USERNAME": config.ami_username,
        "AMI_SECRET": config.ami_secret,
        "ASTERISK_CONFIG_DIR": str(config.asterisk_config_dir),
        "STATE_DIR": str(config.state_dir),
        "PRIMARY_TRUNK": config.primary_trunk,
        "PSTN_TRUNK": config.pstn_trunk,
        "TRUNK_TRANSPORT": config.trunk_transport,
        "TRUNK_QUALIFY_FREQUENCY": "0",
        "WEB_LISTEN": "",
        "LOG_LEVEL": "ERROR",
    }
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CONTINUITY_")}
    return {**clean, **{f"CONTINUITY_{k}": v for k, v in values.items()}}


async def test_the_doctor_names_each_fault_of_a_misconfigured_pbx_and_its_fix(
    faulty: Config,
) -> None:
    results = {r.check: r for r in await diagnose(faulty)}

    failed = {name for name, r in results.items() if r.status is Status.FAILED}
    assert failed == {
        "ARI",
        "AMI privileges",
        "dialplan include",
        "trunks qualified",
        "inbound endpoint",
    }
    assert "credentials refused" in results["ARI"].detail
    assert "CONTINUITY_ARI_PASSWORD" in results["ARI"].fix
    privileges = results["AMI privileges"]
    assert "may not send Originate" in privileges.detail
    assert "does not receive system events" in privileges.detail
    assert "add originate to write and add system to read" in privileges.fix
    assert "manager.conf" in privileges.fix
    assert f'#include "{GENERATED_EXTENSIONS}"' in results["dialplan include"].fix
    assert "extensions.conf" in results["dialplan include"].fix
    assert "not qualified" in results["trunks qualified"].detail
    assert names.ENDPOINT_PRIMARY in results["trunks qualified"].detail
    assert "trunk_qualify_frequency" in results["trunks qualified"].fix
    # What it could still check is fine; what needs the missing AMI actions is skipped.
    assert results["pjsip include"].status is Status.OK
    assert f"{names.ENDPOINT_INBOUND} -> from-carrier" in results["inbound endpoint"].detail
    assert f"context = {names.CTX_TRACKING}" in results["inbound endpoint"].fix
    assert results["voicemail include"].status is Status.OK  # no boxes generated yet
    assert results["fallback routes"].status is Status.OK  # no numbers, no keys
    assert results["ARI app"].status is Status.SKIPPED

    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "continuity",
        "doctor",
        env=_environment(faulty),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    text = out.decode()
    print(text, err.decode())
    assert proc.returncode == 1
    marked = {line.split()[1] for line in text.splitlines() if line.startswith("✗")}
    assert marked == {"ARI", "AMI", "dialplan", "trunks", "inbound"}
    assert text.count("fix: ") == 5
    assert "✓ database" in text
    assert "5 problem(s) found" in text
