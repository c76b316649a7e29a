"""Builds the voicemail feature from the configuration; the composition root calls it."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Protocol

from continuity.agi.ami import AmiActions, AmiError
from continuity.config import Config
from continuity.core.model import Snapshot
from continuity.dialplan_templates.voicemail import render_voicemail, voicemail_path
from continuity.errors import StoreError
from continuity.files import replace_if_changed
from continuity.install import VOICEMAIL_MODE
from continuity.voicemail.boxes import BoxSync
from continuity.voicemail.mail import SmtpSettings, send
from continuity.voicemail.notifier import SentMarkers, VoicemailNotifier
from continuity.voicemail.pins import new_pin
from continuity.voicemail.spool import Spool

log = logging.getLogger(__name__)


class VoicemailSettings(Protocol):
    """Each line's notice address and PIN, as PostgreSQL holds them."""

    async def emails(self) -> dict[str, str]: ...
    async def pins(self) -> dict[str, str]: ...


def smtp_settings(config: Config) -> SmtpSettings:
    return SmtpSettings(
        host=config.smtp_host,
        port=config.smtp_port,
        security=config.smtp_security,
        username=config.smtp_username,
        password=config.smtp_password,
        sender=config.smtp_sender,
    )


class Voicemail:
    """The boxes kept in step with the lines, and the notices sent for new messages."""

    def __init__(
        self,
        config: Config,
        store: VoicemailSettings,
        ami: AmiActions,
        snapshot: Callable[[], Snapshot],
    ) -> None:
        async def reload() -> None:
            await ami.command("module reload app_voicemail.so")

        self._pins: dict[str, str] | None = None
        #: PINs of lines PostgreSQL had none for yet: random, for this process only.
        self._stand_in_pins: dict[str, str] = {}
        self.boxes = BoxSync(
            voicemail_path(config.asterisk_config_dir),
            lambda snapshot: render_voicemail(snapshot, self._box_pins(snapshot)),
            functools.partial(replace_if_changed, mode=VOICEMAIL_MODE),
            reload,
        )
        self.spool = Spool(config.asterisk_spool_dir)
        self.store = store
        self.notifier: VoicemailNotifier | None = None
        self._addresses: dict[str, str] | None = None
        if config.smtp_host:
            self.notifier = VoicemailNotifier(
                self.spool,
                SentMarkers(Path(config.state_dir) / "voicemail-notices"),
                self.addresses,
                lambda: {i: line.name or i for i, line in snapshot().lines.items()},
                functools.partial(send, smtp_settings(config)),
                config.smtp_sender,
            )

    @property
    def known_addresses(self) -> Mapping[str, str]:
        """The notice addresses as last read from PostgreSQL."""
        return self._addresses or {}

    async def addresses(self) -> Mapping[str, str]:
        """Each line's notice address; the last known ones while PostgreSQL is down."""
        try:
            self._addresses = await self.store.emails()
        except StoreError as exc:
            if self._addresses is None:
                raise
            log.warning("PostgreSQL unreachable (%s): using the last known notice addresses", exc)
        return self._addresses

    def _box_pins(self, snapshot: Snapshot) -> dict[str, str]:
        known = self._pins or {}
        for line in snapshot.lines:
            if line not in known:
                self._stand_in_pins.setdefault(line, new_pin())
        return {line: known.get(line) or self._stand_in_pins[line] for line in snapshot.lines}

    async def _load_pins(self) -> bool:
        """Fresh PINs from PostgreSQL; say whether any PINs are known at all."""
        try:
            self._pins = await self.store.pins()
        except StoreError as exc:
            log.warning("could not load the voicemail PINs (%s): using the last known", exc)
        return self._pins is not None

    async def apply(self, snapshot: Snapshot) -> None:
        """Snapshot subscriber: a box for every line, and fresh notice addresses.

        Failures are logged, never raised. While no PIN was ever read from
        PostgreSQL, the boxes file is left as it is (it holds the last PINs).
        """
        try:
            if await self._load_pins():
                await self.boxes.apply(snapshot)
            else:
                log.warning("voicemail PINs unknown until PostgreSQL answers: boxes left as is")
        except (AmiError, OSError) as exc:
            log.error("could not apply the voicemail boxes for v%s: %s", snapshot.version, exc)
        except Exception:
            log.exception("could not apply the voicemail boxes for v%s", snapshot.version)
        try:
            await self.addresses()
        except StoreError as exc:
            log.warning("could not load the voicemail notice addresses: %s", exc)

    async def run(self) -> None:
        if self.notifier is None:
            log.warning("smtp_host is not set: voicemail stays in the boxes, no email notices")
            return
        await self.notifier.run()
