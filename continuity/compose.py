"""The composition root: the one place that builds and wires everything."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from pathlib import Path

import httpx
from psycopg_pool import AsyncConnectionPool

from agi.ami import AmiCredentials, AmiError
from agi.plugin import make_agi_server
from ari_app.client import AriClient, AriConfig, AriCredentials, AriRest
from ari_app.services import CallService
from ari_app.stasis import HANDLED_EVENTS, StasisTranslator, event_key
from continuity import names
from continuity.config import Config
from continuity.core.model import Snapshot, TrunkHealth
from continuity.dialplan_plugin import generated_files
from continuity.dialplan_sync import DialplanSync
from continuity.errors import DialplanRejected
from continuity.outage.plugin import Outages
from continuity.recorder import CallRecorder
from continuity.snapshot import SnapshotService
from continuity.state_cache import StateCache
from continuity.test_expiry import TimedTestEnds
from continuity.voicemail.plugin import Voicemail
from db.listener import ChangeListener
from db.records import CallRecordStore
from db.store import Store
from db.testmode import TimedTestStore

log = logging.getLogger(__name__)

#: Concurrent HTTP connections to ARI; well under Asterisk's default session limit.
ARI_HTTP_CONNECTIONS = 16


def make_pool(config: Config) -> AsyncConnectionPool:
    """A pool that opens in the background: the app starts even while PostgreSQL is down."""
    return AsyncConnectionPool(
        config.database_url,
        open=False,
        min_size=1,
        max_size=4,
        timeout=5.0,
        kwargs={"connect_timeout": 5},
        reconnect_timeout=0,
    )


def ami_credentials(config: Config) -> AmiCredentials:
    return AmiCredentials(config.ami_host, config.ami_port, config.ami_username, config.ami_secret)


def make_dialplan_sync(
    config: Config, health: Callable[[], TrunkHealth] = TrunkHealth
) -> DialplanSync:
    return DialplanSync(generated_files(config, ami_credentials(config), health))


class App:
    """Everything ``continuity serve`` runs, built from one :class:`Config`."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.pool = make_pool(config)
        self.store = Store(self.pool)
        self.snapshots = SnapshotService(
            self.store,
            ChangeListener(config.database_url),
            StateCache(Path(config.state_dir) / "routing-state.json"),
        )
        self.records = CallRecordStore(self.pool)
        self.test_expiry = TimedTestEnds(lambda: self.snapshots.current, TimedTestStore(self.pool))
        self.recorder = CallRecorder(Path(config.state_dir) / "call-records", self.records)
        self.dialplan = make_dialplan_sync(config, lambda: self.outages.health)
        self.agi = make_agi_server(
            config, lambda: self.snapshots.current, lambda: self.outages.health
        )
        self.voicemail = Voicemail(config, self.pool, lambda: self.snapshots.current)
        # Asterisk's HTTP server takes 100 sessions (http.conf sessionlimit), the event
        # WebSocket included: past that, requests hang and the pool never drains. A
        # small pool queues requests here instead (bench: 200 concurrent calls).
        self.http = httpx.AsyncClient(
            trust_env=False,
            limits=httpx.Limits(
                max_connections=ARI_HTTP_CONNECTIONS, max_keepalive_connections=ARI_HTTP_CONNECTIONS
            ),
        )
        self.outages = Outages(config, self.pool, self.http, ami_credentials(config))
        ari_config = AriConfig(
            base_url=config.ari_url,
            credentials=AriCredentials(config.ari_username, config.ari_password),
            app=names.ARI_APP,
        )
        self.rest = AriRest(ari_config, self.http)
        self.calls = CallService(
            self.rest,
            lambda: self.snapshots.current,
            lambda: self.outages.health,
            self.recorder.record,
            config.unknown_number,
            config.dial_timeout,
            handoff_after=config.overload_handoff_after,
        )
        self.ari = AriClient(
            ari_config,
            self.rest,
            StasisTranslator(self.calls).handle,
            key=event_key,
            on_connected=self._resync,
            event_types=HANDLED_EVENTS,
        )

    async def _resync(self) -> None:
        """After every (re)connection: drop calls whose channels are gone."""
        live = {channel.id for channel in await self.rest.list_channels()}
        await self.calls.forget_missing(live)

    async def _apply_dialplan(self, snapshot: Snapshot) -> None:
        try:
            await self.dialplan.apply(snapshot)
        except (AmiError, OSError, DialplanRejected) as exc:
            log.error("could not apply the fallback dialplan for v%s: %s", snapshot.version, exc)

    async def _health_changed(self, _health: TrunkHealth) -> None:
        """The fallback routes around a primary that is down, like the app does."""
        await self._apply_dialplan(self.snapshots.current)

    def _agi_serving(self) -> contextlib.AbstractAsyncContextManager[object]:
        return self.agi if self.agi is not None else contextlib.nullcontext()

    async def run_agi(self) -> None:
        """`continuity agi serve`: routing state, trunk health and the FastAGI route only."""
        await self.pool.open(wait=False)
        try:
            self.snapshots.subscribe(self.outages.override_changed)
            self.snapshots.subscribe(self.test_expiry.changed)
            await self.snapshots.start()
            await self.outages.start()
            async with self._agi_serving(), asyncio.TaskGroup() as tasks:
                tasks.create_task(self.snapshots.run(), name="snapshot-changes")
                tasks.create_task(self.test_expiry.run(), name="test-expiry")
                tasks.create_task(self.outages.run(), name="outages")
        finally:
            await self.http.aclose()
            await self.pool.close()

    async def run(self) -> None:
        await self.pool.open(wait=False)
        try:
            self.snapshots.subscribe(self.voicemail.apply)  # boxes before the dialplan using them
            self.snapshots.subscribe(self._apply_dialplan)
            self.outages.on_health_change(self._health_changed)
            self.snapshots.subscribe(self.outages.override_changed)
            self.snapshots.subscribe(self.test_expiry.changed)
            await self.snapshots.start()
            await self.outages.start()
            await self.voicemail.apply(self.snapshots.current)
            await self._apply_dialplan(self.snapshots.current)
            async with self._agi_serving(), self.ari, asyncio.TaskGroup() as tasks:
                tasks.create_task(self.snapshots.run(), name="snapshot-changes")
                tasks.create_task(self.recorder.run(), name="call-records")
                tasks.create_task(self.outages.run(), name="outages")
                tasks.create_task(self.voicemail.run(), name="voicemail-notices")
                tasks.create_task(self.test_expiry.run(), name="test-expiry")
                log.info("continuity serving ARI app %r at %s", names.ARI_APP, self.config.ari_url)
        finally:
            await self.http.aclose()
            await self.pool.close()
