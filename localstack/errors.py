"""Errors of the local stack, each saying what went wrong and what to do."""

from __future__ import annotations


class LocalStackError(Exception):
    """Base class: the local test stack could not do what was asked."""


class RootfsBuildError(LocalStackError):
    """The Asterisk rootfs could not be built; the message has the log tail."""


class AsteriskStartError(LocalStackError):
    """An Asterisk instance did not boot; the message has its log tail."""


class AsteriskCommandError(LocalStackError):
    """A CLI command could not be run against a running instance."""


class PostgresUnavailableError(LocalStackError):
    """No PostgreSQL server could be found or started."""


class TestcontainersMissingError(LocalStackError):
    """The optional ``testcontainers`` package is not installed."""

    __test__ = False  # not a pytest test class, despite the name
