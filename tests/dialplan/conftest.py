"""A local stack and a database of this package's own: no running app listens to them.

The session's app keeps its pbx's generated files current, and would answer
calls and rewrite files a test here needs to own. These are started once for
the package.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from continuity.db import migrate
from localstack import LocalStack, temporary_database


@pytest.fixture(scope="package")
async def own_stack(rootfs: Path) -> AsyncIterator[LocalStack]:
    # Enough RTP ports for the load-with-kill test's concurrent calls.
    async with LocalStack(rootfs, pbx_rtp_ports=1000) as stack:
        yield stack


@pytest.fixture(scope="package")
async def own_db(database_url: str) -> AsyncIterator[str]:
    async with temporary_database(database_url) as url:
        await migrate.upgrade(url)
        yield url
