"""`continuity agi serve`: the FastAGI route alone, as an install with its own dialplan runs it."""

from __future__ import annotations

import asyncio
import dataclasses
import signal
import sys

from continuity import names
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
