"""The same stack in containers, for machines with a Docker engine.

Optional: needs ``pip install 'testcontainers[postgres]'`` and a Docker
engine; neither is used by CI, which runs the chroot stack instead. The
``testcontainers`` package is imported only when one of these is called.
"""

from __future__ import annotations

import importlib
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from localstack.errors import TestcontainersMissingError

DOCKER_DIR = Path(__file__).resolve().parent.parent / "docker"


def _testcontainers(module: str) -> ModuleType:
    try:
        return importlib.import_module(f"testcontainers.{module}")
    except ImportError as error:
        raise TestcontainersMissingError(
            "the container stack needs the optional testcontainers package and a Docker "
            "engine: pip install 'testcontainers[postgres]' (or use localstack.LocalStack, "
            "which runs Asterisk with chroot and needs neither)"
        ) from error


@contextmanager
def postgres_container(image: str = "postgres:15") -> Iterator[str]:
    """Run PostgreSQL in a container; yields its connection URL."""
    container: Any = _testcontainers("postgres").PostgresContainer(image, driver=None)
    with container:
        yield str(container.get_connection_url())


@dataclass(frozen=True)
class ComposeStack:
    """Where the services of ``docker/compose.yaml`` listen on this machine."""

    ari_url: str
    ari_username: str
    ari_password: str = field(repr=False)
    database_url: str = field(repr=False)


@contextmanager
def compose_stack(
    *, ari_password: str, postgres_password: str, build: bool = True
) -> Iterator[ComposeStack]:
    """Start ``docker/compose.yaml`` (pbx, postgres, app); stop it afterwards.

    Passwords go to compose through an env file, as a user's ``docker/.env``
    would; host ports are left to Docker (0), never fixed.
    """
    compose_module = _testcontainers("compose")
    settings = {
        "ARI_PASSWORD": ari_password,
        "POSTGRES_PASSWORD": postgres_password,
        "ARI_HOST_PORT": "0",
        "POSTGRES_HOST_PORT": "0",
    }
    with tempfile.NamedTemporaryFile("w", suffix=".env") as env_file:
        env_file.write("".join(f"{key}={value}\n" for key, value in settings.items()))
        env_file.flush()
        compose: Any = compose_module.DockerCompose(
            context=str(DOCKER_DIR),
            compose_file_name="compose.yaml",
            build=build,
            env_file=env_file.name,
        )
        with compose:
            ari_port = compose.get_service_port("pbx", 8088)
            db_port = compose.get_service_port("postgres", 5432)
            database = f"continuity:{postgres_password}@127.0.0.1:{db_port}/continuity"
            yield ComposeStack(
                ari_url=f"http://127.0.0.1:{ari_port}/ari",
                ari_username="continuity",
                ari_password=ari_password,
                database_url=f"postgresql://{database}",
            )
