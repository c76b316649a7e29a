"""Issue 6: calls still land where they should when the app is killed.

``continuity serve`` runs as a real subprocess, configured through CONTINUITY_*
variables from ``product_config``, against a local stack and a database of
this package's own (the session's app must not answer for it). Once it has
applied the generated files it is killed with SIGKILL: Stasis() then fails
and the fallback context, rendered from the last state, routes every call.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from continuity import names
from continuity.admin import Admin
from continuity.config import FallbackStore
from continuity.core.model import ContinuitySettings, Line, LineKind, TrackingNumber
from continuity.db.pool import Pool
from continuity.db.store import Store
from localstack import LocalStack
from localstack.product import product_config
from tests.dialplan.calls import Landing, landing, quiet, seen
from tests.dialplan.processes import REPO, environment
from tests.scenario import external

NORMAL = "+12125550201"
CONTINUITY_ON = "+12125550202"
PRIMARY_FAILING = "+12125550203"
VOICEMAIL_ENDING = "+12125550204"
HOSTILE = "+12125550205"
ANSWERING_SERVICE = "+13125550150"
LINE_SERVICE = "+13125550151"
FAILING_SERVICE = "+13125550152"
HOSTILE_LABEL = 'Sales ;-- } [evil] exten => _X.,1,Dial(PJSIP/x) ${EXTEN} $[1] "é"'
HOSTILE_NAME = "Zoë O'Brien; ${EXTEN} [x], (y) ;--"
#: Escaped in the request URI, Asterisk decodes it into ${EXTEN}: ``+1212:evil,s,1?x``.
HOSTILE_DIALED = "+1212%3Aevil%2Cs%2C1%3Fx"


@dataclass
class Serve:
    """``continuity serve`` as a subprocess, and its log."""

    process: asyncio.subprocess.Process
    log: Path

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


@pytest.fixture(scope="module")
async def state(own_db: str) -> str:
    """The numbers of this module, one per kind of route, stored once."""
    await configure(own_db)
    return own_db


async def configure(url: str) -> None:
    async with Pool(url, open=False, min_size=1, max_size=1) as pool:
        admin = Admin(Store(pool), "test")
        await admin.add_line(
            Line(
                "main",
                LineKind.MAIN,
                continuity=ContinuitySettings(destination=external(LINE_SERVICE)),
            )
        )
        await admin.add_line(Line("sales", LineKind.DEPARTMENT))
        await admin.add_number(TrackingNumber(NORMAL, line="sales"))
        on = ContinuitySettings(on=True, destination=external(ANSWERING_SERVICE))
        await admin.add_number(TrackingNumber(CONTINUITY_ON, line="sales", continuity=on))
        await admin.add_number(TrackingNumber(PRIMARY_FAILING, line="main"))
        failing = ContinuitySettings(on=True, destination=external(FAILING_SERVICE))
        await admin.add_number(TrackingNumber(VOICEMAIL_ENDING, line="sales", continuity=failing))
        await admin.add_number(TrackingNumber(HOSTILE, label=HOSTILE_LABEL, line="sales"))


async def until(
    check: Callable[[], Awaitable[bool]], what: str, serve: Serve, timeout: float = 20.0
) -> None:
    async with asyncio.timeout(timeout):
        while not await check():
            if serve.process.returncode is not None:
                raise AssertionError(f"continuity serve exited while {what}:\n{serve.tail()}")
            await asyncio.sleep(0.05)


async def until_seen(stack: LocalStack, expected: list[tuple[str, str, str]]) -> None:
    async with asyncio.timeout(5):
        while seen(stack) != expected:
            await asyncio.sleep(0.05)


async def pbx_channels(stack: LocalStack) -> int:
    return len((await stack.pbx.cli("core show channels concise")).splitlines())


@pytest.fixture(params=[FallbackStore.FILE, FallbackStore.ASTDB])
async def serve(
    own_stack: LocalStack, state: str, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[Serve]:
    """The app, with the numbers' fallback routes in the generated file or in AstDB."""
    store: FallbackStore = request.param
    config = product_config(own_stack, state, tmp_path / "state", fallback_store=store)
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "continuity", "serve",
            env=environment(config), cwd=REPO, stdout=out, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
    running = Serve(process, log)

    async def ready() -> bool:
        apps = await own_stack.pbx.cli("ari show apps")
        if store is FallbackStore.ASTDB:
            fallback = await own_stack.pbx.cli(f"database show {names.ASTDB_FAMILY}")
        else:
            fallback = await own_stack.pbx.cli(f"dialplan show {names.CTX_FALLBACK}")
        return names.ARI_APP in apps and HOSTILE in fallback

    try:
        await until(ready, "starting", running)
        yield running
    finally:
        if process.returncode is None:
            process.kill()
        await process.wait()


async def test_after_the_app_is_killed_calls_still_land_where_the_state_says(
    own_stack: LocalStack, serve: Serve
) -> None:
    stack = own_stack
    await stack.reset()
    await stack.set_behavior(PRIMARY_FAILING, "reject:503")
    await stack.set_behavior(FAILING_SERVICE, "reject:480")
    bridged = await stack.place_call(NORMAL, "+13125550111", hold_seconds=60)
    await bridged.wait_answered()
    await until_seen(stack, [("primary", NORMAL, "answer")])
    assert await pbx_channels(stack) == 2  # the caller and the primary, bridged by the app

    serve.process.send_signal(signal.SIGKILL)
    assert await serve.process.wait() == -signal.SIGKILL
    stack.control.clear_observations()
    where = {}
    caller_names = {}
    for number, name in [
        (NORMAL, ""),
        (CONTINUITY_ON, ""),
        (PRIMARY_FAILING, ""),
        (VOICEMAIL_ENDING, ""),
        (HOSTILE, HOSTILE_NAME),
        (HOSTILE_DIALED, ""),
    ]:
        call = await stack.place_call(number, "+13125550112", caller_name=name)
        where[number] = await landing(stack, call)
        caller_names[number] = {o.caller_id_name for o in stack.carrier_observations()}
        await call.hangup()
        await call.wait_ended()
        async with asyncio.timeout(5):
            while await pbx_channels(stack) > 2:  # only the bridged call is left
                await asyncio.sleep(0.05)
        stack.control.clear_observations()

    assert where == {
        NORMAL: Landing([("primary", NORMAL, "answer")], "answered"),
        CONTINUITY_ON: Landing([("pstn", ANSWERING_SERVICE, "answer")], "answered"),
        PRIMARY_FAILING: Landing(
            [("primary", PRIMARY_FAILING, "reject:503"), ("pstn", LINE_SERVICE, "answer")],
            "answered",
        ),
        VOICEMAIL_ENDING: Landing([("pstn", FAILING_SERVICE, "reject:480")], "voicemail:sales"),
        HOSTILE: Landing([("primary", HOSTILE, "answer")], "answered"),
        HOSTILE_DIALED: Landing([], "ended:1"),  # unknown, and no Goto() read it as syntax
    }
    assert caller_names[HOSTILE] == {HOSTILE_NAME}
    # The call that was bridged when the app died is still up, until the caller hangs up.
    assert not bridged.ended.is_set()
    assert await pbx_channels(stack) == 2
    await bridged.hangup()
    await bridged.wait_ended()
    await quiet(stack)
