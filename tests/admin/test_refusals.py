"""Issue 12: the admin service refuses each hostile value itself, names the field, writes nothing.

These are the values an HTTP client or a script could send past the CLI's
parsing: every one must be refused by the service with a message that says
how to fix it and the field at fault (the HTTP API's 422), and leave the
database exactly as it was.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from continuity.admin import KEEP, Admin, SettingsChange
from continuity.core.model import (
    ContinuitySettings,
    Destination,
    DestinationKind,
    Line,
    LineKind,
    TrackingNumber,
)
from continuity.db.pool import Pool
from continuity.db.store import Store
from continuity.errors import ChangeRejected, ContinuityError, FailoverLoop, LineInUse
from tests.scenario import external

MAIN = "+12125550101"
SALES = "+12125550102"
ANSWERING_SERVICE = "+13125550150"
AGENT = "voice-bot"

Attempt = Callable[[Admin], Awaitable[None]]


def destination(kind: DestinationKind, target: str) -> Attempt:
    change = SettingsChange(destination=Destination(kind, target))
    return lambda admin: admin.change_number(MAIN, change)


def number(**fields: Any) -> Attempt:
    return lambda admin: admin.change_number(MAIN, SettingsChange(), **fields)


def account(change: Any = KEEP, **fields: Any) -> Attempt:
    settings_change = SettingsChange() if change is KEEP else SettingsChange(on=change)
    return lambda admin: admin.change_account(settings_change, **fields)


def label(text: Any) -> Attempt:
    return number(label=text)


def line_name(name: Any) -> Attempt:
    return lambda admin: admin.change_line("sales", SettingsChange(), name=name)


EXTERNAL, SIP, VOICE_AGENT = (
    DestinationKind.EXTERNAL,
    DestinationKind.SIP,
    DestinationKind.VOICE_AGENT,
)
BAD_SIP = [
    "", "continuity-primary", "continuity-pstn", "continuity-inbound",
    f"continuity-pstn/sip:{SALES}@127.0.0.1", f"lab-peer/sip:{SALES}@10.0.0.7",
    "ep/sip:;", "ep/sip:", "ep/sip:@10.0.0.7", "ep/sip:u@10.0.0.7:0",
    "ep/sip:u@10.0.0.7:70000", "ep/sip:u@h,x", "ep/sip:u@h;${EXTEN}", "e p",
]  # fmt: skip


def settings(**fields: Any) -> Attempt:
    return lambda admin: admin.change_number(MAIN, SettingsChange(**fields))


def add(item: TrackingNumber | Line) -> Attempt:
    if isinstance(item, Line):
        return lambda admin: admin.add_line(item)
    return lambda admin: admin.add_number(item)


HOSTILE: list[tuple[str, str, Attempt]] = [
    # (field, what is wrong, the attempt)
    *(
        ("destination", f"external {bad!r}", destination(EXTERNAL, bad))
        for bad in ["", "3125550150", "+1 312 555 0150", "+15551230001", "${EXTEN}", "+1312555015"]
    ),
    ("destination", "external to our own number", destination(EXTERNAL, SALES)),
    *(
        ("primary_target", f"primary {bad!r}", number(primary_target=bad))
        for bad in ["", "3125550150", "+15551230001", "PJSIP/x,1", "+13125550150\x00"]
    ),
    ("destination", "another voice agent", destination(VOICE_AGENT, "other-bot")),
    ("destination", "the primary as a destination", destination(DestinationKind.PRIMARY, MAIN)),
    *(("destination", f"sip {bad!r}", destination(SIP, bad)) for bad in BAD_SIP),
    ("destination", "voicemail ''", destination(DestinationKind.VOICEMAIL, "")),
    ("destination", "voicemail of no line", destination(DestinationKind.VOICEMAIL, "nobody")),
    *(
        ("failover_sip_codes", f"codes {codes}", account(failover_sip_codes=frozenset(codes)))
        for codes in [{0}, {200}, set(), {700}, {408, 399}]
    ),
    *(
        ("primary_timeout", f"timeout {seconds!r}", account(primary_timeout=seconds))
        for seconds in [0, -1, 601, 2**31, 99_999_999_999, True]
    ),
    *(
        ("voice_agent", f"agent {bad!r}", account(voice_agent=bad))
        for bad in ["", "continuity-pstn", "x;y", "ep/sip:;"]
    ),
    *(
        (field, f"{field} {bad[:12]!r}", attempt(bad))
        for field, attempt in (("label", label), ("name", line_name))
        for bad in ["x" * 101, "x" * 100_000, "a\x1b[2Jb", "nul\x00", "two\nlines", "\u202e"]
    ),
    ("line", "line ''", number(line="")),
    ("line", "line of no such id", number(line="nowhere")),
    ("continuity.on", "on 'yes'", settings(on="yes")),
    ("continuity.enabled", "enabled 1", settings(enabled=1)),
    ("continuity.on", "the account inherits", account(change=None)),
    ("id", "line id 'Sales'", add(Line("Sales", LineKind.DEPARTMENT))),
    ("kind", "a second main line", add(Line("hq", LineKind.MAIN))),
    ("kind", "a kind that is not one", add(Line("hq", "user"))),  # type: ignore[arg-type]
    ("number", "tracking number not in E.164", add(TrackingNumber("2125550103"))),
    ("number", "forwarding to our own number", lambda admin: admin.add_forwarding("jdoe", MAIN)),
    ("line", "forwarding on a department", lambda admin: admin.add_forwarding("sales", SALES)),
]


async def configured(admin: Admin) -> None:
    await admin.change_account(SettingsChange(), voice_agent=AGENT)
    await admin.add_line(Line("main", LineKind.MAIN, "Front desk"))
    await admin.add_line(Line("sales", LineKind.DEPARTMENT, "Sales"))
    await admin.add_line(Line("jdoe", LineKind.USER, "J. Doe"))
    await admin.add_number(TrackingNumber(MAIN, "Website"))
    await admin.add_number(TrackingNumber(SALES, "Billboard", line="sales"))


async def audit_length(pool: Pool) -> int:
    async with pool.connection() as conn:
        cur = await conn.execute("SELECT count(*) FROM audit_log")
        row = await cur.fetchone()
        assert row is not None
        return int(row[0])


async def test_every_hostile_value_is_refused_with_its_field_and_nothing_is_written(
    admin: Admin, admin_pool: Pool
) -> None:
    await configured(admin)
    before, audited = await admin.snapshot(), await audit_length(admin_pool)

    accepted, wrong_field = [], []
    for field, what, attempt in HOSTILE:
        try:
            await attempt(admin)
        except ContinuityError as exc:
            if exc.field != field:
                wrong_field.append(f"{what}: field {exc.field!r}, not {field!r} ({exc})")
            continue
        accepted.append(what)

    assert accepted == []
    assert wrong_field == []
    assert await admin.snapshot() == before
    assert await audit_length(admin_pool) == audited


async def test_sip_targets_of_our_own_endpoints_are_refused_and_a_peers_uri_is_kept(
    admin: Admin,
) -> None:
    await configured(admin)
    peer = "lab-peer/sip:desk@10.0.0.7:5062;transport=udp"

    await admin.change_number(MAIN, SettingsChange(destination=Destination(SIP, peer)))

    assert (await admin.snapshot()).numbers[MAIN].continuity.destination == Destination(SIP, peer)


async def test_a_line_that_numbers_still_use_is_not_removed_and_they_are_named(
    admin: Admin, admin_pool: Pool
) -> None:
    await configured(admin)
    await admin.add_line(Line("support", LineKind.DEPARTMENT))
    sales_box = ContinuitySettings(destination=Destination(DestinationKind.VOICEMAIL, "sales"))
    await admin.add_number(TrackingNumber("+12125550103", line="support", continuity=sales_box))
    await admin.change_line("support", SettingsChange(destination=sales_box.destination))
    before, audited = await admin.snapshot(), await audit_length(admin_pool)

    with pytest.raises(LineInUse) as used:
        await admin.remove_line("sales")
    with pytest.raises(LineInUse) as main_used:
        await admin.remove_line("main")

    assert used.value.uses == [
        f"{SALES} (its line)",
        "line support (voicemail destination)",
        "+12125550103 (voicemail destination)",
    ]
    assert "+12125550101 (reaches the main line by default)" in str(main_used.value)
    assert await admin.snapshot() == before
    assert await audit_length(admin_pool) == audited


async def test_a_new_tracking_number_that_something_fails_over_to_is_refused(
    admin: Admin,
) -> None:
    await configured(admin)
    await admin.change_line("sales", SettingsChange(destination=external(ANSWERING_SERVICE)))

    with pytest.raises(FailoverLoop, match="would loop back"):
        await admin.add_number(TrackingNumber(ANSWERING_SERVICE))


async def test_a_new_voice_agent_endpoint_takes_the_destinations_that_named_the_old_one(
    admin: Admin,
) -> None:
    await configured(admin)
    agent = ContinuitySettings(destination=Destination(VOICE_AGENT, AGENT))
    await admin.change_number(MAIN, SettingsChange(destination=agent.destination))
    await admin.change_line("sales", SettingsChange(destination=agent.destination))

    await admin.change_account(SettingsChange(), voice_agent="new-bot")

    after = await admin.snapshot()
    moved = Destination(VOICE_AGENT, "new-bot")
    assert after.account.voice_agent == "new-bot"
    assert after.numbers[MAIN].continuity.destination == moved
    assert after.lines["sales"].continuity.destination == moved


async def test_what_the_database_refuses_past_the_checks_is_a_domain_error(
    admin: Admin, admin_pool: Pool
) -> None:
    """Written past the service's checks, straight through the store: no psycopg error."""
    await configured(admin)
    store = Store(admin_pool)
    for bad in (
        {"primary_timeout": 2**40},  # out of integer range
        {"primary_timeout": 601},  # migration 0005's check
        {"failover_sip_codes": frozenset({200})},
    ):
        with pytest.raises(ChangeRejected, match="Nothing was written"):
            async with store.change("test") as tx:
                old = tx.snapshot.account
                await tx.update_account(old, dataclasses.replace(old, **bad))
    with pytest.raises(ChangeRejected, match="NUL"):
        async with store.change("test") as tx:
            await tx.insert_number(TrackingNumber("+12125550109", label="a\x00b"))
    assert "+12125550109" not in (await admin.snapshot()).numbers
