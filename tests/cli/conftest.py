"""The `continuity` command run in this process (the same ``main``), against a fresh database."""

from __future__ import annotations

import subprocess
from collections.abc import AsyncIterator, Callable

import pytest

from continuity.cli import main
from localstack import temporary_database

Run = Callable[..., subprocess.CompletedProcess[str]]


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
            try:
                code = main(list(args))
            except SystemExit as exc:  # --help, or a usage error: argparse exits
                code = exc.code if isinstance(exc.code, int) else 1
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess(list(args), code, out, err)

    return invoke


@pytest.fixture
def upgraded(run: Run) -> None:
    """The fresh database at the current schema (for modules that mark themselves so)."""
    assert run("db", "upgrade").returncode == 0
