"""A small typed AMI client for the test stack, on panoramisk's async API.

Only panoramisk's asynchronous paths are used (its synchronous helpers rely
on the removed ``asyncio.coroutine``). Messages are handed out as plain
``dict[str, str]`` with lower-case header names.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from typing import Any

from panoramisk import Manager

from localstack.credentials import AmiCredentials
from localstack.errors import AsteriskCommandError

logger = logging.getLogger(__name__)

AmiMessage = dict[str, str]
EventCallback = Callable[[AmiMessage], None]


def _plain(message: Mapping[str, Any]) -> AmiMessage:
    return {
        str(key).lower(): value if isinstance(value, str) else ",".join(map(str, value))
        for key, value in message.items()
    }


class AmiClient:
    """One logged-in AMI connection; ``await AmiClient.connect(credentials)``."""

    def __init__(self, manager: Any, credentials: AmiCredentials) -> None:
        self._manager = manager
        self.credentials = credentials

    def __repr__(self) -> str:
        where = f"{self.credentials.host}:{self.credentials.port}"
        return f"<AmiClient {self.credentials.username}@{where}>"

    @classmethod
    async def connect(cls, credentials: AmiCredentials, *, timeout: float = 10.0) -> AmiClient:
        """Connect and log in; raises :class:`AsteriskCommandError` on failure."""
        manager = Manager(
            host=credentials.host,
            port=credentials.port,
            username=credentials.username,
            secret=credentials.secret,
            events="on",
            loop=asyncio.get_running_loop(),
            ping_delay=30,
            ping_interval=30,
        )
        client = cls(manager, credentials)
        try:
            async with asyncio.timeout(timeout):
                await manager.connect()
                await asyncio.sleep(0)  # let panoramisk's connection callback send the Login
                login = manager.authenticated_future
                if login is None:
                    raise AsteriskCommandError(f"AMI at {credentials.port} refused the connection")
                response = await login
        except BaseException:
            client.close()
            raise
        if not response.success:
            client.close()
            raise AsteriskCommandError(
                f"AMI login as {credentials.username} failed: {response.message}"
            )
        return client

    async def action(
        self, action: Mapping[str, str | list[str]], *, timeout: float = 10.0
    ) -> AmiMessage:
        """Send one action and return its first response; errors raise."""
        future = self._manager.send_action(dict(action), as_list=False)
        response = await asyncio.wait_for(future, timeout)
        if not response.success:
            raise AsteriskCommandError(f"AMI {action.get('Action')} failed: {response.message}")
        return _plain(response)

    def on_event(self, pattern: str, callback: EventCallback) -> None:
        """Call ``callback(event)`` for events whose name matches ``pattern`` (fnmatch)."""

        def dispatch(_manager: Any, event: Mapping[str, Any]) -> None:
            callback(_plain(event))

        self._manager.register_event(pattern, dispatch)

    def close(self) -> None:
        """Log off by closing the connection (panoramisk will not reconnect)."""
        self._manager.close()
