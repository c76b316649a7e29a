"""A local test and demo stack: real Asterisk in chroots, real PostgreSQL.

Nothing here is imported by the product. Tests and demos use it to start a
``pbx`` (the Asterisk under test) and a ``carrier`` (the phone network around
it) from a cached Debian rootfs built by :func:`ensure_rootfs`.

Names are imported lazily, so ``python -m localstack.pbxconfig`` needs only
jinja2 (the container image's build stage relies on that).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from localstack.ami import AmiClient
    from localstack.carrier import Observation, PlacedCall
    from localstack.credentials import AmiCredentials, AriCredentials
    from localstack.errors import (
        AsteriskStartError,
        LocalStackError,
        PostgresUnavailableError,
        RootfsBuildError,
        TestcontainersMissingError,
    )
    from localstack.instance import AsteriskInstance
    from localstack.postgres import resolve_database_url, temporary_database
    from localstack.rootfs import ensure_rootfs
    from localstack.stack import LocalStack

_EXPORTS = {
    "AmiClient": "ami",
    "AmiCredentials": "credentials",
    "AriCredentials": "credentials",
    "AsteriskInstance": "instance",
    "AsteriskStartError": "errors",
    "LocalStack": "stack",
    "LocalStackError": "errors",
    "Observation": "carrier",
    "PlacedCall": "carrier",
    "PostgresUnavailableError": "errors",
    "RootfsBuildError": "errors",
    "TestcontainersMissingError": "errors",
    "ensure_rootfs": "rootfs",
    "resolve_database_url": "postgres",
    "temporary_database": "postgres",
}
__all__ = [
    "AmiClient",
    "AmiCredentials",
    "AriCredentials",
    "AsteriskInstance",
    "AsteriskStartError",
    "LocalStack",
    "LocalStackError",
    "Observation",
    "PlacedCall",
    "PostgresUnavailableError",
    "RootfsBuildError",
    "TestcontainersMissingError",
    "ensure_rootfs",
    "resolve_database_url",
    "temporary_database",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'localstack' has no attribute {name!r}")
    return getattr(importlib.import_module(f"localstack.{module}"), name)
