"""A small async AMI client over panoramisk (async paths only).

:class:`AmiSession` is the app's one long-lived AMI login for actions (reloads,
questions about what Asterisk loaded): it logs in on first use, keeps the
connection, and logs in again after Asterisk restarts. :class:`Ami` is a
one-shot session for a CLI command (``async with Ami(creds) as ami``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Protocol

from panoramisk import Manager

log = logging.getLogger(__name__)

#: Seconds between AMI Pings on an idle session: a dead connection is noticed.
PING_INTERVAL = 30


class AmiError(Exception):
    pass


class AmiActions(Protocol):
    """What sends AMI actions: an :class:`AmiSession` or a one-shot :class:`Ami`."""

    async def action(self, action: dict[str, str], timeout: float | None = None) -> Any:
        """Send ``action``; ``timeout`` (seconds) replaces the session's own for it."""
        ...

    async def actions(
        self, actions: Sequence[dict[str, str]], timeout: float | None = None
    ) -> None:
        """Send many actions at once, answers read after; raise if any failed."""
        ...

    async def command(self, command: str) -> str: ...


@dataclass(frozen=True, slots=True)
class AmiCredentials:
    host: str
    port: int
    username: str
    secret: str = field(repr=False)


class ClosingManager(Manager):  # type: ignore[misc]  # panoramisk ships no types
    """panoramisk's Manager, except that ``close()`` is final.

    panoramisk retries a failed connection with ``loop.call_later(reconnect_timeout,
    connect)`` and ``close()`` does not cancel that: a closed manager whose Asterisk is
    gone (a node SIGKILLed) kept trying, once a second, for as long as the process ran.
    """

    _final = False

    def connect(self, *args: Any, **kwargs: Any) -> Any:
        if self._final:
            return None
        return super().connect(*args, **kwargs)

    def close(self) -> None:
        self._final = True
        super().close()


def _manager(creds: AmiCredentials, **options: Any) -> Any:
    # panoramisk falls back to the deprecated get_event_loop() unless given the loop.
    return ClosingManager(
        host=creds.host,
        port=creds.port,
        username=creds.username,
        secret=creds.secret,
        loop=asyncio.get_running_loop(),
        events="off",
        **options,
    )


async def _logged_in(manager: Any, creds: AmiCredentials, timeout: float) -> None:
    """Until ``manager`` has logged in; :class:`AmiError` if it cannot within ``timeout``."""
    try:
        async with asyncio.timeout(timeout):
            while manager.authenticated_future is None and not manager.authenticated:
                await asyncio.sleep(0.01)
            if manager.authenticated_future is not None:
                await manager.authenticated_future
                # panoramisk sets .authenticated in a done-callback that may not
                # have run yet when the future was already done: let it run.
                await asyncio.sleep(0)
    except (OSError, TimeoutError) as exc:
        raise AmiError(
            f"cannot reach AMI at {creds.host}:{creds.port}: {exc or 'timeout'}. Is "
            "manager.conf enabled there, and are ami_host/ami_port right?"
        ) from exc
    if not manager.authenticated:
        raise AmiError(
            f"AMI login as {creds.username!r} was refused: check ami_username/ami_secret "
            "against manager.conf"
        )


async def _action(manager: Any, action: dict[str, str], timeout: float) -> Any:
    response = await asyncio.wait_for(manager.send_action(action), timeout)
    return _checked(action, response)


async def _pipelined(manager: Any, actions: Sequence[dict[str, str]], timeout: float) -> None:
    """Send every action before reading any answer (Asterisk answers them in order),
    then check each: one round trip for all of them instead of one each."""
    futures = [manager.send_action(action) for action in actions]
    responses = await asyncio.wait_for(asyncio.gather(*futures), timeout)
    for action, response in zip(actions, responses, strict=True):
        _checked(action, response)


def _checked(action: dict[str, str], response: Any) -> Any:
    if isinstance(response, list):
        return response
    if response.get("Response") == "Error":
        output = _output(response).strip()
        detail = f"{response.get('Message')}" + (f": {output}" if output else "")
        raise AmiError(f"AMI {action['Action']} failed: {detail}")
    return response


def _output(response: Any) -> str:
    output = response.get("Output", "")
    if isinstance(output, list):
        return "\n".join(output)
    return str(output)


class AmiSession:
    """One AMI login for the app's life: ``await session.command("dialplan reload")``.

    Connects on first use; after a lost connection the next action logs in again.
    Actions are sent one at a time. ``close()`` ends it.
    """

    def __init__(self, creds: AmiCredentials, timeout: float = 5.0) -> None:
        self._creds = creds
        self._timeout = timeout
        self._manager: Any = None
        self._lock = asyncio.Lock()

    async def _connected(self) -> Any:
        manager = self._manager
        if manager is not None and manager.authenticated and not manager.protocol.closed:
            return manager
        self.close()
        manager = _manager(
            self._creds,
            ping_delay=PING_INTERVAL,
            ping_interval=PING_INTERVAL,
            reconnect_timeout=3600,  # never: the next action logs in again
            on_disconnect=self._lost,
        )
        self._manager = manager
        try:
            await asyncio.wait_for(manager.connect(), self._timeout)
            await _logged_in(manager, self._creds, self._timeout)
        except (OSError, TimeoutError) as exc:
            self.close()
            raise AmiError(
                f"cannot reach AMI at {self._creds.host}:{self._creds.port}: {exc or 'timeout'}"
            ) from exc
        except AmiError:
            self.close()
            raise
        log.info("AMI session open as %r", self._creds.username)
        return manager

    def _lost(self, manager: Any, exc: object) -> None:
        if manager is self._manager:
            log.warning("AMI session lost (%s): the next action logs in again", exc)
            self.close()

    async def action(self, action: dict[str, str], timeout: float | None = None) -> Any:
        wait = self._timeout if timeout is None else timeout
        async with self._lock:
            manager = await self._connected()
            try:
                return await _action(manager, action, wait)
            except TimeoutError as exc:
                self.close()  # an answer may still come: never read it as the next one's
                raise AmiError(f"AMI {action['Action']}: no answer in {wait:g} s") from exc

    async def actions(
        self, actions: Sequence[dict[str, str]], timeout: float | None = None
    ) -> None:
        """Send many actions pipelined (e.g. ``DBPut``); raise :class:`AmiError` if any failed."""
        wait = self._timeout if timeout is None else timeout
        async with self._lock:
            manager = await self._connected()
            try:
                await _pipelined(manager, actions, wait)
            except TimeoutError as exc:
                self.close()
                raise AmiError(f"AMI: {len(actions)} actions not answered in {wait:g} s") from exc

    async def command(self, command: str) -> str:
        """Run a CLI command and return its output."""
        return _output(await self.action({"Action": "Command", "Command": command}))

    def close(self) -> None:
        manager, self._manager = self._manager, None
        if manager is not None:
            manager.awaiting_actions.clear()
            manager.close()


class Ami:
    """``async with Ami(creds) as ami: await ami.command("dialplan reload")``: one login."""

    def __init__(self, creds: AmiCredentials, timeout: float = 5.0) -> None:
        self._creds = creds
        self._timeout = timeout
        self._manager: Any = None

    async def __aenter__(self) -> Ami:
        manager = _manager(self._creds, ping_delay=3600, reconnect_timeout=3600)
        self._manager = manager
        try:
            await asyncio.wait_for(manager.connect(), self._timeout)
            await _logged_in(manager, self._creds, self._timeout)
        except (OSError, TimeoutError) as exc:
            manager.close()
            raise AmiError(
                f"cannot reach AMI at {self._creds.host}:{self._creds.port}: {exc or 'timeout'}"
            ) from exc
        except AmiError:
            manager.close()
            raise
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._manager is not None:
            self._manager.close()

    async def action(self, action: dict[str, str], timeout: float | None = None) -> Any:
        return await _action(self._manager, action, self._timeout if timeout is None else timeout)

    async def actions(
        self, actions: Sequence[dict[str, str]], timeout: float | None = None
    ) -> None:
        await _pipelined(self._manager, actions, self._timeout if timeout is None else timeout)

    async def command(self, command: str) -> str:
        """Run a CLI command and return its output."""
        return _output(await self.action({"Action": "Command", "Command": command}))
