"""Issue 6: `dialplan apply` writes the generated files, Asterisk loads exactly them, and a
file Asterisk would not load as written never replaces the one it runs."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from pathlib import Path

import pytest

from continuity import names
from continuity.agi.ami import Ami
from continuity.agi.loaded import dialplan_context, endpoint_contacts
from continuity.compose import make_dialplan_sync
from continuity.compose_parts import ami_credentials
from continuity.config import Config, FallbackStore
from continuity.core.model import TrackingNumber
from continuity.dialplan_sync import DialplanSync, GeneratedFile
from continuity.dialplan_templates.parse import expected_dialplan
from continuity.dialplan_templates.pjsip import expected_contacts
from continuity.errors import DialplanRejected
from localstack.product import fallback_route
from tests.dialplan.processes import run_cli
from tests.scenario import Scenario, external

MAIN = "+12125550101"
SALES = "+12125550102"
ANSWERING_SERVICE = "+13125550150"


async def loaded_dialplan(config: Config, text: str) -> dict[str, set[tuple[object, ...]]]:
    """What Asterisk holds for each context ``text`` defines."""
    async with Ami(ami_credentials(config)) as ami:
        return {ctx: await dialplan_context(ami, ctx) for ctx in expected_dialplan(text)}


def extensions_file(scenario: Scenario) -> GeneratedFile:
    return scenario.app.dialplan.files[0]


async def settled(scenario: Scenario) -> str:
    """Once the app's own apply for the current state is done: the generated dialplan.

    The app's apply is waited for, not only made: one still to come would otherwise
    race what the test writes next."""
    app = scenario.app
    current = app.snapshots.current
    assert await app.dialplan_status.wait_for(current.version, timeout=30) is not None
    await app.dialplan.apply(current)
    return extensions_file(scenario).path.read_text()


async def test_asterisk_holds_exactly_the_generated_dialplan_and_trunks(scenario: Scenario) -> None:
    await scenario.tracking_number(MAIN, on=True, destination=external(ANSWERING_SERVICE))
    app = scenario.app
    await app.dialplan.apply(app.snapshots.current)
    extensions, pjsip = app.dialplan.files

    text = extensions.path.read_text()
    assert await loaded_dialplan(app.config, text) == expected_dialplan(text)
    trunks = pjsip.path.read_text()
    async with Ami(ami_credentials(app.config)) as ami:
        for endpoint, contacts in expected_contacts(trunks).items():
            assert await endpoint_contacts(ami, endpoint) == contacts
    assert (names.ENDPOINT_PRIMARY, scenario.stack.primary_contact) in expected_contacts(trunks)[
        names.ENDPOINT_PRIMARY
    ]


async def test_a_change_reaches_the_fallback_dialplan_without_anyone_applying_it(
    scenario: Scenario,
) -> None:
    await scenario.tracking_number(MAIN)
    config = scenario.app.config
    started = time.monotonic()
    await scenario.admin.add_number(TrackingNumber(SALES))
    async with asyncio.timeout(5):
        while await fallback_route(scenario.stack.pbx, config, SALES) is None:
            await asyncio.sleep(0.01)
    took = time.monotonic() - started
    print(f"admin change -> Asterisk routes it in the fallback: {took * 1000:.0f} ms")


async def test_a_rendered_file_the_reader_refuses_is_never_written(scenario: Scenario) -> None:
    await scenario.tracking_number(MAIN)
    before = await settled(scenario)
    file = extensions_file(scenario)
    reloads = 0

    async def counted_reload() -> None:
        nonlocal reloads
        reloads += 1

    smuggled = dataclasses.replace(
        file,
        render=lambda _s: before + '#include "/etc/passwd"\n',
        reload=counted_reload,
    )

    with pytest.raises(DialplanRejected, match="directives"):
        await DialplanSync([smuggled]).apply(scenario.app.snapshots.current)

    assert file.path.read_text() == before
    assert reloads == 0


async def test_a_file_asterisk_does_not_load_as_written_is_put_back_and_the_error_reported(
    scenario: Scenario,
) -> None:
    await scenario.tracking_number(MAIN)
    before = await settled(scenario)
    file = extensions_file(scenario)
    newer = dataclasses.replace(scenario.app.snapshots.current, version=10**6)
    intended = file.render(newer)
    # Break the section header itself: the first "[continuity-fallback]" is in a
    # comment, and Asterisk loaded that file as written (the test passed only when
    # the app's own apply raced it). A reader that misses the broken header (as a
    # parser gap would): only the comparison with what Asterisk loaded can catch it.
    header = f"\n[{names.CTX_FALLBACK}]\n"
    assert header in intended
    broken = intended.replace(header, f"\n[{names.CTX_FALLBACK}\n", 1)
    lenient = dataclasses.replace(
        file, render=lambda _s: broken, parse=lambda _t: expected_dialplan(intended)
    )

    with pytest.raises(DialplanRejected, match="after the reload Asterisk holds a different"):
        await DialplanSync([lenient]).apply(newer)

    assert file.path.read_text() == before
    assert await loaded_dialplan(scenario.app.config, before) == expected_dialplan(before)
    call = await scenario.call(MAIN)
    await call.wait_answered()
    assert (await scenario.reached(MAIN)).role == "primary"


async def test_dialplan_apply_refuses_a_value_stored_behind_the_admins_back(
    scenario: Scenario,
) -> None:
    await scenario.tracking_number(MAIN)
    before = await settled(scenario)
    config = scenario.app.config
    route = await fallback_route(scenario.stack.pbx, config, MAIN)
    assert route is not None
    file = extensions_file(scenario)
    async with scenario.store.pool.connection() as conn:
        await conn.execute(
            "UPDATE tracking_numbers SET dest_kind = %s, dest_target = %s WHERE number = %s",
            ("sip", "agent&PJSIP/evil,60,tT", MAIN),
        )

    applied = await run_cli(config, "dialplan", "apply")
    # The per-number file is where `dialplan diff` renders each number's route.
    diff = await run_cli(per_number_file(config), "dialplan", "diff")

    assert applied.returncode == 1
    assert "refusing to write dial string 'PJSIP/agent&PJSIP/evil,60,tT'" in applied.stderr
    assert "The previous generated files stay in place" in applied.stderr
    assert diff.returncode == 1
    assert "refusing to write dial string" in diff.stderr
    assert file.path.read_text() == before  # neither the CLI nor the running app wrote it
    assert await fallback_route(scenario.stack.pbx, config, MAIN) == route


def per_number_file(config: Config, **more: object) -> Config:
    """``config`` with ``fallback_store = file``: each number an extension of the file."""
    return dataclasses.replace(config, fallback_store=FallbackStore.FILE, **more)  # type: ignore[arg-type]


async def test_an_admin_sees_what_apply_would_change_to_the_per_number_file(
    scenario: Scenario, tmp_path: Path
) -> None:
    """``fallback_store = file``: the diff and the render show each number's extension."""
    await scenario.tracking_number(MAIN)
    await settled(scenario)
    # A stale copy of the generated files, where the running app will not fix them.
    stale_dir = tmp_path / "etc"
    config = per_number_file(scenario.app.config, asterisk_config_dir=stale_dir)
    current = make_dialplan_sync(config, scenario.app.ami).render(scenario.app.snapshots.current)
    stale = stale_dir / names.GENERATED_DIR / names.GENERATED_EXTENSIONS
    stale.parent.mkdir(parents=True)
    stale.write_text(current[0][1].replace(MAIN, "+12125550199"))
    pjsip = scenario.app.dialplan.files[1].path
    (stale.parent / names.GENERATED_PJSIP).write_text(pjsip.read_text())

    diff = await run_cli(config, "dialplan", "diff", "--exit-code")
    rendered = await run_cli(config, "dialplan", "render", "--out-dir", str(tmp_path / "out"))

    assert diff.returncode == 1
    assert f"+exten => {MAIN},1," in diff.stdout
    assert "-exten => +12125550199,1," in diff.stdout
    assert pjsip.name not in diff.stdout  # the trunks did not change
    assert rendered.returncode == 0, rendered.stderr
    out = tmp_path / "out" / names.GENERATED_DIR
    assert (out / names.GENERATED_EXTENSIONS).read_text() == current[0][1]
    assert (out / names.GENERATED_PJSIP).read_text() == pjsip.read_text()


async def test_dialplan_apply_puts_back_routes_changed_in_astdb_behind_the_apps_back(
    scenario: Scenario,
) -> None:
    await scenario.tracking_number(MAIN)
    config = scenario.app.config
    current = await settled(scenario)
    pbx = scenario.stack.pbx
    route = await fallback_route(pbx, config, MAIN)
    assert route is not None
    await pbx.cli(f"database del {names.ASTDB_FAMILY} {MAIN}")
    await pbx.cli(f"database put {names.ASTDB_FAMILY} +12125550199 {route}")

    applied = await run_cli(config, "dialplan", "apply")
    again = await run_cli(config, "dialplan", "diff", "--exit-code")

    assert applied.returncode == 0, applied.stderr
    assert "loading routing state" in applied.stderr
    assert await fallback_route(pbx, config, MAIN) == route
    assert await fallback_route(pbx, config, "+12125550199") is None
    assert extensions_file(scenario).path.read_text() == current
    assert await loaded_dialplan(config, current) == expected_dialplan(current)
    assert (again.returncode, again.stdout) == (0, "")
    assert "no changes" in again.stderr
    call = await scenario.call(MAIN)
    await call.wait_answered()
    assert (await scenario.reached(MAIN)).role == "primary"
