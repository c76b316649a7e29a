"""The `continuity` command run in this process (the same ``main``), against a fresh database."""

from __future__ import annotations

import logging
import subprocess
from collections.abc import AsyncIterator, Callable

import pytest

from continuity.cli import main
from localstack import temporary_database

Run = Callable[..., subprocess.CompletedProcess[str]]
#: Loggers whose level ``configure_logging`` sets, besides the root.
_LOGGERS = ("", "httpx", "panoramisk")
LoggingState = tuple[list[logging.Handler], dict[str, int]]


def _logging_state() -> LoggingState:
    return list(logging.getLogger().handlers), {n: logging.getLogger(n).level for n in _LOGGERS}


def _restore_logging(state: LoggingState) -> None:
    handlers, levels = state
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


@pytest.fixture
async def cli_db(database_url: str) -> AsyncIterator[str]:
    async with temporary_database(database_url, prefix="continuity_cli_inproc") as url:
        yield url


@pytest.fixture
def run(cli_db: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Run:
    """`continuity ARGS` in this process (the same ``main`` the command runs), for speed."""
    monkeypatch.setenv("CONTINUITY_DATABASE_URL", cli_db)
    monkeypatch.setenv("CONTINUITY_LOG_LEVEL", "ERROR")
    monkeypatch.setenv("SUDO_USER", "ops")

    def invoke(
        *args: str, env: dict[str, str] | None = None, **more: str
    ) -> subprocess.CompletedProcess[str]:
        capsys.readouterr()
        with monkeypatch.context() as patch:
            for name, value in {**(env or {}), **more}.items():
                patch.setenv(name, value)
            saved = _logging_state()
            try:
                code = main(list(args))
            except SystemExit as exc:  # --help, or a usage error: argparse exits
                code = exc.code if isinstance(exc.code, int) else 1
            finally:  # main() configures logging for a process: give pytest's back
                _restore_logging(saved)
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess(list(args), code, out, err)

    return invoke


@pytest.fixture
def upgraded(run: Run) -> None:
    """The fresh database at the current schema (for modules that mark themselves so)."""
    assert run("db", "upgrade").returncode == 0
