"""Builds the generated files' renderers, checks, reloads and verifications from the config.

The composition root calls :func:`generated_files`; :class:`DialplanSync`
applies them. Every reload and every question to Asterisk goes over the one
AMI session it is given.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable

from continuity.agi.ami import AmiActions, AmiError
from continuity.agi.loaded import dialplan_context, endpoint_contacts
from continuity.config import Config, Dialing, FallbackStore
from continuity.core.model import Snapshot, TrunkHealth
from continuity.dialplan_astdb import AstDbRoutes
from continuity.dialplan_sync import GeneratedFile, Loaded, Reload
from continuity.dialplan_templates.astdb import route_entries
from continuity.dialplan_templates.parse import expected_dialplan
from continuity.dialplan_templates.pjsip import (
    TrunkSettings,
    expected_contacts,
    pjsip_path,
    render_pjsip,
)
from continuity.dialplan_templates.render import extensions_path, render_extensions
from continuity.install import reload_hint
from continuity.router import Router

log = logging.getLogger(__name__)

#: An AMI question about one section (a context, an endpoint).
Ask = Callable[[AmiActions, str], Awaitable[set[tuple[object, ...]]]]


def trunk_settings(config: Config) -> TrunkSettings | None:
    """The trunks to render, or ``None`` when the admin defines them."""
    if not (config.primary_trunk and config.pstn_trunk):
        return None
    return TrunkSettings(
        config.primary_trunk,
        config.pstn_trunk,
        config.trunk_qualify_frequency,
        config.trunk_qualify_timeout,
        config.trunk_transport,
    )


def _reload(ami: AmiActions, command: str) -> Reload:
    async def reload() -> None:
        try:
            await ami.command(command)
        except AmiError as exc:
            raise AmiError(f"{exc}{reload_hint(command, str(exc))}") from exc

    return reload


def _loaded(ami: AmiActions, ask: Ask) -> Loaded:
    async def loaded(section: str) -> set[tuple[object, ...]]:
        return await ask(ami, section)

    return loaded


def astdb_routes(
    config: Config, ami: AmiActions, router: Router | None = None
) -> AstDbRoutes | None:
    """The numbers' routes in AstDB, when ``fallback_store = astdb``; around a primary
    that ``router`` knows is down, like the file."""
    if config.fallback_store != FallbackStore.ASTDB:
        return None

    def health() -> TrunkHealth:
        return router.health if router is not None else TrunkHealth()

    def entries(snapshot: Snapshot, trunks: TrunkHealth, only: set[str] | None) -> dict[str, str]:
        return route_entries(snapshot, config.dial_timeout, trunks, only)

    return AstDbRoutes(ami, entries, health)


def accepted_routes(config: Config, snapshot: Snapshot) -> dict[str, frozenset[str]]:
    """Each number's AstDB values the app may hold for ``snapshot``: its route with the
    primary up, and the one around a primary that is down (for `continuity doctor`).
    Pure CPU: call it off the event loop."""
    up = route_entries(snapshot, config.dial_timeout, TrunkHealth())
    down = route_entries(snapshot, config.dial_timeout, TrunkHealth(primary_down=True))
    return {n: frozenset(v for v in (up.get(n), down.get(n)) if v is not None)
            for n in up.keys() | down.keys()}  # fmt: skip


def generated_files(
    config: Config, ami: AmiActions, router: Router | None = None
) -> list[GeneratedFile]:
    """The files the product writes into Asterisk's configuration. The dialplan routes
    around a primary that ``router`` knows is down; without a router, none is."""
    astdb = config.fallback_store == FallbackStore.ASTDB
    dialplan_dials = config.dialing is Dialing.DIALPLAN

    def extensions(snapshot: Snapshot) -> str:
        health = router.health if router is not None else TrunkHealth()
        return render_extensions(
            snapshot,
            config.unknown_number,
            config.dial_timeout,
            health,
            astdb=astdb,
            dialplan_dials=dialplan_dials,
        )

    files = [
        GeneratedFile(
            extensions_path(config.asterisk_config_dir),
            extensions,
            expected_dialplan,
            _reload(ami, "dialplan reload"),
            _loaded(ami, dialplan_context),
        )
    ]
    trunks = trunk_settings(config)
    if trunks is not None:
        files.append(
            GeneratedFile(
                pjsip_path(config.asterisk_config_dir),
                lambda snapshot: render_pjsip(
                    dataclasses.replace(
                        trunks, send_history_info=snapshot.account.send_history_info
                    )
                ),
                expected_contacts,
                _reload(ami, "module reload res_pjsip.so"),
                _loaded(ami, endpoint_contacts),
            )
        )
    return files
