"""The console in headless Chromium against the real stack: what a PBX admin does and sees."""

from __future__ import annotations

import asyncio

from playwright.async_api import expect

from continuity.core.model import LineKind
from tests.outage.conftest import Drill
from tests.outage.settings import HOLD_DOWN
from tests.scenario import CALLER, Scenario, external
from tests.voicemail.conftest import VoicemailScenario
from tests.web.conftest import ADMIN_PASSWORD, VIEWER_PASSWORD, Team
from tests.web.console import Console

MAIN = "+12125550101"
SALES = "+12125550102"
ANSWERING_SERVICE = "+13125550150"
LIVE = "Live: Asterisk holds the fallback dialplan"


async def test_an_admin_sets_a_default_external_number_enables_continuity_and_a_test_call_lands(
    scenario: Scenario, console: Console, team: Team
) -> None:
    await scenario.tracking_number(MAIN)
    page = await console.login(team.admin, ADMIN_PASSWORD)
    await console.open(page, "/")
    # No voice agent is configured: its radio is greyed, with the reason beside it.
    await expect(page.locator("input[name='destination.kind'][value=voice_agent]")).to_be_disabled()
    await expect(page.locator(".destination .reason")).to_contain_text("No voice agent")

    await page.check("input[name='destination.kind'][value=external]")
    await page.fill("input[name=external]", ANSWERING_SERVICE)
    await page.check("input[name=enabled]")
    await page.click("#continuity-form button[type=submit]")
    await expect(page.locator(".flash.ok").last).to_contain_text(LIVE)
    await console.shot(page, "continuity-saved")
    account = (await scenario.store.load_snapshot()).account
    assert account.continuity.on is True
    assert account.continuity.destination == external(ANSWERING_SERVICE)

    await console.open(page, "/test-call")
    await page.select_option("select[name=number]", MAIN)
    await page.click("#test-call button[type=submit]")
    await expect(page.locator("#test-result .landed")).to_have_text(f"external:{ANSWERING_SERVICE}")
    await console.shot(page, "test-call-landed")
    seen = await scenario.reached(ANSWERING_SERVICE)
    assert seen.role == "pstn"
    assert all(o.role != "primary" for o in scenario.observed())
    entries = await scenario.store.audit_entries(5)
    assert [e.actor for e in entries if e.action == "account.set"] == ["user:alice"]

    # The call records page shows the chain the test call tried, filtered by its number.
    await console.open(page, f"/calls?number={MAIN.replace('+', '%2B')}", "call-records")
    [row] = await page.locator("#calls tbody tr[data-call]").all()
    await expect(row).to_contain_text("continuity")
    await expect(row.locator("ol.chain")).to_contain_text(
        f"external:{ANSWERING_SERVICE} → answered"
    )
    await console.open(page, "/audit")
    await expect(page.locator("#audit tbody tr").first.locator(".actor")).to_have_text("user:alice")


async def test_a_bad_number_gets_an_inline_error_beside_the_field_and_nothing_is_written(
    scenario: Scenario, console: Console, team: Team
) -> None:
    page = await console.login(team.admin, ADMIN_PASSWORD)
    await console.open(page, "/")
    version = (await scenario.store.load_snapshot()).version
    audit = await scenario.store.audit_entries(50)
    await page.check("input[name='destination.kind'][value=external]")
    await page.fill("input[name=external]", "555-01")
    await page.click("#continuity-form button[type=submit]")
    error = page.locator("#continuity-form .field-error[data-field='destination.target']")
    await expect(error).to_contain_text("is not a valid phone number")
    await expect(page.locator("input[name=external]")).to_have_value("555-01")
    await console.shot(page, "inline-error")
    assert (await scenario.store.load_snapshot()).version == version
    assert await scenario.store.audit_entries(50) == audit


async def test_a_line_under_test_is_started_from_the_page_marked_and_its_calls_go_to_continuity(
    scenario: Scenario, console: Console, team: Team
) -> None:
    await scenario.line("sales", LineKind.DEPARTMENT, destination=external(ANSWERING_SERVICE))
    await scenario.tracking_number(SALES, line="sales")
    page = await console.login(team.admin, ADMIN_PASSWORD)
    await console.open(page, "/lines")
    row = page.locator("tr[data-line=sales]")
    await row.get_by_role("button", name="Start test").click()
    await expect(page.locator(".flash.ok").last).to_contain_text(LIVE)
    await expect(row.locator(".testing-mark")).to_have_text("UNDER TEST")
    await expect(row).to_have_class("testing")
    await console.shot(page, "line-under-test")
    assert (await scenario.store.load_snapshot()).lines["sales"].test_mode

    call = await scenario.call(SALES)
    await call.wait_answered()
    await scenario.reached(ANSWERING_SERVICE)
    await call.hangup()
    assert (await scenario.call_record(SALES)).reason == "test_mode"

    await row.get_by_role("button", name="Stop test").click()
    await expect(row.locator(".testing-mark")).to_have_count(0)
    assert not (await scenario.store.load_snapshot()).lines["sales"].test_mode


async def test_hostile_labels_and_names_render_as_text(
    scenario: Scenario, console: Console, team: Team
) -> None:
    from continuity.core.model import Line, TrackingNumber

    hostile = '<script>window.pwned=1</script><img src=x onerror="window.pwned=2">"\'&amp;'
    await scenario.admin.add_line(Line("sales", LineKind.DEPARTMENT, hostile))
    await scenario.admin.add_number(TrackingNumber(MAIN, hostile, line="sales"))
    await scenario.synced()
    page = await console.login(team.admin, ADMIN_PASSWORD)
    dialogs: list[str] = []
    page.on("dialog", lambda d: dialogs.append(d.message))
    for path in ("/numbers", "/lines", "/voicemail", "/test-call", "/audit"):
        await console.open(page, path, f"hostile-{path}")
        assert await page.evaluate("window.pwned") is None
        assert await page.locator("img[src=x]").count() == 0
    await page.goto("/numbers")
    await expect(page.locator(f"tr[data-number='{MAIN}'] td.label")).to_have_text(hostile)
    await page.goto("/lines")
    await expect(page.locator("tr[data-line=sales] td.label")).to_have_text(hostile)
    assert dialogs == []


async def test_a_viewer_sees_every_page_and_cannot_change_anything(
    scenario: Scenario, console: Console, team: Team
) -> None:
    await scenario.line("sales", LineKind.DEPARTMENT)
    await scenario.tracking_number(SALES, line="sales")
    page = await console.login(team.viewer, VIEWER_PASSWORD)
    for path in ("/", "/numbers", "/lines", "/voicemail", "/outages", "/test-call"):
        await console.open(page, path, f"viewer-{path}")
        await expect(page.locator(".flash.warn")).to_contain_text("viewer")
        writable = page.locator("main form[method=post] button:enabled")
        assert await writable.count() == 0, path
    version = (await scenario.store.load_snapshot()).version
    audit = await scenario.store.audit_entries(50)
    csrf = await console.csrf(page)
    forms: list[tuple[str, dict[str, str | float | bool]]] = [
        ("/continuity", {"enabled": "on", "destination.kind": "keep"}),
        ("/lines/sales/test", {"mode": "start"}),
        ("/outages/override", {"state": "declare"}),
    ]
    for path, form in forms:
        response = await page.request.post(path, form={"csrf": csrf, **form})
        assert response.status == 403, path
        assert "viewer" in await response.text()
    assert (await scenario.store.load_snapshot()).version == version
    assert await scenario.store.audit_entries(50) == audit


async def test_a_form_without_its_csrf_token_is_refused_and_nothing_is_written(
    scenario: Scenario, console: Console, team: Team
) -> None:
    page = await console.login(team.admin, ADMIN_PASSWORD)
    version = (await scenario.store.load_snapshot()).version
    forms: list[dict[str, str | float | bool]] = [{"enabled": "on"}, {"enabled": "on", "csrf": "x"}]
    for form in forms:
        response = await page.request.post("/continuity", form=form)
        assert response.status == 403
        assert "CSRF" in await response.text()
    assert (await scenario.store.load_snapshot()).version == version
    assert not (await scenario.store.load_snapshot()).account.continuity.on


async def test_while_the_primary_is_frozen_the_banner_shows_and_after_recovery_it_is_resolved(
    drill: Drill, console: Console, team: Team
) -> None:
    page = await console.login(team.admin, ADMIN_PASSWORD)
    await console.open(page, "/", "before-outage")
    await expect(page.locator("#outage-banner")).to_have_count(0)

    drill.freeze_primary()
    await drill.until(lambda: drill.primary_down, timeout=20)
    async with asyncio.timeout(10):
        while await drill.open_outage() is None:
            await asyncio.sleep(0.1)
    await page.reload()
    banner = page.locator("#outage-banner")
    await expect(banner).to_contain_text("PRIMARY TRUNK OUTAGE since")
    await expect(banner).to_contain_text("calls skip the primary")
    await console.shot(page, "outage-banner")

    drill.thaw_primary()
    await drill.until(lambda: not drill.primary_down, timeout=HOLD_DOWN + 20)
    async with asyncio.timeout(10):
        while await drill.open_outage() is not None:
            await asyncio.sleep(0.1)
    await console.open(page, "/outages", "outage-resolved")
    await expect(page.locator("#outage-banner")).to_have_count(0)
    await expect(page.locator("#resolved-banner")).to_contain_text("Outage resolved")
    await expect(page.locator("#outage-history tbody tr").first).not_to_contain_text("OPEN")

    # The operator declares one by hand, then hands back to detection.
    await page.fill("#override input[name=reason]", "carrier maintenance")
    await page.get_by_role("button", name="Declare outage").click()
    await expect(page.locator("#trunk-state")).to_contain_text("DOWN")
    await expect(page.locator(".banner")).to_contain_text("MANUAL OVERRIDE")
    await drill.until(lambda: drill.primary_down)
    await console.shot(page, "outage-declared")
    await page.get_by_role("button", name="Auto (detection decides)").click()
    # The form's answer is on screen (a reload while it loads finds no page to reload).
    answered = page.get_by_text("Override removed: outage detection decides again")
    await expect(answered).to_be_visible()
    # The leading node journals the end of the declared outage once the override is gone.
    await drill.until(lambda: not drill.primary_down)
    async with asyncio.timeout(10):
        while await drill.open_outage() is not None:
            await asyncio.sleep(0.1)
    await page.reload()
    await expect(page.locator("#trunk-state")).to_contain_text("up")
    override = await drill.store.override()
    assert override is not None and override.state is None and override.set_by == "user:alice"


async def test_a_voicemail_left_by_a_real_call_plays_in_the_page(
    voicemail: VoicemailScenario, console: Console, team: Team
) -> None:
    await voicemail.line("sales", SALES)
    visit = await voicemail.visit(
        SALES, prompt_seconds=voicemail.default_prompt_seconds(), message_seconds=3.0
    )
    await visit.call.wait_answered()
    await visit.call.wait_ended(timeout=30)
    [message] = await voicemail.messages("sales")

    page = await console.login(team.admin, ADMIN_PASSWORD)
    await console.open(page, "/voicemail")
    row = page.locator(f"tr[data-message='{message.msg_id}']")
    await expect(row).to_contain_text(CALLER)
    audio = row.locator("audio")
    duration = await audio.evaluate(
        """el => new Promise((ok, bad) => {
            if (el.readyState >= 1) { ok(el.duration); return; }
            el.addEventListener('loadedmetadata', () => ok(el.duration), {once: true});
            el.addEventListener('error', () => bad('audio error ' + (el.error && el.error.code)));
            el.load();
        })"""
    )
    assert 2.0 <= duration <= 4.5
    played = await audio.evaluate(
        """async el => { await el.play();
            await new Promise(r => setTimeout(r, 500)); return el.currentTime; }"""
    )
    assert played > 0.2
    await console.shot(page, "voicemail-playing")
    wav = await page.request.get(await audio.get_attribute("src") or "")
    assert wav.headers["content-type"] == "audio/wav"
    assert (await wav.body())[:4] == b"RIFF"
