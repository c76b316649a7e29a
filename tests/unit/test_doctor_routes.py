"""`continuity doctor`'s fallback routes check: what AstDB holds against the state's routes."""

from __future__ import annotations

from pathlib import Path

from continuity.agi.ami import AmiCredentials
from continuity.config import Config, FallbackStore
from continuity.dialplan_plugin import accepted_routes
from continuity.doctor import ExpectedRoutes, Status
from continuity.doctor.routes import check_fallback_routes, drift
from tests.unit.test_astdb_routes import MAIN, SALES, state

STRAY = "+12125550199"
NOBODY = AmiCredentials("127.0.0.1", 1, "nobody", "")


def expected() -> ExpectedRoutes:
    return ExpectedRoutes(4, accepted_routes(Config(), state()))


def test_a_key_deleted_one_overwritten_and_one_added_are_each_named() -> None:
    routes = expected()
    main = sorted(routes.values[MAIN])[0]
    held = {SALES: main, STRAY: main}

    found = drift(routes, held)

    assert (found.missing, found.stale, found.extra) == ([MAIN], [SALES], [STRAY])
    assert found.summary() == f"1 missing ({MAIN}), 1 stale ({SALES}), 1 extra ({STRAY})"


def test_a_route_around_a_primary_found_down_is_current_too() -> None:
    routes = expected()
    assert len(routes.values[MAIN]) == 2  # through the primary, or around it
    held = {number: max(values) for number, values in routes.values.items()}
    assert not drift(routes, held)
    held = {number: min(values) for number, values in routes.values.items()}
    assert not drift(routes, held)


def test_many_differences_name_the_first_few_and_count_the_rest() -> None:
    routes = ExpectedRoutes(1, {})
    held = {f"+1212555{i:04d}": "x" for i in range(10)}
    assert drift(routes, held).summary() == (
        "10 extra (+12125550000, +12125550001, +12125550002, 7 more)"
    )


async def test_with_the_per_number_file_the_check_is_skipped(tmp_path: Path) -> None:
    async def never() -> ExpectedRoutes:
        raise AssertionError("the file store needs no routing state here")

    config = Config(fallback_store=FallbackStore.FILE, state_dir=tmp_path)
    result = await check_fallback_routes(config, NOBODY, never)
    assert result.status is Status.SKIPPED
    assert "fallback_store = file" in result.detail
