"""`continuity doctor`: checks a real install end to end and says how to fix each fault."""

from __future__ import annotations

import asyncio

import httpx

from continuity.agi.ami import AmiCredentials
from continuity.config import Config
from continuity.doctor.ami import check_ami
from continuity.doctor.ari import check_ari
from continuity.doctor.local import (
    check_database,
    check_directories,
    check_listener,
    check_smtp,
    check_webhook,
)
from continuity.doctor.result import Result, Status, as_json, as_text, healthy
from continuity.doctor.routes import ExpectedRoutes, LoadExpected, check_fallback_routes

__all__ = [
    "ExpectedRoutes",
    "LoadExpected",
    "Result",
    "Status",
    "as_json",
    "as_text",
    "diagnose",
    "healthy",
]


async def diagnose(
    config: Config, ami_login: AmiCredentials, expected_routes: LoadExpected
) -> list[Result]:
    """Every check, in a fixed order; independent ones run at the same time.
    ``expected_routes`` loads the routing state's fallback routes (PostgreSQL)."""
    async with httpx.AsyncClient(trust_env=False) as http:
        ari, ami, routes, (database, smtp, webhook, metrics, web) = await asyncio.gather(
            check_ari(config, http),
            check_ami(config, ami_login),
            check_fallback_routes(config, ami_login, expected_routes),
            asyncio.gather(
                check_database(config),
                check_smtp(config),
                check_webhook(config),
                check_listener("metrics listener", "metrics_listen", config.metrics_listen),
                # The web console's listener, once that setting exists.
                check_listener(
                    "web listener", "web_listen", str(getattr(config, "web_listen", ""))
                ),
            ),
        )
    return [
        *ari,
        *ami,
        routes,
        database,
        *check_directories(config),
        smtp,
        webhook,
        metrics,
        web,
    ]
