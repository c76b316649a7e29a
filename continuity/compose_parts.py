"""The builders both composition roots share: pools, AMI logins, test calls, the console.

``continuity serve`` (:mod:`continuity.compose`) and every CLI command
(:mod:`continuity.compose_cli`) build their pools and AMI credentials here and
nowhere else. Each builder reads only its own slice of the configuration.
"""

from __future__ import annotations

import socket
from pathlib import Path

from continuity import names
from continuity.access.service import Access
from continuity.admin import Admin
from continuity.agi.ami import AmiCredentials, AmiError
from continuity.agi.ami_monitor import OriginateResult, originate_local
from continuity.config import Config
from continuity.db.access import AccessStore
from continuity.db.leader import NodeRegistry
from continuity.db.outages import OutageStore
from continuity.db.pool import Pool, service_pool
from continuity.db.reads import PagedReads
from continuity.db.records import CallRecordStore
from continuity.db.store import Store
from continuity.db.voicemail import VoicemailStore
from continuity.dialplan_status import DialplanStatus
from continuity.outage.banner import TrunkReport, trunk_report
from continuity.outage.errors import TestCallFailed
from continuity.outage.testcall import Originate, RecordSource, TestCaller
from continuity.voicemail.prompts import PromptStore
from continuity.voicemail.service import VoicemailAdmin
from continuity.voicemail.spool import Spool
from continuity.web.app import create_app
from continuity.web.backend import Backend
from continuity.web.server import Listen, WebServer


def make_pool(config: Config) -> Pool:
    """A service's pool: opens in the background, so the app starts while PostgreSQL is down."""
    return service_pool(config.database_url)


def ami_credentials(config: Config) -> AmiCredentials:
    """The one place the ``ami_*`` settings become a login."""
    return AmiCredentials(config.ami_host, config.ami_port, config.ami_username, config.ami_secret)


def node_name(config: Config) -> str:
    """This node's name among those sharing the database: the setting, else the host name."""
    return config.node_name or socket.gethostname()


def originate_test_call(creds: AmiCredentials, *, hold: float, timeout: float) -> Originate:
    """Places a test call into the tracking context, as the carrier's callers arrive."""

    async def originate(number: str, call_id: str, caller_id: str) -> OriginateResult:
        try:
            return await originate_local(
                creds,
                number=number,
                context=names.CTX_TRACKING,
                channel_id=call_id,
                caller_id=caller_id,
                hold=hold,
                timeout=timeout,
            )
        except AmiError as exc:
            raise TestCallFailed(
                f"could not place the test call to {number}: {exc}. Check the ami_* settings "
                "and that Asterisk is running."
            ) from exc

    return originate


def make_test_caller(
    creds: AmiCredentials, records: RecordSource, *, hold: float = 1.0, timeout: float = 60.0
) -> TestCaller:
    """Test calls as the console and `continuity test-call` place them."""
    return TestCaller(originate_test_call(creds, hold=hold, timeout=timeout), records, hold=hold)


def make_web(
    config: Config, pool: Pool, dialplan: DialplanStatus | None, store: Store
) -> WebServer | None:
    """The HTTP API and console on ``web_listen``, over the same services as the CLI;
    ``store`` is the one admin changes go through (in ``serve``, it knows the state in
    use)."""
    if not config.web_listen:
        return None
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

    caller = make_test_caller(ami_credentials(config), CallRecordStore(pool))
    backend = Backend(
        admin=lambda actor: Admin(store, actor),
        voicemail=voicemail,
        access=Access(AccessStore(pool)),
        reads=PagedReads(pool),
        overrides=outages,
        trunk=trunk,
        test_call=caller.call if config.ami_secret else None,
        dialplan=dialplan,
        region=config.default_region,
        nodes=NodeRegistry(pool).nodes,
        heartbeat_interval=config.node_heartbeat_interval,
    )
    host, _, port = config.web_listen.rpartition(":")
    listen = Listen(
        host.strip("[]"),
        int(port),
        Path(config.web_tls_cert) if config.web_tls_cert else None,
        Path(config.web_tls_key) if config.web_tls_key else None,
    )
    return WebServer(create_app(backend), listen)
