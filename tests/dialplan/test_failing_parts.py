"""Issue 11: hostile values in every admin field and failing parts never stop call routing.

``continuity serve`` runs as a real subprocess (as in ``test_app_down``) with
every fault at once: lines named with line breaks, control characters,
quotes and semicolons, or 10,000 characters, and numbers labelled the same;
a waiting voicemail on such a line, with a notice address and SMTP set (the
e-mail header used to raise and take ``serve`` down); a state cache that
cannot be written (a directory where the file goes); and call-record inserts
that PostgreSQL refuses. Real calls still land where the state says, admin
changes still take effect, and the records reach the database once it takes
them again.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from continuity import names
from continuity.admin import Admin, SettingsChange
from continuity.agi.ami import AmiSession
from continuity.compose import App, make_dialplan_sync
from continuity.compose_parts import ami_credentials
from continuity.config import Config
from continuity.core.model import Line, LineKind, TrackingNumber
from continuity.db import migrate
from continuity.db.pool import Pool
from continuity.db.records import CallRecordStore
from continuity.db.store import Store
from continuity.db.voicemail import VoicemailStore
from continuity.errors import ContinuityError
from continuity.supervise import Work
from continuity.voicemail.prompts import PromptStore
from continuity.voicemail.service import VoicemailAdmin
from continuity.voicemail.spool import Spool
from localstack import LocalStack, temporary_database
from localstack.product import product_config, wait_for_state, wait_until_ready
from tests.dialplan.calls import Landing, landing, quiet
from tests.dialplan.processes import REPO, environment
from tests.dialplan.test_app_down import Serve, until
from tests.scenario import external
from tests.voicemail.test_notifier import deposit

ANSWERING_SERVICE = "+13125550160"
CRLF_NAME = "Sales\r\nBcc: spy@example.net\r\n\r\nfake body"
CONTROLS_NAME = "bell\x07 esc\x1b[31m del\x7f tab\t vt\x0b ff\x0c nel\x85 ls\u2028"
SYNTAX_NAME = 'Zoë O\'Brien "q" `x` ; ;-- }[evil]\nexten => _X.,1,Dial(PJSIP/x) ${EXTEN} $[1]'
#: line id -> (its name, its tracking number)
LINES = {
    "crlf": (CRLF_NAME, "+12125550301"),
    "controls": (CONTROLS_NAME, "+12125550302"),
    "syntax": (SYNTAX_NAME, "+12125550303"),
    "long": ("long " + "x" * 10_000, "+12125550304"),
}
#: Free-text targets the admin layer may refuse. If it takes them, the fallback dialplan
#: refuses to render them (the previous one stays) and the app routes on.
HOSTILE_TARGETS = ("+1312555\r\n[evil]", 'x" ;,&PJSIP/evil', "y" * 5_000)
MESSAGE = "1795319043-00000301"
#: The number the worker-failure test adds (on a hostile line) and removes.
OWN_NUMBER = "+12125550305"


@pytest.fixture(scope="module")
async def failing_db(
    database_url: str, own_stack: LocalStack, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    """A database of this module's own, holding the hostile state."""
    async with temporary_database(database_url) as url:
        await migrate.upgrade(url)
        await hostile_state(url, product_config(own_stack, url, tmp_path_factory.mktemp("s")))
        yield url


async def hostile_state(url: str, config: Config) -> None:
    """Every admin field given a hostile value, through the admin layer as an admin would."""
    async with Pool(url, open=False, min_size=1, max_size=1) as pool:
        store = Store(pool)
        admin = Admin(store, "test\r\nadmin; 'x'")
        voicemail = VoicemailAdmin(
            store,
            VoicemailStore(pool),
            PromptStore(config.asterisk_spool_dir),
            Spool(config.asterisk_spool_dir),
            "test",
        )
        for line_id, (_, number) in LINES.items():
            await admin.add_line(Line(line_id, LineKind.DEPARTMENT, name=line_id))
            await admin.add_number(TrackingNumber(number, label=line_id, line=line_id))
        # The service refuses these names now; rows stored before it did (or behind the
        # admin's back) must still not stop routing.
        async with pool.connection() as conn:
            for line_id, (name, number) in LINES.items():
                await conn.execute("UPDATE lines SET name = %s WHERE id = %s", (name, line_id))
                await conn.execute(
                    "UPDATE tracking_numbers SET label = %s WHERE number = %s", (name, number)
                )
        await voicemail.set_email("crlf", "desk@example.com")
        with contextlib.suppress(ContinuityError):  # refused: fine, nothing was written
            await voicemail.set_email("syntax", "o'brien\"x@example.com")
        # The install ran with these before the targets below came: its fallback dialplan
        # (with the entry to the app) was applied. A target the renderer refuses keeps it.
        ami = AmiSession(ami_credentials(config))
        try:
            await make_dialplan_sync(config, ami).apply(await store.load_snapshot())
        finally:
            ami.close()
        for i, target in enumerate(HOSTILE_TARGETS):
            number = f"+1212555039{i}"
            await admin.add_number(TrackingNumber(number, label=f"hostile {i}", line="syntax"))
            for attempt in (
                admin.change_number(number, SettingsChange(), primary_target=target),
                admin.change_number(number, SettingsChange(on=True, destination=external(target))),
                admin.change_line("controls", SettingsChange(), name=target),
            ):
                with contextlib.suppress(ContinuityError):  # refused: nothing was written
                    await attempt


async def refuse_call_records(url: str, refuse: bool) -> None:
    """A trigger makes PostgreSQL refuse every call-record insert (or stop refusing)."""
    pool = Pool(url, open=False, min_size=1, max_size=1)
    async with pool, pool.connection() as conn:
        if refuse:
            await conn.execute(
                "CREATE FUNCTION refuse_records() RETURNS trigger LANGUAGE plpgsql AS "
                "$$BEGIN RAISE EXCEPTION 'could not extend file: No space left on device';"
                " END$$"
            )
            await conn.execute(
                "CREATE TRIGGER refuse_records BEFORE INSERT ON call_records"
                " FOR EACH ROW EXECUTE FUNCTION refuse_records()"
            )
        else:
            await conn.execute("DROP TRIGGER refuse_records ON call_records")


@pytest.fixture
async def serve(own_stack: LocalStack, failing_db: str, tmp_path: Path) -> AsyncIterator[Serve]:
    config = product_config(own_stack, failing_db, tmp_path / "state")
    spool = Spool(config.asterisk_spool_dir)
    for box in LINES:
        deposit(config.asterisk_spool_dir, box, MESSAGE)
    (tmp_path / "state" / "routing-state.json").mkdir(parents=True)
    await refuse_call_records(failing_db, True)
    await own_stack.reset()  # no calls, every number answers, no mail received
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "continuity", "serve",
            env=environment(config), cwd=REPO, stdout=out, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
    running = Serve(process, log)

    async def ready() -> bool:
        return names.ARI_APP in await own_stack.pbx.cli("ari show apps")

    try:
        await until(ready, "starting", running)
        yield running
    finally:
        if process.returncode is None:
            process.kill()
        await process.wait()
        for box in LINES:
            shutil.rmtree(spool.box_dir(box), ignore_errors=True)


async def test_hostile_values_and_failing_parts_never_stop_calls_from_routing(
    own_stack: LocalStack, serve: Serve, failing_db: str
) -> None:
    stack = own_stack

    async def call(number: str) -> Landing:
        placed = await stack.place_call(number, "+13125550112")
        where = await landing(stack, placed)
        await placed.hangup()
        await placed.wait_ended()
        await quiet(stack)
        return where

    # The notice for the message on the line named with line breaks goes out, on one line.
    received = await stack.mail.wait_for(1, timeout=20)
    [mail] = [m for m in received if m.recipients == ("desk@example.com",)]
    assert mail.message["Subject"].startswith("Voicemail for Sales Bcc: spy@example.net fake body")
    assert mail.message["Bcc"] is None

    numbers = [number for _, number in LINES.values()]
    where = {number: await call(number) for number in numbers}
    assert where == {n: Landing([("primary", n, "answer")], "answered") for n in numbers}, (
        serve.tail()
    )

    # An admin change is routed with at once, though the state cache still cannot be written.
    async with Pool(failing_db, open=False, min_size=1, max_size=1) as pool:
        crlf_number = LINES["crlf"][1]
        # The service refuses to edit a row it would refuse: the admin fixes the label first.
        async with pool.connection() as conn:
            await conn.execute(
                "UPDATE tracking_numbers SET label = 'fixed' WHERE number = %s", (crlf_number,)
            )
        on = SettingsChange(on=True, destination=external(ANSWERING_SERVICE))
        await Admin(Store(pool), "test").change_number(crlf_number, on)

        async def switched() -> bool:
            where = await call(crlf_number)
            return where == Landing([("pstn", ANSWERING_SERVICE, "answer")], "answered")

        await until(switched, "routing the change", serve)
        back = SettingsChange(on=None, destination=None)  # as it was, for the next test
        await Admin(Store(pool), "test").change_number(crlf_number, back)

        # PostgreSQL takes call records again: the ones it refused arrive from the spool.
        await refuse_call_records(failing_db, False)
        records = CallRecordStore(pool)

        async def all_recorded() -> bool:
            recorded = {r.tracking_number for r in await records.recent(100)}
            return recorded >= {number for _, number in LINES.values()}

        await until(all_recorded, "flushing call records", serve, timeout=40)

    assert serve.process.returncode is None
    log = serve.log.read_text(errors="replace")
    assert log.count("could not write the routing state cache") == 1
    assert "Traceback" not in log


def failing_first(work: Callable[[], Awaitable[None]], runs: list[str]) -> Work:
    """``work``, except that its first two runs raise what no worker expects."""

    async def run() -> None:
        runs.append("run")
        if len(runs) <= 2:
            raise RuntimeError(f"forced failure {len(runs)}")
        await work()

    return run


async def test_every_background_worker_that_raises_is_restarted_and_calls_route_meanwhile(
    own_stack: LocalStack,
    failing_db: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    stack = own_stack
    await stack.reset()
    number = OWN_NUMBER
    async with Pool(failing_db, open=False, min_size=1, max_size=1) as pool:
        await Admin(Store(pool), "test").add_number(
            TrackingNumber(number, label="own", line="controls")
        )
    app = App(product_config(stack, failing_db, tmp_path / "state"))
    #: worker name (as supervise logs it) -> its runs
    runs: dict[str, list[str]] = {}
    for owner, attribute, worker in [
        (app.snapshots, "run", "snapshot-changes"),
        (app.recorder, "run", "call-records"),
        (app.outages, "run", "outages"),
        (app.voicemail, "run", "voicemail-notices"),
        (app.dialplan_retry, "run", "dialplan-retry"),
    ]:
        runs[worker] = []
        flaky = failing_first(getattr(owner, attribute), runs[worker])
        monkeypatch.setattr(owner, attribute, flaky)
    task = asyncio.create_task(app.run(), name="continuity-app")
    try:
        await wait_until_ready(app, task)
        async with asyncio.timeout(20):
            while any(len(r) < 3 for r in runs.values()):
                await asyncio.sleep(0.05)

        call = await stack.place_call(number, "+13125550112")
        assert await landing(stack, call) == Landing([("primary", number, "answer")], "answered")
        await call.hangup()
        await call.wait_ended()
        await quiet(stack)

        # The restarted change follower still routes an admin's change.
        async with Pool(failing_db, open=False, min_size=1, max_size=1) as pool:
            on = SettingsChange(on=True, destination=external(ANSWERING_SERVICE))
            await Admin(Store(pool), "test").change_number(number, on)
        version = (await app.store.load_snapshot()).version
        await wait_for_state(app, version)
        call = await stack.place_call(number, "+13125550112")
        assert await landing(stack, call) == Landing(
            [("pstn", ANSWERING_SERVICE, "answer")], "answered"
        )
        await call.hangup()
        await call.wait_ended()
        await quiet(stack)
        assert not task.done()
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        async with Pool(failing_db, open=False, min_size=1, max_size=1) as pool:
            await Admin(Store(pool), "test").remove_number(number)

    restarts = [r.getMessage() for r in caplog.records if r.name == "continuity.supervise"]
    for worker in runs:
        assert sum(m.startswith(f"{worker} failed") for m in restarts) == 2, restarts
