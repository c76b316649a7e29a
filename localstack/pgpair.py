"""Two PostgreSQL servers from Debian's binaries: a primary and a streaming standby.

For the database-failover test: the app gets a multi-host URL with
``target_session_attrs=read-write``; :meth:`PostgresPair.fail_over` stops the
primary at once (as a crash would) and promotes the standby, which is what
Patroni or a managed service does in production.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import tempfile
from pathlib import Path
from types import TracebackType

import psycopg

from localstack.errors import PostgresUnavailableError
from localstack.ports import LOOPBACK, PortAllocator

logger = logging.getLogger(__name__)

#: Debian runs the server as this user; initdb refuses root.
OS_USER = "postgres"


def _bin(name: str) -> str:
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
    if not versions:
        raise PostgresUnavailableError(
            "no PostgreSQL server binaries under /usr/lib/postgresql: install Debian's "
            "postgresql package (./dev does)"
        )
    return str(versions[-1] / name)


class PostgresPair:
    """``async with PostgresPair() as pair:``; ``pair.url(db)`` names both servers."""

    def __init__(self, ports: PortAllocator | None = None) -> None:
        allocate = ports or PortAllocator()
        self.primary_port = allocate.tcp()
        self.standby_port = allocate.tcp()
        self._dir = Path(tempfile.mkdtemp(prefix="pgpair-"))
        shutil.chown(self._dir, OS_USER, OS_USER)
        self.primary_data = self._dir / "primary"
        self.standby_data = self._dir / "standby"

    def url(self, dbname: str = "postgres") -> str:
        hosts = f"{LOOPBACK}:{self.primary_port},{LOOPBACK}:{self.standby_port}"
        return f"postgresql://postgres@{hosts}/{dbname}?target_session_attrs=read-write"

    def server_url(self, port: int, dbname: str = "postgres") -> str:
        return f"postgresql://postgres@{LOOPBACK}:{port}/{dbname}"

    async def _as_postgres(self, *argv: str) -> None:
        proc = await asyncio.create_subprocess_exec(
            "runuser", "-u", OS_USER, "--", *argv,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )
        out, _ = await proc.communicate()
        if proc.returncode != 0:
            raise PostgresUnavailableError(
                f"{' '.join(argv)} failed ({proc.returncode}): {out.decode(errors='replace')}"
            )

    async def _start(self, data: Path, port: int, *options: str) -> None:
        extra = "".join(f" -c {option}" for option in options)
        await self._as_postgres(
            _bin("pg_ctl"), "-D", str(data), "-l", str(data / "server.log"), "-w", "-t", "30",
            "-o", f"-p {port} -k {self._dir} -c listen_addresses={LOOPBACK}{extra}", "start",
        )

    async def start(self) -> None:
        await self._as_postgres(
            _bin("initdb"), "-D", str(self.primary_data), "-U", "postgres", "--auth=trust",
            "--no-sync",
        )
        with (self.primary_data / "postgresql.conf").open("a") as conf:
            conf.write(
                "wal_level = replica\nmax_wal_senders = 5\nhot_standby = on\n"
                "fsync = off\nwal_keep_size = 64MB\n"
                # A commit waits until the standby has it: a record the app was told is
                # written survives the primary's death (Patroni's synchronous_mode).
                "synchronous_commit = on\nsynchronous_standby_names = '*'\n"
            )
        with (self.primary_data / "pg_hba.conf").open("a") as hba:
            hba.write(f"host replication postgres {LOOPBACK}/32 trust\n")
        await self._start(self.primary_data, self.primary_port)
        await self._as_postgres(
            _bin("pg_basebackup"), "-h", LOOPBACK, "-p", str(self.primary_port), "-U", "postgres",
            "-D", str(self.standby_data), "-R", "-X", "stream", "--no-sync",
        )
        # Once promoted it has no standby of its own: it must not wait for one.
        await self._start(self.standby_data, self.standby_port, "synchronous_standby_names=")
        logger.info("postgres pair: primary %s, standby %s", self.primary_port, self.standby_port)

    async def replicated(self, timeout: float = 10.0) -> None:
        """Until the standby has replayed everything the primary wrote so far."""
        async with await psycopg.AsyncConnection.connect(
            self.server_url(self.primary_port), autocommit=True
        ) as conn:
            cur = await conn.execute("SELECT pg_current_wal_lsn()::text")
            row = await cur.fetchone()
            assert row is not None
            target = row[0]
        async with (
            asyncio.timeout(timeout),
            await psycopg.AsyncConnection.connect(
                self.server_url(self.standby_port), autocommit=True
            ) as standby,
        ):
            while True:
                cur = await standby.execute(
                    "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (target,)
                )
                done = await cur.fetchone()
                if done is not None and done[0]:
                    return
                await asyncio.sleep(0.05)

    async def fail_over(self) -> None:
        """The primary dies (immediate stop) and the standby is promoted to primary."""
        await self._as_postgres(_bin("pg_ctl"), "-D", str(self.primary_data), "-m", "immediate",
                                "stop")
        await self._as_postgres(_bin("pg_ctl"), "-D", str(self.standby_data), "-w", "promote")
        logger.info("postgres failed over to port %s", self.standby_port)

    async def stop(self) -> None:
        for data in (self.standby_data, self.primary_data):
            if (data / "postmaster.pid").exists():
                try:
                    await self._as_postgres(_bin("pg_ctl"), "-D", str(data), "-m", "immediate",
                                            "stop")
                except PostgresUnavailableError as exc:
                    logger.warning("stopping %s: %s", data, exc)
        shutil.rmtree(self._dir, ignore_errors=True)

    async def __aenter__(self) -> PostgresPair:
        try:
            await self.start()
        except BaseException:
            await self.stop()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()
