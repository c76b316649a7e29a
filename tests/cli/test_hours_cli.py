"""Business hours as an admin sets them: schedules, a line's hours, status; bad input
writes nothing."""

from __future__ import annotations

import json

import pytest

from tests.cli.conftest import Run

pytestmark = pytest.mark.usefixtures("upgraded")

CELL = "+13125550161"
SERVICE = "+13125550150"


def state(run: Run) -> tuple[str, str, str]:
    return (
        run("status", "--json").stdout,
        run("audit", "--json").stdout,
        run("schedule", "list", "--json").stdout,
    )


def test_a_line_with_hours_shows_its_schedule_in_status_and_every_change_is_audited(
    run: Run,
) -> None:
    add = run(
        "schedule", "add", "office", "--tz", "America/New_York",
        "--hours", "mon-fri 09:00-17:00", "--hours", "sat 10:00-14:00",
        "--holiday", "2026-12-25", "--default",
    )  # fmt: skip
    assert add.returncode == 0, add.stderr
    assert "mon,tue,wed,thu,fri 09:00-17:00; sat 10:00-14:00 America/New_York" in add.stdout
    assert run("line", "add", "sales", "--kind", "department", "--external", CELL).returncode == 0
    hours = run("line", "hours", "sales", "--after-hours-external", SERVICE)
    assert hours.returncode == 0, hours.stderr
    assert f"line sales: schedule office (the default), after hours external:{SERVICE}" in (
        hours.stdout
    )
    assert run("number", "add", "+12125550121", "--line", "sales").returncode == 0

    status = json.loads(run("status", "--json").stdout)
    [line] = status["hours"]
    assert (line["line"], line["schedule"]) == ("sales", "office (America/New_York, the default)")
    chain = status["numbers"][0]["chain"]
    assert chain[1] == (f"external:{CELL}" if line["open"] else f"external:{SERVICE}")
    text = run("status").stdout
    assert "hours: line sales follows office (America/New_York, the default)," in text

    listed = json.loads(run("schedule", "list", "--json").stdout)
    assert listed[0]["holidays"] == ["2026-12-25"] and listed[0]["default"] is True
    assert run("schedule", "set", "office", "--remove-holiday", "2026-12-25").returncode == 0
    audit = [(e["action"], e["subject"]) for e in json.loads(run("audit", "--json").stdout)]
    assert audit[:3] == [
        ("schedule.set", "office"),
        ("number.add", "+12125550121"),
        ("line.hours", "sales"),
    ]
    assert ("schedule.add", "office") in audit


def test_bad_schedules_and_hours_are_refused_with_the_reason_and_nothing_is_written(
    run: Run,
) -> None:
    assert (
        run(
            "schedule", "add", "office", "--tz", "Europe/Paris", "--hours", "mon 09:00-12:00"
        ).returncode
        == 0
    )
    assert run("line", "add", "sales", "--kind", "department").returncode == 0
    assert run("line", "add", "jdoe", "--kind", "user").returncode == 0
    assert run("primary-numbers", "add", "+1212555*").returncode == 0
    before = state(run)
    for args, says in (
        (("schedule", "add", "night", "--tz", "Mars/Olympus", "--hours", "mon 09:00-12:00"),
         "not a tz database zone"),
        (("schedule", "add", "night", "--tz", "Europe/Paris", "--hours", "mon 22:00-06:00"),
         "for a night shift give two ranges"),
        (("schedule", "add", "Night Desk", "--tz", "Europe/Paris", "--hours", "mon 09:00-12:00"),
         "must be 1-40 lower-case letters"),
        (("schedule", "add", "office", "--tz", "Europe/Paris", "--hours", "mon 09:00-12:00"),
         "already exists"),
        (("schedule", "add", "x", "--tz", "Europe/Paris", "--hours", "mon 09:00-12:00",
          "--holiday", "25/12/2026"), "must be a date such as 2026-12-25"),
        (("schedule", "set", "office", "--remove-holiday", "2026-12-25"), "is not a holiday"),
        (("schedule", "set", "nope", "--tz", "Europe/Paris"), "no schedule 'nope'"),
        (("line", "hours", "sales", "--schedule", "nope"), "no schedule 'nope'"),
        (("line", "hours", "sales", "--after-hours-external", "+12125550150"),
         "hosted by the primary system"),
        (("line", "hours", "sales", "--after-hours-voicemail", "nobox"), "does not exist"),
        (("line", "hours", "nobody", "--schedule", "office"), "No line 'nobody'"),
    ):  # fmt: skip
        result = run(*args)
        assert result.returncode != 0, args
        assert says in result.stderr, (args, result.stderr)
    assert state(run) == before

    assert run("line", "hours", "sales", "--schedule", "office").returncode == 0
    in_use = run("schedule", "remove", "office")
    assert in_use.returncode == 1
    assert "still the schedule of line(s) sales" in in_use.stderr
    assert run("line", "hours", "sales", "--inherit-schedule").returncode == 0
    assert run("schedule", "remove", "office").returncode == 0
