"""The SMTP adapter: a voicemail notice as an email, with the recording attached."""

from __future__ import annotations

import smtplib
import socket
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from continuity.voicemail.spool import Message

_AUDIO_TYPES = {".wav": "wav", ".WAV": "wav", ".gsm": "x-gsm"}


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
    caller = message.caller_number or "an unknown caller"
    if message.caller_name:
        caller = f"{message.caller_name} ({caller})"
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = to
    mail["Subject"] = f"Voicemail for {line_name} from {caller} ({message.duration} s)"
    mail["Date"] = format_datetime(message.received)
    mail["Message-ID"] = make_msgid("voicemail", domain=sender.rpartition("@")[2] or "localhost")
    mail["X-Continuity-Voicemail"] = f"{message.box}/{message.msg_id}"
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
