"""The composition root: the one place that builds and wires everything."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
from psycopg_pool import AsyncConnectionPool

from agi.ami import AmiCredentials, AmiError
from agi.ami_monitor import OriginateResult, originate_local
from agi.plugin import make_agi_server
from ari_app.client import AriClient, AriConfig, AriCredentials, AriRest
from ari_app.services import CallService
from ari_app.stasis import HANDLED_EVENTS, StasisTranslator, event_key
from continuity import names
from continuity.access.service import Access
from continuity.admin import Admin
from continuity.config import Config
from continuity.core.model import Snapshot, TrunkHealth
from continuity.dialplan_plugin import generated_files
from continuity.dialplan_status import DialplanStatus
from continuity.dialplan_sync import DialplanSync
from continuity.errors import ConfigError, DialplanRejected
from continuity.outage.banner import TrunkReport, trunk_report
from continuity.outage.errors import TestCallFailed
from continuity.outage.plugin import Outages
from continuity.outage.testcall import TestCaller, TestCallResult
from continuity.recorder import CallRecorder
from continuity.snapshot import SnapshotService
from continuity.state_cache import StateCache
from continuity.voicemail.plugin import Voicemail
from continuity.voicemail.prompts import PromptStore
from continuity.voicemail.service import VoicemailAdmin
from continuity.voicemail.spool import Spool
from db.access import AccessStore
from db.listener import ChangeListener
from db.outages import OutageStore
from db.reads import PagedReads
from db.records import CallRecordStore
from db.store import Store
from db.voicemail import VoicemailStore
from web.app import create_app
from web.backend import Backend
from web.errors import ListenFailed
from web.server import Listen, WebServer

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


def _test_caller(
    config: Config, records: CallRecordStore
) -> Callable[[str], Awaitable[TestCallResult]]:
    creds = ami_credentials(config)

    async def originate(number: str, call_id: str, caller_id: str) -> OriginateResult:
        try:
            return await originate_local(
                creds,
                number=number,
                context=names.CTX_TRACKING,
                channel_id=call_id,
                caller_id=caller_id,
                hold=1.0,
                timeout=60.0,
            )
        except AmiError as exc:
            raise TestCallFailed(
                f"could not place the test call to {number}: {exc}. Check the ami_* settings "
                "and that Asterisk is running."
            ) from exc

    return TestCaller(originate, records, hold=1.0).call


def make_web(
    config: Config, pool: AsyncConnectionPool, dialplan: DialplanStatus | None
) -> WebServer | None:
    """The HTTP API and console on ``web_listen``, over the same services as the CLI."""
    if not config.web_listen:
        return None
    store = Store(pool)
    outages = OutageStore(pool)

    def voicemail(actor: str) -> VoicemailAdmin:
        return VoicemailAdmin(
            store,
            VoicemailStore(pool),
            PromptStore(config.asterisk_spool_dir),
            Spool(config.asterisk_spool_dir),
            actor,
        )

    async def trunk() -> TrunkReport:
        return await trunk_report(outages, names.ENDPOINT_PRIMARY)

    backend = Backend(
        admin=lambda actor: Admin(store, actor),
        voicemail=voicemail,
        access=Access(AccessStore(pool)),
        reads=PagedReads(pool),
        overrides=outages,
        trunk=trunk,
        test_call=_test_caller(config, CallRecordStore(pool)) if config.ami_secret else None,
        dialplan=dialplan,
        region=config.default_region,
    )
    host, _, port = config.web_listen.rpartition(":")
    listen = Listen(
        host.strip("[]"),
        int(port),
        Path(config.web_tls_cert) if config.web_tls_cert else None,
        Path(config.web_tls_key) if config.web_tls_key else None,
    )
    return WebServer(create_app(backend), listen)


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
        self.recorder = CallRecorder(Path(config.state_dir) / "call-records", self.records)
        self.dialplan = make_dialplan_sync(config, lambda: self.outages.health)
        #: Whether Asterisk holds the fallback dialplan of each state: the console shows it.
        self.dialplan_status = DialplanStatus()
        self.web = make_web(config, self.pool, self.dialplan_status)
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
            await self.dialplan_status.report(snapshot.version, str(exc))
        else:
            await self.dialplan_status.report(snapshot.version, None)

    @staticmethod
    async def _serve_web(web: WebServer) -> None:
        """A console that cannot listen is logged; calls keep routing without it."""
        try:
            await web.run()
        except ListenFailed as exc:
            log.error("%s", exc)

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
            await self.snapshots.start()
            await self.outages.start()
            async with self._agi_serving(), asyncio.TaskGroup() as tasks:
                tasks.create_task(self.snapshots.run(), name="snapshot-changes")
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
            await self.snapshots.start()
            await self.outages.start()
            await self.voicemail.apply(self.snapshots.current)
            await self._apply_dialplan(self.snapshots.current)
            async with self._agi_serving(), self.ari, asyncio.TaskGroup() as tasks:
                tasks.create_task(self.snapshots.run(), name="snapshot-changes")
                tasks.create_task(self.recorder.run(), name="call-records")
                tasks.create_task(self.outages.run(), name="outages")
                tasks.create_task(self.voicemail.run(), name="voicemail-notices")
                if self.web is not None:
                    tasks.create_task(self._serve_web(self.web), name="web")
                log.info("continuity serving ARI app %r at %s", names.ARI_APP, self.config.ari_url)
        finally:
            await self.http.aclose()
            await self.pool.close()


async def run_web(config: Config) -> None:
    """`continuity web`: only the API and console, e.g. on a host apart from Asterisk."""
    pool = make_pool(config)
    web = make_web(config, pool, None)
    if web is None:
        raise ConfigError(["web_listen is empty: give host:port to serve the console on"])
    await pool.open(wait=False)
    try:
        await web.run()
    finally:
        await pool.close()
