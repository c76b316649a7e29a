"""Builds outage detection and notices from the configuration; the composition root calls it."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from typing import Protocol

import httpx

from continuity import names
from continuity.agi.ami import AmiCredentials
from continuity.agi.ami_monitor import ContactWatch
from continuity.config import Config
from continuity.core.model import Snapshot, TrunkHealth
from continuity.core.notices import Channel
from continuity.core.outage import OutagePolicy
from continuity.outage.email import EmailSender
from continuity.outage.notifier import Notifier, Outbox, Sender
from continuity.outage.service import (
    HealthSubscriber,
    OutageJournal,
    OutageMonitor,
    SummarySource,
)
from continuity.outage.webhook import WebhookSender
from continuity.supervise import supervise
from continuity.voicemail.mail import send as smtp_send
from continuity.voicemail.plugin import smtp_settings

log = logging.getLogger(__name__)


class OutageRecords(OutageJournal, Outbox, Protocol):
    """The outage journal and the notices' outbox, kept in one store."""


def outage_policy(config: Config) -> OutagePolicy:
    return OutagePolicy(
        config.outage_mode,
        config.outage_fail_after,
        config.outage_recover_after,
        config.outage_hold_down,
    )


def senders(config: Config, http: httpx.AsyncClient) -> dict[Channel, Sender]:
    found: dict[Channel, Sender] = {}
    if config.outage_webhook_url:
        found[Channel.WEBHOOK] = WebhookSender(http, config.outage_webhook_url)
    if config.outage_email_to:
        if config.smtp_host:
            found[Channel.EMAIL] = EmailSender(
                functools.partial(smtp_send, smtp_settings(config)),
                config.smtp_sender,
                tuple(a.strip() for a in config.outage_email_to.split(",")),
            )
        else:
            log.warning("outage_email_to is set but smtp_host is not: no outage e-mails")
    return found


class Outages:
    """The primary trunk's health for routing, and the outage journal and notices."""

    def __init__(
        self,
        config: Config,
        store: OutageRecords,
        summaries: SummarySource,
        http: httpx.AsyncClient,
        ami: AmiCredentials,
        fence: Callable[[], int | None],
    ) -> None:
        self.store = store
        channels = senders(config, http)
        self.notifier = Notifier(self.store, channels, leads=lambda: fence() is not None)
        self.monitor = OutageMonitor(
            outage_policy(config),
            self.store,
            names.ENDPOINT_PRIMARY,
            tuple(channels),
            on_journalled=self.notifier.wake,
            summaries=summaries,
            fence=fence,
        )
        self.watch = ContactWatch(ami, names.ENDPOINT_PRIMARY, config.outage_check_interval)

    @property
    def health(self) -> TrunkHealth:
        return self.monitor.health

    async def start(self) -> None:
        await self.monitor.start()

    def on_health_change(self, subscriber: HealthSubscriber) -> None:
        """Called with the new :class:`TrunkHealth` whenever routing's view changes."""
        self.monitor.subscribe(subscriber)

    async def leadership_changed(self, leads: bool) -> None:
        await self.monitor.leadership_changed(leads)
        self.notifier.wake()

    async def override_changed(self, snapshot: Snapshot) -> None:
        await self.monitor.override_changed(snapshot)

    async def run(self) -> None:
        """The monitor and the notices, each restarted alone if it fails."""
        async with asyncio.TaskGroup() as tasks:
            tasks.create_task(
                supervise("outage-monitor", lambda: self.monitor.run(self.watch.samples())),
                name="outage-monitor",
            )
            tasks.create_task(supervise("outage-notices", self.notifier.run), name="outage-notices")
