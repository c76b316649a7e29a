"""The SMTP adapter: a voicemail notice as an email, with the recording attached.

Every value that reaches a header (a line name, a caller's name, an address)
may come from an admin or a caller: :func:`header_text` makes it one line of
plain text, and :func:`mail_addresses` accepts only addresses that parse whole.
A header can never be ended or added to by a value.
"""

from __future__ import annotations

import re
import smtplib
import socket
import ssl
from collections.abc import Iterable
from dataclasses import dataclass, field
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from continuity.voicemail.errors import BadAddress
from continuity.voicemail.spool import Message

_AUDIO_TYPES = {".wav": "wav", ".WAV": "wav", ".gsm": "x-gsm"}
#: C0 and C1 controls (CR, LF, TAB, NUL... included) and Unicode's line and paragraph breaks.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
#: Header text beyond this is cut: a subject stays readable, a line stays well under RFC 5322's.
MAX_HEADER_TEXT = 200


def header_text(value: str, limit: int = MAX_HEADER_TEXT) -> str:
    """``value`` as one line of text: control characters become spaces, cut at ``limit``."""
    text = " ".join(_CONTROL.sub(" ", value).split())
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def mail_addresses(addresses: Iterable[str]) -> tuple[Address, ...]:
    """Each plain address (``local@domain``) as an :class:`Address`; raise :class:`BadAddress`."""
    found = []
    for address in addresses:
        if _CONTROL.search(address):
            raise BadAddress(address, "it holds control characters")
        try:
            parsed = Address(addr_spec=address.strip())
        except (ValueError, HeaderParseError) as exc:
            raise BadAddress(address, str(exc)) from exc
        if not parsed.domain:
            raise BadAddress(address, "it has no domain")
        found.append(parsed)
    if not found:
        raise BadAddress("", "no address given")
    return tuple(found)


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    host: str
    port: int = 25
    security: str = "none"  # none, starttls or tls
    username: str = ""
    password: str = field(default="", repr=False)
    sender: str = "continuity@localhost"
    timeout: float = 15.0


def build_notice(message: Message, line_name: str, to: str, sender: str) -> EmailMessage:
    """The notice for ``message``; raise :class:`BadAddress` if ``to`` or ``sender`` is not one."""
    (recipient,) = mail_addresses([to])
    (from_,) = mail_addresses([sender])
    line_name = header_text(line_name)
    caller = header_text(message.caller_number) or "an unknown caller"
    if message.caller_name:
        caller = f"{header_text(message.caller_name)} ({caller})"
    mail = EmailMessage()
    mail["From"] = from_
    mail["To"] = recipient
    mail["Subject"] = f"Voicemail for {line_name} from {caller} ({message.duration} s)"
    mail["Date"] = format_datetime(message.received)
    mail["Message-ID"] = make_msgid("voicemail", domain=header_text(from_.domain, 100))
    mail["X-Continuity-Voicemail"] = header_text(f"{message.box}/{message.msg_id}")
    mail.set_content(
        f"New voicemail in the failover box of {line_name} (line {message.box}).\n\n"
        f"From:     {caller}\n"
        f"Received: {message.received:%Y-%m-%d %H:%M:%S %Z}\n"
        f"Length:   {message.duration} s\n\n"
        "The recording is attached. The message stays in the box: listen to it with\n"
        f"VoiceMailMain, or `continuity voicemail export {message.box} {message.msg_id} FILE`.\n"
    )
    suffix = message.audio.suffix
    mail.add_attachment(
        message.audio.read_bytes(),
        maintype="audio",
        subtype=_AUDIO_TYPES.get(suffix, "octet-stream"),
        filename=f"voicemail-{message.box}-{message.received:%Y%m%d-%H%M%S}{suffix.lower()}",
    )
    return mail


def send(settings: SmtpSettings, mail: EmailMessage) -> None:
    """Blocking: hand one email to the SMTP server (raises smtplib.SMTPException, OSError)."""
    smtp: smtplib.SMTP
    # The host name as configured, not smtplib's default getfqdn(): no DNS lookup.
    helo = socket.gethostname()
    if settings.security == "tls":
        smtp = smtplib.SMTP_SSL(
            settings.host,
            settings.port,
            local_hostname=helo,
            timeout=settings.timeout,
            context=ssl.create_default_context(),
        )
    else:
        smtp = smtplib.SMTP(
            settings.host, settings.port, local_hostname=helo, timeout=settings.timeout
        )
    with smtp:
        if settings.security == "starttls":
            smtp.starttls(context=ssl.create_default_context())
        if settings.username:
            smtp.login(settings.username, settings.password)
        smtp.send_message(mail)
