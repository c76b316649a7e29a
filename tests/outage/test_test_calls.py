"""`continuity test-call`: a real call through our Asterisk reports what answered, per state."""

from __future__ import annotations

import asyncio
import json
import os
import sys

from continuity import names
from continuity.agi.ami import AmiCredentials
from continuity.agi.ami_monitor import originate_local
from continuity.outage.testcall import TestCaller, TestCallResult
from tests.outage.conftest import Drill
from tests.scenario import external

NORMAL = "+12125550141"
CONTINUITY = "+12125550142"
TESTING = "+12125550143"
VOICEMAIL = "+12125550144"
ANSWERING_SERVICE = "+13125550150"
SUPPORT_FAILOVER = "+13125550170"


def ami_of(drill: Drill) -> AmiCredentials:
    ami = drill.stack.pbx_ami
    return AmiCredentials(ami.host, ami.port, ami.username, ami.secret)


async def one_number_in_each_state(drill: Drill) -> None:
    s = drill.scenario
    await s.line("support", destination=external(SUPPORT_FAILOVER))
    await s.line("after-hours")  # no destination: its chain ends in its mailbox
    await s.tracking_number(NORMAL)
    await s.tracking_number(CONTINUITY, on=True, destination=external(ANSWERING_SERVICE))
    await s.tracking_number(TESTING, line="support")
    await s.tracking_number(VOICEMAIL, line="after-hours", on=True)
    await s.admin.set_test_mode("support", True)
    await s.synced()


async def test_a_test_call_reports_the_destination_that_answered_in_every_state(
    drill: Drill,
) -> None:
    await one_number_in_each_state(drill)
    creds = ami_of(drill)

    async def originate(number: str, call_id: str, caller: str):  # type: ignore[no-untyped-def]
        return await originate_local(
            creds,
            number=number,
            context=names.CTX_TRACKING,
            channel_id=call_id,
            caller_id=caller,
            hold=1.0,
            timeout=30,
        )

    caller = TestCaller(originate, drill.scenario.records)
    results: list[TestCallResult] = await asyncio.gather(
        *(caller.call(n) for n in (NORMAL, CONTINUITY, TESTING, VOICEMAIL))
    )
    by_number = {r.number: r for r in results}
    for r in results:
        print(f"{r.number} {r.route} -> {r.destination} in {r.seconds} s ({r.detail})")

    assert by_number[NORMAL].destination == f"primary:{NORMAL}"
    assert by_number[NORMAL].route == "normal"
    assert by_number[CONTINUITY].destination == f"external:{ANSWERING_SERVICE}"
    assert by_number[CONTINUITY].route == "continuity"
    assert by_number[TESTING].destination == f"external:{SUPPORT_FAILOVER}"
    assert by_number[TESTING].route == "test_mode"
    assert by_number[VOICEMAIL].answered_kind == "voicemail"
    assert by_number[VOICEMAIL].destination == "voicemail:after-hours"
    assert all(r.answered and r.seconds is not None for r in results)
    seen = drill.scenario.observed()
    assert {(o.role, o.number) for o in seen} == {
        ("primary", NORMAL),
        ("pstn", ANSWERING_SERVICE),
        ("pstn", SUPPORT_FAILOVER),
    }
    assert all(o.caller_id_name == "Continuity test" for o in seen)


async def test_continuity_test_call_all_prints_a_summary_and_fails_on_a_dead_number(
    drill: Drill, product_db: str
) -> None:
    await one_number_in_each_state(drill)
    await drill.stack.set_behavior(NORMAL, "reject:486")  # the primary is busy for this one
    ami = ami_of(drill)
    env = {
        **os.environ,
        "CONTINUITY_DATABASE_URL": product_db,
        "CONTINUITY_AMI_HOST": ami.host,
        "CONTINUITY_AMI_PORT": str(ami.port),
        "CONTINUITY_AMI_USERNAME": ami.username,
        "CONTINUITY_AMI_SECRET": ami.secret,
        "CONTINUITY_LOG_LEVEL": "ERROR",
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "continuity",
        "test-call",
        "--all",
        "--json",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)

    assert proc.returncode == 1, err.decode()
    rows = {r["number"]: r for r in json.loads(out)}
    assert rows[NORMAL]["answered"] is False
    assert rows[NORMAL]["detail"] == f"primary:{NORMAL}=busy"
    assert rows[CONTINUITY]["destination"] == f"external:{ANSWERING_SERVICE}"
    assert rows[TESTING]["destination"] == f"external:{SUPPORT_FAILOVER}"
    assert rows[VOICEMAIL]["answered_kind"] == "voicemail"
    assert "calling 4 number(s)" in err.decode()
    progress = [line for line in err.decode().splitlines() if line.startswith("[")]
    assert [line.split("]")[0] for line in progress] == ["[1/4", "[2/4", "[3/4", "[4/4"]
    assert f"{CONTINUITY}: answered by external:{ANSWERING_SERVICE}" in err.decode()
    assert f"{NORMAL}: NOT ANSWERED" in err.decode()
