"""A tiny SMTP server on loopback that keeps every email it accepts.

The local stack's mail server: the product's voicemail notices go here in
tests and in the demo. Speaks just enough SMTP (RFC 5321) for smtplib:
EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT. ``refuse`` makes it answer
every MAIL with a temporary failure, to play an outage.
"""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import logging
from dataclasses import dataclass
from email.message import EmailMessage
from types import TracebackType

from localstack.ports import LOOPBACK

logger = logging.getLogger(__name__)

MAX_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class ReceivedMail:
    sender: str
    recipients: tuple[str, ...]
    message: EmailMessage


class MailSink:
    """``async with MailSink() as sink:``; the product sends to ``sink.host:sink.port``."""

    def __init__(self, host: str = LOOPBACK) -> None:
        self.host = host
        self.port = 0
        self.received: list[ReceivedMail] = []
        #: While set, every MAIL gets ``451``: the email is not taken.
        self.refuse = False
        #: MAIL commands refused while ``refuse`` was set.
        self.refused = 0
        self._arrived = asyncio.Condition()
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._session, self.host, 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._server.wait_closed(), 2.0)
            self._server = None

    async def __aenter__(self) -> MailSink:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    def clear(self) -> None:
        self.received.clear()
        self.refuse = False
        self.refused = 0

    async def wait_for(self, count: int = 1, timeout: float = 10.0) -> list[ReceivedMail]:
        """Until at least ``count`` emails arrived; returns them all."""
        async with asyncio.timeout(timeout), self._arrived:
            await self._arrived.wait_for(lambda: len(self.received) >= count)
        return list(self.received)

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await self._converse(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as exc:
            logger.debug("mail sink session ended: %s", exc)
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    async def _converse(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        async def reply(line: str) -> None:
            writer.write(f"{line}\r\n".encode())
            await writer.drain()

        await reply("220 localstack mail sink ESMTP")
        sender: str | None = None
        recipients: list[str] = []
        while True:
            line = (await reader.readline()).decode("utf-8", "replace").rstrip("\r\n")
            if not line:
                return
            verb, _, arg = line.partition(" ")
            verb = verb.upper()
            if verb == "EHLO":
                await reply(f"250-localstack\r\n250-SIZE {MAX_BYTES}\r\n250 8BITMIME")
            elif verb == "HELO" or verb == "NOOP":
                await reply("250 OK")
            elif verb == "MAIL":
                if self.refuse:
                    self.refused += 1
                    await reply("451 4.3.0 mail sink refusing mail for now")
                    continue
                sender, recipients = _address(arg), []
                await reply("250 OK")
            elif verb == "RCPT":
                if sender is None:
                    await reply("503 5.5.1 MAIL first")
                    continue
                recipients.append(_address(arg))
                await reply("250 OK")
            elif verb == "DATA":
                if sender is None or not recipients:
                    await reply("503 5.5.1 MAIL and RCPT first")
                    continue
                await reply("354 end with <CRLF>.<CRLF>")
                data = await _read_data(reader)
                message = email.message_from_bytes(data, policy=email.policy.default)
                assert isinstance(message, EmailMessage)
                async with self._arrived:
                    self.received.append(ReceivedMail(sender, tuple(recipients), message))
                    self._arrived.notify_all()
                sender, recipients = None, []
                await reply("250 OK queued")
            elif verb == "RSET":
                sender, recipients = None, []
                await reply("250 OK")
            elif verb == "QUIT":
                await reply("221 bye")
                return
            else:
                await reply("502 5.5.2 command not implemented")


def _address(arg: str) -> str:
    """``FROM:<a@b> SIZE=…`` -> ``a@b``."""
    _, _, rest = arg.partition(":")
    return rest.strip().split(" ", 1)[0].strip("<>")


async def _read_data(reader: asyncio.StreamReader) -> bytes:
    lines: list[bytes] = []
    size = 0
    while True:
        line = await reader.readline()
        if not line:
            raise ConnectionError("connection closed during DATA")
        if line in (b".\r\n", b".\n"):
            return b"".join(lines)
        if line.startswith(b".."):
            line = line[1:]
        size += len(line)
        if size > MAX_BYTES:
            raise ConnectionError("message too large for the mail sink")
        lines.append(line)
