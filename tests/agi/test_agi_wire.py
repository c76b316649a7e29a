"""The FastAGI route on the wire, against a fake Asterisk that speaks AGI over a socket.

A wire-format test: the real server and route, a scripted peer. Call flows
through real Asterisk are in ``test_differential``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest

from continuity import names
from continuity.agi.route import ContinuityRoute
from continuity.agi.server import AgiServer
from continuity.core.model import (
    AccountSettings,
    ContinuitySettings,
    Destination,
    DestinationKind,
    Line,
    LineKind,
    Snapshot,
    TrackingNumber,
)
from continuity.router import Router

MAIN = "+12125550101"
ANSWERING_SERVICE = Destination(DestinationKind.EXTERNAL, "+13125550150")
STATE = Snapshot(
    AccountSettings(ContinuitySettings(on=False, enabled=True, destination=ANSWERING_SERVICE)),
    {MAIN: TrackingNumber(MAIN, line="main")},
    {"main": Line("main", LineKind.MAIN)},
)


def headers(script: str, exten: str, *args: str) -> bytes:
    lines = [
        f"agi_network_script: {script}",
        "agi_request: agi://127.0.0.1/" + script,
        "agi_channel: PJSIP/continuity-inbound-00000001",
        "agi_callerid: +13125550111",
        "agi_calleridname: Pat; ${EXTEN} [caller]",
        f"agi_extension: {exten}",
        *(f"agi_arg_{i}: {arg}" for i, arg in enumerate(args, start=1)),
    ]
    return ("\n".join(lines) + "\n\n").encode()


@pytest.fixture
async def server() -> AsyncIterator[AgiServer]:
    route = ContinuityRoute(Router.fixed(STATE), 30)
    async with AgiServer("127.0.0.1", 0, {names.AGI_ROUTE: route.handle}) as running:
        yield running


async def fake_asterisk(port: int, request: bytes, reply: bytes = b"200 result=1\n") -> list[str]:
    """Send ``request``, answer every command with ``reply``; the commands received."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request)
    commands = []
    async with asyncio.timeout(5):
        while line := await reader.readline():
            commands.append(line.decode().rstrip("\n"))
            writer.write(reply)
    writer.close()
    await writer.wait_closed()
    return commands


async def test_a_call_to_a_tracking_number_gets_its_route_as_channel_variables(
    server: AgiServer,
) -> None:
    commands = await fake_asterisk(server.port, headers(names.AGI_ROUTE, MAIN))

    assert commands == [
        f'SET VARIABLE {names.VAR_TRACKING_NUMBER} "{MAIN}"',
        f'SET VARIABLE {names.VAR_ROUTE_KIND} "primary"',
        f'SET VARIABLE {names.VAR_ROUTE_REASON} "normal"',
        f'SET VARIABLE {names.VAR_DIAL_STRING} "PJSIP/{MAIN}@{names.ENDPOINT_PRIMARY}"',
        f'SET VARIABLE {names.VAR_DIAL_TIMEOUT} "20"',
        f'SET VARIABLE {names.VAR_FAILOVER_CAUSES} "3-18-19-20-27-34-38-102"',
        f'SET VARIABLE {names.VAR_FALLBACK_DIAL} "PJSIP/+13125550150@{names.ENDPOINT_PSTN}"',
        f'SET VARIABLE {names.VAR_FALLBACK_TIMEOUT} "30"',
        f'SET VARIABLE {names.VAR_MAILBOX} "main"',
        f'SET VARIABLE {names.VAR_DIAL_REDIRECT} ""',
        f'SET VARIABLE {names.VAR_FALLBACK_REDIRECT} "{MAIN}^^+13125550150^^"',
    ]


async def test_the_number_can_be_passed_as_the_first_argument(server: AgiServer) -> None:
    commands = await fake_asterisk(server.port, headers(names.AGI_ROUTE, "s", MAIN))
    assert f'SET VARIABLE {names.VAR_TRACKING_NUMBER} "{MAIN}"' in commands


async def test_a_dialed_text_full_of_syntax_is_an_unknown_number_and_never_echoed(
    server: AgiServer,
) -> None:
    commands = await fake_asterisk(server.port, headers(names.AGI_ROUTE, '+1"\\;,${X}'))
    assert f'SET VARIABLE {names.VAR_TRACKING_NUMBER} ""' in commands
    assert f'SET VARIABLE {names.VAR_ROUTE_KIND} "unknown"' in commands
    assert not any("${X}" in c for c in commands)


async def test_a_peer_that_closes_before_its_headers_does_not_stall_the_server(
    server: AgiServer,
) -> None:
    for partial in (b"", b"agi_network_script: continuity_route\n"):
        _, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(partial)
        writer.close()
        await writer.wait_closed()

    commands = await fake_asterisk(server.port, headers(names.AGI_ROUTE, MAIN))
    assert len(commands) == 11


async def test_an_unknown_script_gets_no_commands(server: AgiServer) -> None:
    assert await fake_asterisk(server.port, headers("something_else", MAIN)) == []


async def test_a_caller_who_hangs_up_ends_the_request_after_the_first_command(
    server: AgiServer,
) -> None:
    commands = await fake_asterisk(server.port, headers(names.AGI_ROUTE, MAIN), b"HANGUP\n")
    assert len(commands) == 1


# -- misbehaving peers -----------------------------------------------------------------


class Stalled:
    """A peer that sends its headers, reads the first command and never answers it."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def connect(cls, port: int) -> Stalled:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(headers(names.AGI_ROUTE, MAIN))
        first = await asyncio.wait_for(reader.readline(), 5)
        assert first.startswith(b"SET VARIABLE")  # the server is serving it: it holds a slot
        return cls(reader, writer)

    async def dropped(self) -> bool:
        """Whether the server closed the connection (within a generous bound)."""
        async with asyncio.timeout(10):
            return await self.reader.read() == b""

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(ConnectionError):
            await self.writer.wait_closed()


async def closed_unserved(port: int) -> bool:
    """A well-behaved peer connects: the server closes (or resets) it before any command."""
    try:
        return await fake_asterisk(port, headers(names.AGI_ROUTE, MAIN)) == []
    except ConnectionResetError:  # closed with our headers unread: the kernel resets
        return True


@contextlib.asynccontextmanager
async def agi_server(**limits: Any) -> AsyncIterator[AgiServer]:
    route = ContinuityRoute(Router.fixed(STATE), 30)
    async with AgiServer("127.0.0.1", 0, {names.AGI_ROUTE: route.handle}, **limits) as running:
        yield running


async def test_a_peer_that_never_answers_a_command_is_dropped_at_the_session_deadline(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with agi_server(session_timeout=0.3) as server:
        stalled = await Stalled.connect(server.port)

        assert await stalled.dropped()
        await stalled.close()
        assert "dropped: not done within agi_session_timeout (0.3 s)" in caplog.text
        assert len(await fake_asterisk(server.port, headers(names.AGI_ROUTE, MAIN))) == 11


async def test_connections_beyond_the_cap_are_closed_while_sessions_within_it_are_served() -> None:
    async with agi_server(session_timeout=60, max_connections=2) as server:
        first, second = await Stalled.connect(server.port), await Stalled.connect(server.port)

        assert await closed_unserved(server.port)
        assert server.app is not None and server.app.refused == 1

        await first.close()  # a slot frees up: a well-behaved session gets its route
        async with asyncio.timeout(10):
            while server.app.active > 1:
                await asyncio.sleep(0.01)
        commands = await fake_asterisk(server.port, headers(names.AGI_ROUTE, MAIN))
        assert commands[1] == f'SET VARIABLE {names.VAR_ROUTE_KIND} "primary"'
        assert len(commands) == 11
        await second.close()


async def test_a_peer_that_closes_or_garbles_mid_session_logs_no_traceback_and_serving_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with agi_server() as server:
        torn = await Stalled.connect(server.port)
        await torn.close()
        garbling = await Stalled.connect(server.port)
        garbling.writer.write(b"not an AGI reply\n")
        assert await garbling.dropped()
        await garbling.close()

        assert len(await fake_asterisk(server.port, headers(names.AGI_ROUTE, MAIN))) == 11
        async with asyncio.timeout(10):
            while server.app is not None and server.app.active:
                await asyncio.sleep(0.01)

    assert "closed the connection before its reply" in caplog.text
    assert "is not an AGI result" in caplog.text
    assert [r.getMessage() for r in caplog.records if r.exc_info] == []
