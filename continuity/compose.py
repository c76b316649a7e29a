"""The composition root: the one place that builds and wires everything."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from continuity import names
from continuity.agi.ami import AmiActions, AmiError, AmiSession
from continuity.agi.plugin import make_agi_server
from continuity.ari_app.client import AriClient, AriConfig, AriCredentials, AriRest
from continuity.ari_app.services import CallService
from continuity.ari_app.stasis import HANDLED_EVENTS, StasisTranslator, event_key
from continuity.ari_app.takeover import take_over_strays
from continuity.compose_parts import ami_credentials, make_pool, make_web, node_name
from continuity.config import Config, Dialing
from continuity.core.model import Snapshot, TrunkHealth
from continuity.core.records import CallRecord
from continuity.core.static_route import dialplan_label
from continuity.db.leader import LeaderLease, NodeRegistry
from continuity.db.listener import ChangeListener
from continuity.db.outage_summary import OutageSummaryStore
from continuity.db.outages import OutageStore
from continuity.db.pool import Pool
from continuity.db.records import CallRecordStore
from continuity.db.store import Store
from continuity.db.testmode import TimedTestStore
from continuity.db.voicemail import VoicemailStore
from continuity.dialplan_plugin import astdb_routes, generated_files
from continuity.dialplan_retry import DialplanRetry
from continuity.dialplan_status import DialplanStatus
from continuity.dialplan_sync import DialplanSync
from continuity.errors import ConfigError, DialplanRejected
from continuity.leader import Leadership
from continuity.logsetup import log_call_end, with_call_id
from continuity.metrics import Metrics, Probes
from continuity.metrics_http import serving
from continuity.outage.plugin import Outages
from continuity.recorder import CallRecorder
from continuity.router import Router
from continuity.snapshot import SnapshotService
from continuity.state_cache import StateCache
from continuity.supervise import supervise
from continuity.test_expiry import TimedTestEnds
from continuity.trace_ingest import CallTraceIngester
from continuity.voicemail.plugin import Voicemail
from continuity.web.errors import ListenFailed
from continuity.web.server import WebServer

log = logging.getLogger(__name__)

#: Concurrent HTTP connections to ARI; well under Asterisk's default session limit.
ARI_HTTP_CONNECTIONS = 16


#: PostgreSQL found down at start: how long each further start-up read waits for a
#: connection (instead of the pool's 5 s each), so that the run reaches ARI at once and
#: takes over the callers a killed run left waiting in Stasis.
DOWN_AT_START_WAIT = 0.2


#: Allocations between the collector's youngest-generation passes (CPython: 700).
GC_YOUNG_THRESHOLD = 20_000


def _settle_heap() -> None:
    """Start-up is done (modules, the routing state): what it built lives as long as the
    process, so the cyclic collector stops walking it (``gc.freeze``), and runs less
    often. Its passes over that heap were 7 % of the app's samples per call (a native
    py-spy profile, issue 13); objects freed by reference count are freed as before."""
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, older, oldest)


@contextlib.contextmanager
def _start_up_reads(pool: Pool, from_database: bool) -> Iterator[None]:
    """The start-up reads after the routing state: with the pool's own wait when the
    state came from PostgreSQL, with :data:`DOWN_AT_START_WAIT` when it came from the
    disk mirror (PostgreSQL is down: the rest use what they knew)."""
    saved = pool.timeout
    if not from_database:
        pool.timeout = DOWN_AT_START_WAIT
    try:
        yield
    finally:
        pool.timeout = saved


def make_dialplan_sync(
    config: Config, ami: AmiActions, router: Router | None = None
) -> DialplanSync:
    """The generated files' sync; without a router, the dialplan takes the primary as up.
    With ``fallback_store = astdb`` it writes the numbers' routes to AstDB too."""
    return DialplanSync(
        generated_files(config, ami, router), routes=astdb_routes(config, ami, router)
    )


class App:
    """Everything ``continuity serve`` runs, built from one :class:`Config`."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.pool = make_pool(config)
        #: Admin changes made in this process (the web console, the HTTP API) check
        #: against the routing state in use when it is current, instead of reading it.
        self.store = Store(self.pool, held=lambda version: self.snapshots.state_at(version))
        self.state_path = Path(config.state_dir) / "routing-state.json"
        #: Unix time the routing state in use was loaded, for the metrics.
        self.state_loaded_at: float | None = None
        self.snapshots = SnapshotService(
            self.store,
            ChangeListener(config.database_url),
            StateCache(self.state_path),
            numbers=self.store,
        )
        self.records = CallRecordStore(self.pool)
        self.test_expiry = TimedTestEnds(lambda: self.snapshots.current, TimedTestStore(self.pool))
        self.recorder = CallRecorder(Path(config.state_dir) / "call-records", self.records)
        #: The one AMI login every reload and question to Asterisk goes over.
        self.ami = AmiSession(ami_credentials(config))
        # Asterisk's HTTP server takes 100 sessions (http.conf sessionlimit), the event
        # WebSocket included: past that, requests hang and the pool never drains. A
        # small pool queues requests here instead (bench: 200 concurrent calls).
        self.http = httpx.AsyncClient(
            trust_env=False,
            limits=httpx.Limits(
                max_connections=ARI_HTTP_CONNECTIONS, max_keepalive_connections=ARI_HTTP_CONNECTIONS
            ),
        )
        self.leadership = Leadership(
            LeaderLease(config.database_url, node_name(config), 3 * config.node_heartbeat_interval),
            NodeRegistry(self.pool),
            node_name(config),
            config.node_sip_uri,
            interval=config.node_heartbeat_interval,
            # Outage detection watches the trunk through this node's AMI.
            able=lambda: self.outages.watch.connected,
        )
        self.outages = Outages(
            config,
            OutageStore(self.pool),
            OutageSummaryStore(self.pool),
            self.http,
            ami_credentials(config),
            lambda: self.leadership.token,
        )
        self.leadership.subscribe(self.outages.leadership_changed)
        #: Where a call goes: one router for the ARI app, the FastAGI route and the dialplan.
        self.router = Router(self.snapshots, self.outages)
        self.dialplan = make_dialplan_sync(config, self.ami, self.router)
        self.dialplan_retry = DialplanRetry(
            self.dialplan, lambda: self.snapshots.current, (AmiError, OSError, DialplanRejected)
        )
        #: Whether Asterisk holds the fallback dialplan of each state: the console shows it.
        self.dialplan_status = DialplanStatus()
        self.web = make_web(config, self.pool, self.dialplan_status, self.store)
        self.agi = make_agi_server(config, self.router)
        self.voicemail = Voicemail(
            config, VoicemailStore(self.pool), self.ami, lambda: self.snapshots.current
        )
        ari_config = AriConfig(
            base_url=config.ari_url,
            credentials=AriCredentials(config.ari_username, config.ari_password),
            app=names.ARI_APP,
        )
        self.rest = AriRest(ari_config, self.http)
        self.calls = CallService(
            self.rest,
            self.router,
            self._record,
            config.unknown_number,
            config.dial_timeout,
            handoff_after=config.overload_handoff_after,
            dialplan_label=self.dialplan_entry if config.dialing is Dialing.DIALPLAN else None,
        )
        #: Asterisk's own trace of every call, into the records of calls this run has none of.
        self.trace = CallTraceIngester(
            Path(config.asterisk_spool_dir) / names.CALL_TRACE_FILE,
            self.records,
            self.calls,
            observe=self._call_ended,
        )
        self.ari = AriClient(
            ari_config,
            self.rest,
            with_call_id(StasisTranslator(self.calls).handle, event_key),
            key=event_key,
            on_connected=self._resync,
            event_types=HANDLED_EVENTS,
        )
        self.metrics = Metrics(self._probes())

    def _probes(self) -> Probes:
        monitor, watch, events = self.outages.monitor, self.outages.watch, self.ari.events
        return Probes(
            calls_in_progress=lambda: len(self.calls.calls),
            records_spooled=self.recorder.pending,
            state_version=lambda: self.snapshots.current.version,
            state_loaded_at=lambda: self.state_loaded_at,
            state_from_database=lambda: self.snapshots.from_database,
            outage_open=lambda: monitor.outage is not None,
            outage_started_at=lambda: (
                monitor.outage.started_at.timestamp() if monitor.outage is not None else None
            ),
            primary_skipped=lambda: monitor.health.primary_down,
            ari_connected=lambda: events.connected,
            ari_reconnects=lambda: max(0, events.connections - 1),
            ari_messages=lambda: (events.frames_received, events.frames_sent),
            ari_bridges=self.calls.bridges.counts,
            ari_bridges_swept=lambda: self.calls.bridges.swept,
            ami_connected=lambda: watch.connected,
            ami_reconnects=lambda: max(0, watch.logins - 1),
            leads=lambda: self.leadership.leads,
        )

    async def _record(self, record: CallRecord) -> None:
        """Where every call record is written: metrics and the call's log line first."""
        self._call_ended(record)
        await self.recorder.record(record)

    def _call_ended(self, record: CallRecord) -> None:
        """A call's end: counted, and its one log line (its record the app's or, for one
        the generated dialplan dialed, Asterisk's trace)."""
        self.metrics.calls.observe(record)
        log_call_end(record)

    async def _state_loaded(self, _snapshot: Snapshot) -> None:
        self.state_loaded_at = time.time()

    async def _start_snapshots(self) -> None:
        self.snapshots.subscribe(self._state_loaded)
        await self.snapshots.start()
        if self.state_loaded_at is None and self.snapshots.current.version:
            with contextlib.suppress(OSError):  # routing from the cache: when it was written
                self.state_loaded_at = self.state_path.stat().st_mtime

    async def _resync(self) -> None:
        """After every (re)connection: drop calls whose channels are gone, then take over
        every call in our Stasis app that this run does not own (a run that died or lost
        Asterisk left it), so no caller is stranded."""
        await self.calls.forget_missing(await self.calls.live_channels())
        taken = await take_over_strays(self.rest, self.calls)
        log.info(
            "in step with Asterisk: %d call(s) routed here, %d of them taken over",
            len(self.calls.calls),
            taken,
        )

    async def _apply_dialplan(self, snapshot: Snapshot) -> None:
        # Read before the apply: a health that changes meanwhile applies again.
        label = dialplan_label(snapshot.version, self.router.health)
        await self.dialplan_retry.apply(snapshot)
        await self.dialplan_status.report(snapshot.version, self.dialplan_retry.failure, label)

    def dialplan_entry(self) -> str | None:
        """``dialing = dialplan``: the label that sends a caller to the fallback, when
        Asterisk holds the fallback of the state the app routes with; else None."""
        router = self.router
        label = dialplan_label(router.snapshot.version, router.health)
        return label if self.dialplan_status.holds(label) else None

    async def _apply_current_dialplan(self) -> None:
        await self._apply_dialplan(self.snapshots.current)

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
            self.snapshots.subscribe(self.test_expiry.changed)
            await self._start_snapshots()
            with _start_up_reads(self.pool, self.snapshots.from_database):
                await self.outages.start()
            async with self._agi_serving(), asyncio.TaskGroup() as tasks:
                for name, work in (
                    ("snapshot-changes", self.snapshots.run),
                    ("test-expiry", self.test_expiry.run),
                    ("leadership", self.leadership.run),
                    ("outages", self.outages.run),
                ):
                    tasks.create_task(supervise(name, work), name=name)
        finally:
            self.ami.close()
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
            await self._start_snapshots()
            with _start_up_reads(self.pool, self.snapshots.from_database):
                await self.outages.start()
                await self.voicemail.apply(self.snapshots.current)
            _settle_heap()
            try:
                self.trace.prepare()
            except OSError as exc:
                log.error("the call trace directory cannot be prepared: %s", exc)
            async with (
                serving(self.metrics.render, self.config.metrics_listen),
                self._agi_serving(),
                self.ari,
                asyncio.TaskGroup() as tasks,
            ):
                # Each worker fails alone (logged, restarted with backoff): calls route on.
                for name, work in (
                    ("snapshot-changes", self.snapshots.run),
                    ("call-records", self.recorder.run),
                    ("call-trace", self.trace.run),
                    ("bridge-sweep", self.calls.sweep_bridges),
                    ("in-dialplan-sweep", self.calls.sweep_in_dialplan),
                    ("leadership", self.leadership.run),
                    ("outages", self.outages.run),
                    ("voicemail-notices", self.voicemail.run),
                    ("dialplan-retry", self.dialplan_retry.run),
                    ("test-expiry", self.test_expiry.run),
                ):
                    tasks.create_task(supervise(name, work), name=name)
                # The fallback dialplan of the state loaded, beside the ARI app: at tens of
                # thousands of numbers it takes longer than the app needs to route.
                tasks.create_task(self._apply_current_dialplan(), name="dialplan-initial")
                if self.web is not None:
                    tasks.create_task(self._serve_web(self.web), name="web")
                log.info("continuity serving ARI app %r at %s", names.ARI_APP, self.config.ari_url)
        finally:
            self.ami.close()
            await self.http.aclose()
            await self.recorder.drain()  # the last calls' records, before the pool goes
            await self.pool.close()


async def run_web(config: Config) -> None:
    """`continuity web`: only the API and console, e.g. on a host apart from Asterisk."""
    pool = make_pool(config)
    web = make_web(config, pool, None, Store(pool))
    if web is None:
        raise ConfigError(["web_listen is empty: give host:port to serve the console on"])
    await pool.open(wait=False)
    try:
        await web.run()
    finally:
        await pool.close()
