"""Driving the carrier instance: behaviours, observations and placed calls.

The carrier plays the phone network around the pbx (see
``templates/carrier_extensions.conf.j2``). Per dialed number it answers,
rejects with a SIP code, hangs up after a while or never answers, as set in
its AstDB; every call it receives from the pbx leaves one observation line.
It also places calls to the pbx's tracking numbers over AMI.
"""

from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import unquote

from localstack.ami import AmiClient, AmiMessage
from localstack.instance import AsteriskInstance

#: ``answer``, ``noanswer``, ``reject:<SIP code>``, ``hangup-after:<seconds>``,
#: ``dtmf:<digits>`` (answer, then key the digits a second later, as a person would).
BEHAVIOR = re.compile(r"answer|noanswer|reject:[3-6]\d\d|hangup-after:\d+(\.\d+)?|dtmf:[0-9*#]+")
ROLES = ("primary", "pstn")
FIELDS = 11
#: First line of the observation file: FILE() only appends to a file that
#: already has a line, and the header documents the format.
HEADER = (
    "# uniqueid|role|number|caller_id_number|caller_id_name|time|outcome"
    "|diversion|history_info|from|source (URI-encoded)\n"
)


@dataclass(frozen=True)
class Observation:
    """One call that reached the carrier from the pbx.

    ``role`` is ``primary`` or ``pstn`` (the trunk the pbx used); ``outcome``
    is the behaviour applied (``answer``, ``reject:503``...) or ``cancelled``
    when the pbx gave up before it was applied. ``diversion``,
    ``history_info`` and ``from_header`` are those headers of the INVITE as
    they arrived (empty when absent; History-Info entries joined by ``,``).
    """

    uniqueid: str
    role: str
    number: str
    caller_id_number: str
    caller_id_name: str
    time: float
    outcome: str
    diversion: str = ""
    history_info: str = ""
    from_header: str = ""
    #: The address the pbx sent the call from (``host:port``): which node, in a stack of several.
    source: str = ""

    @property
    def source_host(self) -> str:
        return self.source.rpartition(":")[0]


def parse_observations(text: str) -> list[Observation]:
    """Parse the carrier's observation file (``|``-separated, URI-encoded fields)."""
    observations = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        fields = [unquote(field) for field in line.split("|")]
        if len(fields) != FIELDS:
            raise ValueError(f"malformed carrier observation line: {line!r}")
        uniqueid, role, number, cid_number, cid_name, when, outcome, *headers = fields
        diversion, history_info, from_header, source = headers
        observations.append(
            Observation(
                uniqueid,
                role,
                number,
                cid_number,
                cid_name,
                float(when),
                outcome,
                diversion,
                history_info,
                from_header,
                source,
            )
        )
    return observations


class PlacedCall:
    """A call the carrier placed to the pbx, followed through AMI events."""

    def __init__(self, ami: AmiClient, uniqueid: str, number: str, caller_id: str) -> None:
        self._ami = ami
        self.uniqueid = uniqueid
        self.number = number
        self.caller_id = caller_id
        self.channel: str | None = None
        self.ringing = asyncio.Event()
        self.answered = asyncio.Event()
        self.ended = asyncio.Event()
        self.hangup_cause: int | None = None
        self.hangup_cause_text = ""

    def __repr__(self) -> str:
        return f"<PlacedCall {self.caller_id} -> {self.number} {self.channel or self.uniqueid}>"

    async def wait_answered(self, timeout: float = 10.0) -> None:
        """Wait until the pbx answers; ``TimeoutError`` if it does not in time."""
        async with asyncio.timeout(timeout):
            await self.answered.wait()

    async def wait_ended(self, timeout: float = 10.0) -> int | None:
        """Wait until the carrier's leg is hung up; returns the Q.850 cause."""
        async with asyncio.timeout(timeout):
            await self.ended.wait()
        return self.hangup_cause

    async def hangup(self, cause: int = 16) -> None:
        """The caller hangs up (no-op if the call already ended)."""
        if self.ended.is_set():
            return
        await self._ami.action(
            {"Action": "Hangup", "Channel": self.channel or self.uniqueid, "Cause": str(cause)}
        )

    async def send_dtmf(self, digits: str, *, duration_ms: int = 250) -> None:
        """The caller presses keys, one RFC 4733 digit at a time."""
        for digit in digits:
            await self._ami.action(
                {
                    "Action": "PlayDTMF",
                    "Channel": self.channel or self.uniqueid,
                    "Digit": digit,
                    "Duration": str(duration_ms),
                }
            )
            await asyncio.sleep(duration_ms / 1000 + 0.1)

    def _on_event(self, event: AmiMessage) -> None:
        name = event.get("event", "")
        if name == "Newchannel":
            self.channel = event.get("channel") or self.channel
        elif name == "Newstate" and event.get("channelstate") == "5":
            self.ringing.set()
        elif name == "Newstate" and event.get("channelstate") == "6":
            self.answered.set()
        elif name == "Hangup":
            cause = event.get("cause", "")
            self.hangup_cause = int(cause) if cause.isdigit() else None
            self.hangup_cause_text = event.get("cause-txt", "")
            self.ended.set()


@dataclass(frozen=True)
class Peer:
    """Another instance answering some of the pbx's calls (the primary trunk),
    with the same dialplan, behaviours and observation format as the carrier."""

    instance: AsteriskInstance
    observations: Path


class CarrierControl:
    """Behaviours, observations and calls of the carrier instance (and its peers)."""

    def __init__(
        self,
        instance: AsteriskInstance,
        ami: AmiClient,
        observations: Path,
        peers: Sequence[Peer] = (),
    ) -> None:
        self.instance = instance
        self.observations_path = observations
        self.peers = tuple(peers)
        self._ami = ami
        self._calls: dict[str, PlacedCall] = {}
        for pattern in ("Newchannel", "Newstate", "Hangup"):
            ami.on_event(pattern, self._route)
        self.clear_observations()

    def _route(self, event: AmiMessage) -> None:
        call = self._calls.get(event.get("uniqueid", ""))
        if call is not None:
            call._on_event(event)
            if call.ended.is_set():  # long runs place thousands of calls
                del self._calls[call.uniqueid]

    async def set_behavior(self, number: str, behavior: str) -> None:
        """How the carrier treats calls from the pbx to ``number`` from now on."""
        if not BEHAVIOR.fullmatch(behavior):
            raise ValueError(
                f"unknown carrier behaviour {behavior!r}; use answer, noanswer, "
                "reject:<SIP code>, hangup-after:<seconds> or dtmf:<digits>"
            )
        if not re.fullmatch(r"[+0-9*#]+", number):
            raise ValueError(f"carrier numbers are digits with an optional +, not {number!r}")
        for instance in self._instances():
            await instance.cli(f"database put behavior {number} {behavior}")

    async def clear_behaviors(self) -> None:
        """Every number back to ``answer``."""
        for instance in self._instances():
            await instance.cli("database deltree behavior")

    def _instances(self) -> list[AsteriskInstance]:
        return [self.instance, *(peer.instance for peer in self.peers)]

    def _observation_paths(self) -> list[Path]:
        return [self.observations_path, *(peer.observations for peer in self.peers)]

    def observations(self) -> list[Observation]:
        """Every call the carrier and its peers received, oldest first."""
        seen: list[Observation] = []
        for path in self._observation_paths():
            try:
                seen.extend(parse_observations(path.read_text()))
            except FileNotFoundError:
                continue
        return sorted(seen, key=lambda observation: observation.time)

    def clear_observations(self) -> None:
        """Start fresh observation files holding only the header line."""
        for path in self._observation_paths():
            path.write_text(HEADER)

    async def place_call(
        self,
        number: str,
        *,
        caller_id: str = "+15551112222",
        caller_name: str = "",
        hold_seconds: float = 30.0,
        prompt: str = "demo-congrats",
        ring_timeout: float = 30.0,
        message: PurePosixPath | None = None,
        message_delay: float = 0.0,
        heard: PurePosixPath | None = None,
        endpoint: str = "pbx",
    ) -> PlacedCall:
        """Call ``number`` at the pbx; the carrier's leg plays ``prompt`` until hung up.

        The carrier's leg hangs up by itself ``hold_seconds`` after the pbx
        answers, or when ``ring_timeout`` passes unanswered. With ``message``
        (a sound file as the carrier sees it, no extension) it instead waits
        ``message_delay`` seconds after the answer, plays it once and hangs
        up: a caller leaving a voicemail. With ``heard`` it records what the
        caller hears from the pbx into that WAV file (see ``localstack.callaudio``).
        ``endpoint`` is the carrier's PJSIP endpoint to the pbx (another way in).
        """
        uniqueid = f"carrier-{secrets.token_hex(8)}"
        call = PlacedCall(self._ami, uniqueid, number, caller_id)
        self._calls[uniqueid] = call
        callerid = f'"{caller_name}" <{caller_id}>' if caller_name else caller_id
        await self._ami.action(
            {
                "Action": "Originate",
                "Channel": f"PJSIP/{number}@{endpoint}",
                "ChannelId": uniqueid,
                "Context": "carrier-caller",
                "Exten": "s",
                "Priority": "1",
                "CallerID": callerid,
                "Timeout": str(int(ring_timeout * 1000)),
                "Async": "true",
                "Variable": [
                    f"HOLD={hold_seconds:g}",
                    f"PROMPT={prompt}",
                    f"MESSAGE={message or ''}",
                    f"MESSAGE_DELAY={message_delay:g}",
                    f"HEARD={heard or ''}",
                ],
            }
        )
        return call
