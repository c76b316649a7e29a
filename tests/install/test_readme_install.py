"""Issue 12: the README's install section, step by step, on an Asterisk the test stack did
not configure, then real calls through it (carrier -> tracking number -> primary).

The pbx here has only what an admin writes by hand: a transport, the carrier's
inbound endpoint and its identify, an AMI user with exactly the documented
privileges. The product's files are added the way the README says.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import secrets
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from continuity import names
from continuity.install import AMI_PRIVILEGES
from localstack import LocalStack, temporary_database
from localstack.instance import AsteriskInstance
from localstack.ports import LOOPBACK, PortAllocator
from localstack.postgres import as_role, temporary_role
from localstack.process import terminate

REPO = Path(__file__).resolve().parents[2]
TRANSPORT = "transport-udp"
AMI_USER, AMI_SECRET = "continuity", secrets.token_urlsafe(18)
WEBSITE = "+12125550101"


def admin_configs(pbx: AsteriskInstance) -> dict[str, str]:
    """What an admin has before installing the product (README step 4 for manager.conf)."""
    pjsip = f"""[global]
type = global

[{TRANSPORT}]
type = transport
protocol = udp
bind = {LOOPBACK}:{pbx.sip_port}

[{names.ENDPOINT_INBOUND}]
type = endpoint
transport = {TRANSPORT}
context = {names.CTX_TRACKING}
disallow = all
allow = ulaw,alaw
direct_media = no
rtp_symmetric = yes

[{names.ENDPOINT_INBOUND}]
type = identify
endpoint = {names.ENDPOINT_INBOUND}
match = {LOOPBACK}
"""
    extensions = f"""[general]
static = yes
writeprotect = yes

[phones]
exten => *98,1,VoiceMailMain(@{names.VOICEMAIL_CONTEXT})
"""
    voicemail = "[general]\nformat = wav49|gsm|wav\n"
    manager = "\n".join(
        [
            "[general]",
            "enabled = yes",
            f"bindaddr = {LOOPBACK}",
            f"port = {pbx.ami_port}",
            "",
            f"[{AMI_USER}]",
            f"secret = {AMI_SECRET}",
            "deny = 0.0.0.0/0.0.0.0",
            f"permit = {LOOPBACK}/255.255.255.255",
            *AMI_PRIVILEGES.lines(),
            "",
        ]
    )
    return {
        "pjsip.conf": pjsip,
        "extensions.conf": extensions,
        "voicemail.conf": voicemail,
        "manager.conf": manager,
    }


@pytest.fixture
async def fresh_pbx(rootfs: Path) -> AsyncIterator[LocalStack]:
    """A carrier, a primary, and a pbx with the admin's own configuration only."""
    async with LocalStack(rootfs, pbx_admin=admin_configs) as stack:
        yield stack


async def database_roles(superuser_url: str, owner: str, database: str) -> None:
    """README step 2, as a superuser: the database belongs to the owner role."""
    async with await psycopg.AsyncConnection.connect(superuser_url, autocommit=True) as conn:
        await conn.execute(
            sql.SQL("ALTER DATABASE {} OWNER TO {}").format(
                sql.Identifier(database), sql.Identifier(owner)
            )
        )


class Admin:
    """The admin's shell: ``continuity`` with the config file, as a real process."""

    def __init__(self, config_file: Path) -> None:
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("CONTINUITY_")}
        self.env.update(CONTINUITY_CONFIG=str(config_file), PYTHONPATH=str(REPO))

    async def run(self, *args: str, **env: str) -> tuple[int, str, str]:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "continuity", *args,
            env={**self.env, **env}, cwd=REPO, stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, err = await asyncio.wait_for(proc.communicate(), 60)
        assert proc.returncode is not None
        return proc.returncode, out.decode(), err.decode()

    async def ok(self, *args: str, **env: str) -> str:
        code, out, err = await self.run(*args, **env)
        assert code == 0, f"continuity {' '.join(args)} exited {code}:\n{out}\n{err}"
        assert "warning" not in err.lower(), err
        return out


def config_file(path: Path, stack: LocalStack, runtime_url: str, state: Path) -> Path:
    pbx = stack.pbx
    settings = {
        "database_url": runtime_url,
        "ari_url": pbx.ari.url.removesuffix("/ari"),
        "ari_username": pbx.ari.username,
        "ari_password": pbx.ari.password,
        "ami_host": LOOPBACK,
        "ami_port": pbx.ami_port,
        "ami_username": AMI_USER,
        "ami_secret": AMI_SECRET,
        "asterisk_config_dir": str(pbx.etc_dir),
        "asterisk_spool_dir": str(pbx.root / "spool"),
        "state_dir": str(state),
        "primary_trunk": stack.primary_contact,
        "pstn_trunk": stack.pstn_contact,
        "trunk_transport": TRANSPORT,
        "trunk_qualify_frequency": 1,
        "agi_port": PortAllocator().tcp(),
    }
    path.write_text(
        "".join(
            f"{key} = {value}\n" if isinstance(value, int) else f'{key} = "{value}"\n'
            for key, value in settings.items()
        )
    )
    path.chmod(0o600)
    return path


def add_printed_lines(install_output: str) -> list[str]:
    """README step 6: add each line `continuity install` printed to the file it named."""
    added = re.findall(r"^  (\S+) \([^)]*\):\n    (#include .+)$", install_output, re.MULTILINE)
    for file, line in added:
        with Path(file).open("a", encoding="utf-8") as fh:
            fh.write(f"\n{line}\n")
    return [Path(file).name for file, _ in added]


@contextlib.asynccontextmanager
async def serving(admin: Admin, log: Path) -> AsyncIterator[asyncio.subprocess.Process]:
    """README step 7: `continuity serve` under a supervisor; stopped with SIGTERM."""
    with log.open("wb") as out:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "continuity", "serve",
            env=admin.env, cwd=REPO, stdin=asyncio.subprocess.DEVNULL,
            stdout=out, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
    try:
        yield proc
    finally:
        await terminate(proc, 10)


def text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


async def until(
    check: Callable[[], Awaitable[bool]], proc: asyncio.subprocess.Process, log: Path
) -> None:
    """Until ``check()`` holds; fails at once with serve's log if serve exited."""
    async with asyncio.timeout(20):
        while not await check():
            if proc.returncode is not None:
                raise AssertionError(f"serve exited {proc.returncode}:\n{text(log)}")
            await asyncio.sleep(0.1)


async def test_the_readme_install_on_a_fresh_asterisk_routes_a_real_call_to_the_primary(
    fresh_pbx: LocalStack, database_url: str, tmp_path: Path
) -> None:
    stack, pbx = fresh_pbx, fresh_pbx.pbx
    async with contextlib.AsyncExitStack() as cleanup:
        # Step 2: the owner and runtime roles, the schema as the owner, the grant.
        owner = await cleanup.enter_async_context(temporary_role(database_url))
        runtime = await cleanup.enter_async_context(temporary_role(database_url))
        url = await cleanup.enter_async_context(temporary_database(database_url))
        await database_roles(database_url, owner[0], url.rsplit("/", 1)[-1])
        # Step 3: the config file, readable by the service only.
        admin = Admin(
            config_file(
                tmp_path / "continuity.toml", stack, as_role(url, *runtime), tmp_path / "state"
            )
        )
        upgraded = await admin.ok(
            "db", "upgrade", "--grant-runtime", runtime[0],
            CONTINUITY_DATABASE_URL=as_role(url, *owner),
        )  # fmt: skip
        assert f"runtime role {runtime[0]}" in upgraded

        # Step 5: the generated files exist before any #include names them.
        installed = await admin.ok("install")
        generated = pbx.etc_dir / names.GENERATED_DIR
        assert sorted(p.name for p in generated.iterdir()) == sorted(
            [names.GENERATED_EXTENSIONS, names.GENERATED_PJSIP, names.GENERATED_VOICEMAIL]
        )
        assert f"[{names.ENDPOINT_PRIMARY}]" in (generated / names.GENERATED_PJSIP).read_text()
        for line in AMI_PRIVILEGES.lines():
            assert line in installed
        assert "fallback_store = astdb: each number's route is a key of Asterisk" in installed
        code, _, _ = await admin.run("install", "--check")
        assert code == 1  # the includes are not there yet

        # Step 6: the printed lines, then core reload.
        assert sorted(add_printed_lines(installed)) == [
            "extensions.conf",
            "pjsip.conf",
            "voicemail.conf",
        ]
        await pbx.cli("core reload")
        again = await admin.ok("install")
        assert "wrote" not in again and "every generated file" in again
        assert (await admin.run("install", "--check"))[0] == 0
        endpoint = await pbx.cli(f"pjsip show endpoint {names.ENDPOINT_PRIMARY}")
        assert stack.primary_contact in endpoint

        # Step 7: serve as the runtime role; an admin adds a number.
        log = tmp_path / "serve.log"
        async with serving(admin, log) as serve:

            async def app_registered() -> bool:
                return names.ARI_APP in await pbx.cli("ari show apps")

            await until(app_registered, serve, log)
            await admin.ok("number", "add", WEBSITE, "--label", "Website")

            async def routed() -> bool:  # the fallback's route of it, in AstDB (the default)
                shown = await pbx.cli(f"database show {names.ASTDB_FAMILY}")
                return f"/{names.ASTDB_FAMILY}/{WEBSITE}" in shown

            await until(routed, serve, log)
            await stack.wait_reachable(names.ENDPOINT_PRIMARY)

            # The carrier's caller dials the tracking number; the primary answers.
            for _ in range(2):
                call = await stack.place_call(WEBSITE, hold_seconds=1)
                await call.wait_answered()
                await call.wait_ended()
            reached = [o for o in stack.carrier_observations() if o.number == WEBSITE]
            assert [o.role for o in reached] == ["primary", "primary"]

        # One AMI login for every reload; none of the noise the issue counted.
        output = text(log)
        assert "protocol version" not in output
        assert "trunk_transport" not in output
        assert "is not qualified" not in output
        assert output.count("AMI session open") == 1, output
