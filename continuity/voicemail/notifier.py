"""Emails a notice for every new voicemail, until the SMTP server took it.

The spool is the queue: a message in a box's INBOX without a sent-marker is
pending. A notice that fails (SMTP down, refused, the database not telling
the address) is logged and retried with backoff; the message itself never
leaves the box because of it. The marker is written only after the server
accepted the email, so a crash in between sends the notice twice rather than
never (at least once).
"""

from __future__ import annotations

import asyncio
import json
import logging
import smtplib
import time
from collections.abc import Awaitable, Callable, Mapping
from email.message import EmailMessage
from pathlib import Path

from continuity.backoff import Backoff
from continuity.errors import StoreError
from continuity.files import write_atomically
from continuity.voicemail.errors import BadAddress
from continuity.voicemail.mail import build_notice
from continuity.voicemail.spool import Message, Spool

log = logging.getLogger(__name__)

Addresses = Callable[[], Awaitable[Mapping[str, str]]]
LineNames = Callable[[], Mapping[str, str]]
Send = Callable[[EmailMessage], None]


class SentMarkers:
    """``<dir>/<box>/<msg_id>.sent``: durable proof that a message's notice went out."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _path(self, box: str, msg_id: str) -> Path:
        return self.directory / box / f"{msg_id}.sent"

    def is_sent(self, box: str, msg_id: str) -> bool:
        return self._path(box, msg_id).exists()

    def mark(self, box: str, msg_id: str, to: str) -> None:
        record = {"to": to, "sent_at": time.time()}
        write_atomically(self._path(box, msg_id), json.dumps(record))

    def prune(self, box: str, present: set[str]) -> None:
        """Forget markers of messages no longer in the box (deleted)."""
        folder = self.directory / box
        for marker in folder.glob("*.sent") if folder.is_dir() else ():
            if marker.stem not in present:
                marker.unlink(missing_ok=True)


class VoicemailNotifier:
    def __init__(
        self,
        spool: Spool,
        markers: SentMarkers,
        addresses: Addresses,
        line_names: LineNames,
        send: Send,
        sender: str,
        *,
        poll_interval: float = 1.0,
        retry_base: float = 2.0,
        retry_cap: float = 300.0,
    ) -> None:
        self._spool = spool
        self._markers = markers
        self._addresses = addresses
        self._line_names = line_names
        self._send = send
        self._sender = sender
        self._poll = poll_interval
        self._retry_base = retry_base
        self._retry_cap = retry_cap
        #: box/msg_id -> (backoff, monotonic time of the next attempt)
        self._retries: dict[str, tuple[Backoff, float]] = {}
        self._unaddressed: set[str] = set()
        #: box/msg_id -> the address its notice cannot be built for (said once per address)
        self._unsendable: dict[str, str] = {}
        #: box/msg_id -> the address its notice went to, whose sent-marker is not written yet
        self._unmarked: dict[str, str] = {}

    def _pending(self) -> list[Message]:
        pending: list[Message] = []
        for box in self._spool.boxes():
            messages = self._spool.messages(box)
            self._markers.prune(box, {m.msg_id for m in messages})
            pending.extend(
                m
                for m in messages
                if m.folder == "INBOX" and not self._markers.is_sent(box, m.msg_id)
            )
        return pending

    async def scan(self) -> int:
        """Send what is pending and due; return how many notices went out."""
        pending = await asyncio.to_thread(self._pending)
        if not pending:
            self._retries.clear()
            self._unsendable.clear()
            self._unmarked.clear()
            return 0
        addresses = await self._addresses()
        names = self._line_names()
        sent = 0
        for message in pending:
            key = f"{message.box}/{message.msg_id}"
            if key in self._unmarked:
                await self._mark(key, message, self._unmarked[key])
                continue
            to = addresses.get(message.box)
            if to is None:
                if key not in self._unaddressed:
                    self._unaddressed.add(key)
                    log.info("voicemail %s: line %s has no notice address", key, message.box)
                continue
            retry = self._retries.get(key)
            if retry is not None and time.monotonic() < retry[1]:
                continue
            if await self._deliver(key, message, names.get(message.box, message.box), to):
                sent += 1
        return sent

    async def _deliver(self, key: str, message: Message, line_name: str, to: str) -> bool:
        if self._unsendable.get(key) == to:
            return False  # said once; tried again when the address changes
        try:
            mail = await asyncio.to_thread(build_notice, message, line_name, to, self._sender)
        except BadAddress as exc:
            self._unsendable[key] = to
            log.error("voicemail %s: no notice sent: %s; the message stays in the box", key, exc)
            return False
        self._unsendable.pop(key, None)
        try:
            await asyncio.to_thread(self._send, mail)
        except (smtplib.SMTPException, OSError, ValueError) as exc:
            backoff = self._retries.get(key, (Backoff(self._retry_base, self._retry_cap), 0.0))[0]
            delay = backoff.next_delay()
            self._retries[key] = (backoff, time.monotonic() + delay)
            log.warning(
                "voicemail %s: the notice to %s failed (%s); the message stays in the box, "
                "retrying in %.1f s",
                key,
                to,
                exc,
                delay,
            )
            return False
        self._retries.pop(key, None)
        log.info("voicemail %s: notice sent to %s", key, to)
        await self._mark(key, message, to)
        return True

    async def _mark(self, key: str, message: Message, to: str) -> None:
        """Write the sent-marker; if it cannot be written, remember it here (and retry the
        write on each scan) rather than send the notice again."""
        try:
            await asyncio.to_thread(self._markers.mark, message.box, message.msg_id, to)
        except OSError as exc:
            if key not in self._unmarked:
                log.error(
                    "voicemail %s: the notice went out, but its marker cannot be written "
                    "(%s): check state_dir. Until it is, a restart sends the notice again",
                    key,
                    exc,
                )
            self._unmarked[key] = to
            return
        if self._unmarked.pop(key, None) is not None:
            log.info("voicemail %s: sent-marker written", key)

    async def run(self) -> None:
        """Scan the spool every ``poll_interval`` until cancelled; back off while it fails."""
        failing = Backoff(self._poll, 60.0)
        while True:
            try:
                await self.scan()
            except (StoreError, OSError) as exc:
                delay = max(self._poll, failing.next_delay())
                log.warning("voicemail notices wait %.0f s: %s", delay, exc)
                await asyncio.sleep(delay)
                continue
            failing.reset()
            await asyncio.sleep(self._poll)
