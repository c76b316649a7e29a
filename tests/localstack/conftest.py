"""Session fixtures: the real local stack (pbx + carrier) and PostgreSQL.

On a failing test the logs both instances wrote during that test are
attached to the report. Where Asterisk cannot be started the tests fail;
they skip only outside CI on a machine where they are not root.
"""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator, Callable, Generator, Iterator
from pathlib import Path

import pytest

# tests/ is on sys.path (tests/unit is a package), and there this directory
# would shadow the real ``localstack`` package as a namespace package. Put the
# repository root first. Not needed once pytest's ``pythonpath = ["."]`` is set.
_REPO = str(Path(__file__).resolve().parents[2])
if sys.path[:1] != [_REPO]:
    sys.path.insert(0, _REPO)
if getattr(sys.modules.get("localstack"), "__file__", "") is None:
    del sys.modules["localstack"]

from localstack import LocalStack, ensure_rootfs, resolve_database_url  # noqa: E402
from localstack.instance import AsteriskInstance  # noqa: E402
from localstack.logs import LogMark  # noqa: E402

_WATCHED = pytest.StashKey[list[tuple[AsteriskInstance, LogMark]]]()


def _require_root() -> None:
    if os.geteuid() != 0 and os.environ.get("CI") != "true":
        pytest.skip("the local Asterisk stack runs with chroot and needs root")


@pytest.fixture(scope="session")
def rootfs(pytestconfig: pytest.Config) -> Iterator[Path]:
    """The cached Asterisk rootfs, built on first use (progress shown live)."""
    _require_root()
    capture = pytestconfig.pluginmanager.getplugin("capturemanager")
    if capture is None:
        yield ensure_rootfs()
        return
    with capture.global_and_fixture_disabled():
        path = ensure_rootfs()
    yield path


@pytest.fixture(scope="session")
async def local_stack(rootfs: Path) -> AsyncIterator[LocalStack]:
    async with LocalStack(rootfs) as stack:
        yield stack


@pytest.fixture
async def stack(
    local_stack: LocalStack, request: pytest.FixtureRequest
) -> AsyncIterator[LocalStack]:
    """The session's stack, reset: no calls up, every number answers, no observations."""
    await local_stack.reset()
    _watch(request, local_stack.pbx, local_stack.carrier)
    yield local_stack


AttachLogs = Callable[[AsteriskInstance], None]


@pytest.fixture
def attach_logs(request: pytest.FixtureRequest) -> AttachLogs:
    """``attach_logs(instance)``: its logs from now on go to the report if the test fails."""
    return lambda instance: _watch(request, instance)


def _watch(request: pytest.FixtureRequest, *instances: AsteriskInstance) -> None:
    watched = request.node.stash.setdefault(_WATCHED, [])
    watched.extend((instance, instance.log_mark()) for instance in instances)


@pytest.fixture(scope="session")
async def database_url() -> str:
    return await resolve_database_url()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.failed:
        for instance, mark in item.stash.get(_WATCHED, []):
            report.sections.append((f"Asterisk {instance.instance_id}", instance.logs(mark)))
    return report
