"""`continuity agi serve`: the FastAGI route alone, as an install with its own dialplan runs it."""

from __future__ import annotations

import asyncio
import dataclasses
import signal
import sys
from pathlib import Path

from continuity import names
from continuity.admin import SettingsChange
from localstack.ports import PortAllocator
from tests.agi.test_agi_wire import fake_asterisk, headers
from tests.dialplan.processes import REPO, environment
from tests.scenario import Scenario, external

MAIN = "+12125550101"
ANSWERING_SERVICE = "+13125550150"


async def test_agi_serve_answers_the_route_until_it_is_stopped(scenario: Scenario) -> None:
    await scenario.tracking_number(MAIN, on=True, destination=external(ANSWERING_SERVICE))
    port = PortAllocator().tcp()
    config = dataclasses.replace(scenario.app.config, agi_port=port)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "continuity", "agi", "serve",
        env=environment(config), cwd=REPO,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    try:
        async with asyncio.timeout(15):
            while True:
                try:
                    commands = await fake_asterisk(port, headers(names.AGI_ROUTE, MAIN))
                    break
                except ConnectionRefusedError:
                    await asyncio.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 10) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()

    dial = f"PJSIP/{ANSWERING_SERVICE}@{names.ENDPOINT_PSTN}"
    assert f'SET VARIABLE {names.VAR_DIAL_STRING} "{dial}"' in commands
    assert f'SET VARIABLE {names.VAR_ROUTE_REASON} "continuity"' in commands


async def test_agi_serve_with_the_route_turned_off_says_how_to_turn_it_on(
    scenario: Scenario,
) -> None:
    config = dataclasses.replace(scenario.app.config, agi_port=0)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "continuity", "agi", "serve",
        env=environment(config), cwd=REPO, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 2
    assert "CONTINUITY_AGI_PORT" in err.decode()


async def test_agi_serve_answers_with_each_change_though_its_state_cache_cannot_be_written(
    scenario: Scenario, tmp_path: Path
) -> None:
    await scenario.tracking_number(MAIN)
    (tmp_path / "routing-state.json").mkdir()  # every write of the state cache fails
    port = PortAllocator().tcp()
    config = dataclasses.replace(scenario.app.config, agi_port=port, state_dir=tmp_path)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "continuity", "agi", "serve",
        env=environment(config), cwd=REPO,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    reason = f"SET VARIABLE {names.VAR_ROUTE_REASON}"
    try:
        async with asyncio.timeout(20):
            while True:
                try:
                    commands = await fake_asterisk(port, headers(names.AGI_ROUTE, MAIN))
                    break
                except ConnectionRefusedError:
                    await asyncio.sleep(0.05)
            assert f'{reason} "normal"' in commands

            await scenario.admin.change_number(
                MAIN, SettingsChange(on=True, destination=external(ANSWERING_SERVICE))
            )
            while f'{reason} "continuity"' not in commands:
                assert process.returncode is None
                await asyncio.sleep(0.1)
                commands = await fake_asterisk(port, headers(names.AGI_ROUTE, MAIN))
        process.send_signal(signal.SIGTERM)
        output, _ = await asyncio.wait_for(process.communicate(), 10)
        assert process.returncode == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()

    assert output.decode().count("could not write the routing state cache") == 1
