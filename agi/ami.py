"""A small async AMI session over panoramisk (async paths only)."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from panoramisk import Manager

log = logging.getLogger(__name__)


class AmiError(Exception):
    pass


@dataclass(frozen=True, slots=True)
class AmiCredentials:
    host: str
    port: int
    username: str
    secret: str = field(repr=False)


class Ami:
    """``async with Ami(creds) as ami: await ami.command("dialplan reload")``."""

    def __init__(self, creds: AmiCredentials, timeout: float = 5.0) -> None:
        self._creds = creds
        self._timeout = timeout
        self._manager: Any = None

    async def __aenter__(self) -> Ami:
        # panoramisk falls back to the deprecated get_event_loop() unless given the loop.
        manager = Manager(
            host=self._creds.host,
            port=self._creds.port,
            username=self._creds.username,
            secret=self._creds.secret,
            loop=asyncio.get_running_loop(),
            ping_delay=3600,
            reconnect_timeout=3600,
            events="off",
        )
        self._manager = manager
        try:
            await asyncio.wait_for(manager.connect(), self._timeout)
            async with asyncio.timeout(self._timeout):
                while manager.authenticated_future is None and not manager.authenticated:
                    await asyncio.sleep(0.01)
                if manager.authenticated_future is not None:
                    await manager.authenticated_future
                    # panoramisk sets .authenticated in a done-callback that may not
                    # have run yet when the future was already done: let it run.
                    await asyncio.sleep(0)
        except (OSError, TimeoutError) as exc:
            manager.close()
            raise AmiError(
                f"cannot reach AMI at {self._creds.host}:{self._creds.port}: {exc or 'timeout'}"
            ) from exc
        if not manager.authenticated:
            manager.close()
            raise AmiError(f"AMI login as {self._creds.username!r} was refused")
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._manager is not None:
            self._manager.close()

    async def action(self, action: dict[str, str]) -> Any:
        response = await asyncio.wait_for(self._manager.send_action(action), self._timeout)
        if isinstance(response, list):
            return response
        if response.get("Response") == "Error":
            raise AmiError(f"AMI {action['Action']} failed: {response.get('Message')}")
        return response

    async def command(self, command: str) -> str:
        """Run a CLI command and return its output."""
        response = await self.action({"Action": "Command", "Command": command})
        output = response.get("Output", "")
        if isinstance(output, list):
            return "\n".join(output)
        return str(output)
