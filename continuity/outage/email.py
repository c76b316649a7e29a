"""Outage notices by e-mail, handed to the product's one SMTP adapter."""

from __future__ import annotations

import asyncio
import smtplib
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import formatdate

from continuity.core.notices import Notice, NoticeEvent
from continuity.outage.errors import DeliveryFailed
from continuity.voicemail.errors import BadAddress
from continuity.voicemail.mail import header_text, mail_addresses


def render_email(notice: Notice, sender: str, recipients: tuple[str, ...]) -> EmailMessage:
    payload = notice.payload
    started = notice.event is NoticeEvent.STARTED
    message = EmailMessage()
    message["Subject"] = (
        f"[continuity] {'OUTAGE' if started else 'Resolved'}: "
        f"primary trunk {header_text(str(payload['trunk']))}"
    )
    message["From"] = mail_addresses([sender])
    message["To"] = mail_addresses(recipients)
    message["Date"] = formatdate(localtime=True)
    # The same Message-ID on every retry: mail systems drop the duplicates.
    message["Message-ID"] = f"<{header_text(notice.idempotency_key)}@continuity>"
    lines = [
        f"The primary trunk {payload['trunk']} is "
        + ("DOWN." if started else "back: the outage is resolved."),
        "",
        f"When:  {payload['at']}",
        f"Cause: {payload['cause']}",
    ]
    if started:
        lines.append(
            "Calls now go to the continuity destinations."
            if payload["failover"]
            else "Policy is manual: calls still try the primary. "
            "Run `continuity outage declare` to fail over."
        )
    else:
        lines.append(f"Duration: {payload['duration_seconds']} s")
        summary = payload.get("summary")
        if summary is not None:
            lines += [
                "",
                f"Started:  {summary['started_at']}",
                f"Resolved: {summary['resolved_at']}",
                f"Calls failed over: {summary['failed_over_calls']}",
                f"Reached voicemail: {summary['voicemail_calls']}",
            ]
            landed = summary["landed_by_destination"]
            if landed:
                lines.append("Where they landed:")
                lines += [f"  {where}: {calls}" for where, calls in landed.items()]
    lines += ["", f"Outage id: {payload['outage_id']}"]
    message.set_content("\n".join(lines) + "\n")
    return message


class EmailSender:
    """``send`` is blocking (``continuity.voicemail.mail.send`` with the SMTP settings)."""

    def __init__(
        self, send: Callable[[EmailMessage], None], sender: str, recipients: tuple[str, ...]
    ) -> None:
        self._send = send
        self._sender = sender
        self._recipients = recipients

    async def send(self, notice: Notice) -> None:
        try:
            message = render_email(notice, self._sender, self._recipients)
        except BadAddress as exc:
            raise DeliveryFailed(str(exc)) from exc
        try:
            await asyncio.to_thread(self._send, message)
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryFailed(f"SMTP: {exc}") from exc
