"""The AMI event adapter: the primary trunk's health as samples, and originated test calls.

Health comes from Asterisk's own qualify (SIP OPTIONS): ``ContactStatus``
events for the trunk's endpoint, and ``PJSIPShowEndpoint`` after every
(re)login. Asterisk reports a contact only when its status changes, so the
watch turns the current status into one :class:`Sample` per interval (and one
at once on every change): N failed samples in a row then mean "unreachable
for N intervals". While the AMI link itself is down there are no samples:
losing our own Asterisk says nothing about the trunk.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from continuity.agi.ami import AmiCredentials, AmiError, ClosingManager
from continuity.core.outage import Sample

log = logging.getLogger(__name__)

REACHABLE = "Reachable"
UNREACHABLE = "Unreachable"


def _manager(creds: AmiCredentials, events: str, reconnect: float, **hooks: Any) -> Any:
    # panoramisk falls back to the deprecated get_event_loop() unless given the loop.
    return ClosingManager(
        host=creds.host,
        port=creds.port,
        username=creds.username,
        secret=creds.secret,
        loop=asyncio.get_running_loop(),
        events=events,
        ping_delay=10,
        ping_interval=10,
        reconnect_timeout=reconnect,
        **hooks,
    )


def trunk_status(contacts: Mapping[str, str]) -> bool | None:
    """Reachable if any contact is; unreachable if every qualified one is not; else unknown."""
    statuses = set(contacts.values())
    if REACHABLE in statuses:
        return True
    if statuses and statuses <= {UNREACHABLE}:
        return False
    return None


@dataclass
class ContactWatch:
    """``async for sample in ContactWatch(creds, endpoint, interval).samples(): …``"""

    creds: AmiCredentials
    endpoint: str
    interval: float
    clock: Callable[[], float] = time.monotonic
    reconnect: float = 1.0
    #: contact URI -> Asterisk's status for it (``Reachable``, ``Unreachable``, ``Unknown``…)
    contacts: dict[str, str] = field(default_factory=dict)
    #: Logged in to AMI now, and how many logins so far (for the metrics).
    connected: bool = False
    logins: int = 0
    _changed: asyncio.Event = field(default_factory=asyncio.Event)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _closed: bool = False

    async def samples(self) -> AsyncIterator[Sample]:
        manager = _manager(
            self.creds,
            "system",
            self.reconnect,
            on_login=self._logged_in,
            on_disconnect=self._disconnected,
        )
        manager.register_event("ContactStatus", self._contact_status)
        manager.connect()  # retried by panoramisk until Asterisk answers
        try:
            while True:
                try:
                    async with asyncio.timeout(self.interval):
                        await self._changed.wait()
                except TimeoutError:
                    pass
                self._changed.clear()
                sample = self.sample()
                if sample is not None:
                    yield sample
        finally:
            self._closed = True
            self.connected = False
            manager.close()
            for task in self._tasks:
                task.cancel()

    def sample(self) -> Sample | None:
        status = trunk_status(self.contacts)
        if status is None:
            return None
        detail = ", ".join(f"{uri} {state}" for uri, state in sorted(self.contacts.items()))
        return Sample(self.clock(), status, f"contact {detail}")

    async def _contact_status(self, _manager: Any, event: Mapping[str, Any]) -> None:
        if event.get("EndpointName") != self.endpoint:
            return
        uri, status = str(event.get("URI", "")), str(event.get("ContactStatus", ""))
        before = trunk_status(self.contacts)
        if status == "Removed":
            self.contacts.pop(uri, None)
        elif status in ("Created", "Updated"):
            self.contacts.setdefault(uri, "Unknown")
        else:
            self.contacts[uri] = status
        if trunk_status(self.contacts) != before:
            # A change is sampled at once; repeats wait for the interval, so that
            # N samples in a row always span N - 1 intervals.
            log.info("primary trunk %s contact %s: %s", self.endpoint, uri, status)
            self._changed.set()

    def _logged_in(self, manager: Any) -> None:
        if self._closed:  # a reconnection panoramisk had scheduled before we closed
            manager.close()
            return
        self.connected = True
        self.logins += 1
        task = asyncio.create_task(self._resync(manager), name="ami-contact-resync")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _disconnected(self, _manager: Any, exc: object) -> None:
        log.warning("AMI connection lost (%s): no trunk health until it is back", exc)
        self.connected = False
        self.contacts.clear()

    async def _resync(self, manager: Any) -> None:
        """After every login: the endpoint's contacts as Asterisk sees them now."""
        try:
            found = await asyncio.wait_for(
                manager.send_action(
                    {"Action": "PJSIPShowEndpoint", "Endpoint": self.endpoint}, as_list=True
                ),
                10,
            )
        except TimeoutError:
            log.warning("AMI PJSIPShowEndpoint %s timed out", self.endpoint)
            return
        messages = found if isinstance(found, list) else [found]
        if messages and messages[0].get("Response") == "Error":
            log.error(
                "the primary trunk endpoint %r does not exist in Asterisk (%s): "
                "check the trunk name in pjsip.conf",
                self.endpoint,
                messages[0].get("Message"),
            )
            return
        contacts = {
            str(m.get("URI")): str(m.get("Status"))
            for m in messages
            if m.get("Event") == "ContactStatusDetail"
        }
        self.contacts = contacts
        log.info("primary trunk %s contacts: %s", self.endpoint, contacts or "none")
        frequencies = {
            str(m.get("QualifyFrequency", "")) for m in messages if m.get("Event") == "AorDetail"
        }
        # A contact reads NonQualified until its first OPTIONS too: only an AOR
        # with qualify_frequency 0 is never checked.
        if contacts and set(contacts.values()) <= {"NonQualified"} and frequencies <= {"0"}:
            log.warning(
                "the primary trunk %s is not qualified (qualify_frequency = 0 on its AOR): "
                "outage detection gets no health checks until it is",
                self.endpoint,
            )
        self._changed.set()


@dataclass(frozen=True, slots=True)
class OriginateResult:
    answered: bool
    #: AMI's OriginateResponse reason: 4 answered, 5 busy, 8 congestion, 3 no answer…
    reason: int | None
    seconds: float


ORIGINATE_REASONS = {
    0: "failed",
    1: "hung up",
    3: "no answer",
    4: "answered",
    5: "busy",
    8: "congestion",
}


async def originate_local(
    creds: AmiCredentials,
    *,
    number: str,
    context: str,
    channel_id: str,
    caller_id: str,
    hold: float,
    timeout: float,
) -> OriginateResult:
    """Call ``number`` through ``context`` as a caller would, with a Local channel.

    The ``;2`` half, whose id is ``channel_id``, runs ``context``; the ``;1``
    half waits ``hold`` seconds once answered, then hangs up.
    """
    manager = _manager(creds, "call", 3600)
    started = time.monotonic()
    try:
        async with asyncio.timeout(10):
            await manager.connect()
            while manager.authenticated_future is None and not manager.authenticated:
                await asyncio.sleep(0.01)
            if manager.authenticated_future is not None:
                await manager.authenticated_future
        if not manager.authenticated:
            raise AmiError(f"AMI login as {creds.username!r} was refused")
        started = time.monotonic()
        responses = await asyncio.wait_for(
            manager.send_action(
                {
                    "Action": "Originate",
                    "Channel": f"Local/{number}@{context}/n",
                    # Asterisk checks ids by prefix: the ;1 id must not start with the ;2 id.
                    "ChannelId": f"origin-{channel_id}",
                    "OtherChannelId": channel_id,
                    "Application": "Wait",
                    "Data": f"{hold:g}",
                    "CallerID": caller_id,
                    "Timeout": str(int(timeout * 1000)),
                    "Async": "true",
                }
            ),
            timeout + 5,
        )
    except (OSError, TimeoutError) as exc:
        raise AmiError(f"AMI at {creds.host}:{creds.port}: {exc or 'timeout'}") from exc
    finally:
        manager.close()
    messages = responses if isinstance(responses, list) else [responses]
    if messages[0].get("Response") == "Error":
        raise AmiError(f"Originate refused: {messages[0].get('Message')}")
    final = messages[-1]
    reason = str(final.get("Reason", ""))
    return OriginateResult(
        answered=final.get("Response") == "Success",
        reason=int(reason) if reason.isdigit() else None,
        seconds=time.monotonic() - started,
    )
