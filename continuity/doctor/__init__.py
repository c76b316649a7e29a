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

__all__ = ["Result", "Status", "as_json", "as_text", "diagnose", "healthy"]


async def diagnose(config: Config, ami_login: AmiCredentials) -> list[Result]:
    """Every check, in a fixed order; independent ones run at the same time."""
    async with httpx.AsyncClient(trust_env=False) as http:
        ari, ami, (database, smtp, webhook, metrics, web) = await asyncio.gather(
            check_ari(config, http),
            check_ami(config, ami_login),
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
        database,
        *check_directories(config),
        smtp,
        webhook,
        metrics,
        web,
    ]
