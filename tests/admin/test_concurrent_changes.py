"""Issue 11 item 4: admins changing the same things at the same moment lose nothing.

Each pair of changes below is sent at once, on two connections, so the two
really race for PostgreSQL. Every change must land, each audit row's old
value must be the previous row's new value, versions must count every write,
and a line's forwarding limit must hold however many writers race, even ones
that bypass the service.
"""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import psycopg
import pytest

from continuity.admin import Admin, SettingsChange
from continuity.core.model import Line, LineKind, TrackingNumber
from continuity.db.pool import Pool
from continuity.errors import InvalidSetting, StaleVersion
from tests.scenario import external

PAIRS = 1_000
MAIN = "+12125550101"
ANSWERING_SERVICE = "+13125550150"
#: Ten numbers a user might forward to; a line keeps at most five.
PHONES = [f"+1312555016{digit}" for digit in range(10)]


async def audit_trail(pool: Pool, subject: str) -> list[tuple[Any, Any]]:
    async with pool.connection() as conn:
        cur = await conn.execute(
            "SELECT old_value, new_value FROM audit_log WHERE subject = %s ORDER BY id",
            (subject,),
        )
        return list(await cur.fetchall())


def assert_chained(trail: list[tuple[Any, Any]]) -> None:
    """Each row starts from what the row before it left."""
    for index, ((_, before), (after_old, _)) in enumerate(itertools.pairwise(trail)):
        assert after_old == before, f"audit row {index + 1} does not continue row {index}"


async def test_a_thousand_racing_label_and_continuity_changes_all_land_in_one_chain(
    admin: Admin, admin_pool: Pool
) -> None:
    await admin.add_number(TrackingNumber(MAIN, "Website"))

    for pair in range(PAIRS):
        on = pair % 2 == 0
        await asyncio.gather(
            admin.change_number(MAIN, SettingsChange(), label=f"campaign {pair}"),
            admin.change_number(MAIN, SettingsChange(on=on)),
        )
        number = (await admin.snapshot()).numbers[MAIN]
        assert (number.label, number.continuity.on) == (f"campaign {pair}", on), pair

    assert number.version == 1 + 2 * PAIRS
    trail = await audit_trail(admin_pool, MAIN)
    assert len(trail) == 1 + 2 * PAIRS
    assert_chained(trail)
    assert [new["version"] for _, new in trail] == list(range(1, 2 + 2 * PAIRS))


async def test_racing_line_and_account_changes_to_different_fields_all_land(
    admin: Admin, admin_pool: Pool
) -> None:
    await admin.add_line(Line("sales", LineKind.DEPARTMENT, "Sales"))
    for pair in range(100):
        await asyncio.gather(
            admin.change_line("sales", SettingsChange(), name=f"Sales {pair}"),
            admin.set_test_mode("sales", pair % 2 == 0),
            admin.change_account(SettingsChange(), primary_timeout=10 + pair % 50),
            admin.change_account(SettingsChange(on=pair % 2 == 1)),
        )
        snapshot = await admin.snapshot()
        line, account = snapshot.lines["sales"], snapshot.account
        assert (line.name, line.test_mode) == (f"Sales {pair}", pair % 2 == 0)
        assert (account.primary_timeout, account.continuity.on) == (10 + pair % 50, pair % 2 == 1)

    assert_chained(await audit_trail(admin_pool, "sales"))
    assert_chained(await audit_trail(admin_pool, "account"))


async def test_of_two_changes_made_from_the_same_read_the_second_is_refused(
    admin: Admin,
) -> None:
    await admin.add_number(TrackingNumber(MAIN, "Website"))
    read = (await admin.snapshot()).numbers[MAIN]

    results = await asyncio.gather(
        admin.change_number(MAIN, SettingsChange(), label="Radio", expected_version=read.version),
        admin.change_number(
            MAIN, SettingsChange(on=True), label="TV", expected_version=read.version
        ),
        return_exceptions=True,
    )

    [stale] = [r for r in results if isinstance(r, StaleVersion)]
    assert (stale.expected, stale.current) == (read.version, read.version + 1)
    assert "changed by someone else since you read it" in str(stale)
    number = (await admin.snapshot()).numbers[MAIN]
    assert number.version == read.version + 1
    assert (number.label, number.continuity.on) in {("Radio", None), ("TV", True)}


async def test_stale_versions_are_refused_for_lines_and_the_account(admin: Admin) -> None:
    await admin.add_line(Line("sales", LineKind.DEPARTMENT))
    snapshot = await admin.snapshot()
    line, account = snapshot.lines["sales"], snapshot.account
    await admin.change_line("sales", SettingsChange(on=True), expected_version=line.version)
    await admin.change_account(
        SettingsChange(destination=external(ANSWERING_SERVICE)), expected_version=account.version
    )

    with pytest.raises(StaleVersion):
        await admin.remove_line("sales", expected_version=line.version)
    with pytest.raises(StaleVersion):
        await admin.change_account(SettingsChange(on=True), expected_version=account.version)
    after = await admin.snapshot()
    assert "sales" in after.lines and after.account.continuity.on is False


async def test_ten_racing_forwarding_numbers_leave_a_line_with_five(admin: Admin) -> None:
    await admin.add_line(Line("jdoe", LineKind.USER, "J. Doe"))

    results = await asyncio.gather(
        *(admin.add_forwarding("jdoe", phone) for phone in PHONES), return_exceptions=True
    )

    refused = [r for r in results if r is not None]
    assert len(refused) == 5
    assert all(isinstance(r, InvalidSetting) and "5 forwarding numbers" in str(r) for r in refused)
    assert len((await admin.snapshot()).lines["jdoe"].forwarding) == 5


async def test_the_database_holds_the_forwarding_limit_against_writers_that_bypass_the_service(
    admin: Admin, admin_db: str
) -> None:
    await admin.add_line(Line("jdoe", LineKind.USER, "J. Doe"))

    async def insert(phone: str) -> None:
        async with await psycopg.AsyncConnection.connect(admin_db) as conn, conn.transaction():
            await conn.execute(
                "INSERT INTO forwarding_numbers (line_id, number) VALUES (%s, %s)",
                ("jdoe", phone),
            )
            await asyncio.sleep(0.05)  # keep the transaction open while the others insert

    results = await asyncio.gather(*(insert(phone) for phone in PHONES), return_exceptions=True)

    assert sum(r is None for r in results) == 5
    assert all(isinstance(r, psycopg.errors.CheckViolation) for r in results if r is not None)
    assert len((await admin.snapshot()).lines["jdoe"].forwarding) == 5
