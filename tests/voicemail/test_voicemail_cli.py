"""`continuity voicemail …` as an admin types it: prompts, addresses, messages."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.scenario import CALLER
from tests.voicemail.conftest import VoicemailScenario
from tests.voicemail.sounds import Clip, tone

SALES = "+12125550140"


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


class Cli:
    def __init__(self, database_url: str, spool: Path) -> None:
        self.env = {
            **os.environ,
            "CONTINUITY_DATABASE_URL": database_url,
            "CONTINUITY_ASTERISK_SPOOL_DIR": str(spool),
            "CONTINUITY_LOG_LEVEL": "ERROR",
        }

    async def __call__(self, *args: str) -> Result:
        """Run ``continuity ARGS`` without blocking the event loop the app runs in."""
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "continuity",
            *args,
            env=self.env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(proc.communicate(), 60)
        assert proc.returncode is not None
        return Result(proc.returncode, out.decode(), err.decode())


@pytest.fixture
def cli(voicemail: VoicemailScenario, product_db: str) -> Cli:
    return Cli(product_db, voicemail.spool_dir)


async def test_an_admin_sets_a_prompt_from_an_mp3_then_goes_back_to_the_default(
    voicemail: VoicemailScenario, cli: Cli, tmp_path: Path
) -> None:
    await voicemail.line("sales", SALES)
    greeting = tone(tmp_path / "greeting.mp3", 2.0, 600, rate=44100, channels=2)

    done = await cli("voicemail", "prompt", "set", "sales", str(greeting))
    assert done.returncode == 0, done.stderr
    assert "line sales now plays" in done.stdout
    assert "custom prompt, 2.0 s" in (await cli("voicemail", "prompt", "show", "sales")).stdout
    assert (await cli("voicemail", "email", "set", "sales", "desk@example.com")).returncode == 0
    [box] = json.loads((await cli("voicemail", "boxes", "--json")).stdout)
    assert (box["line"], box["prompt"], box["email"], box["new"]) == (
        "sales",
        "custom",
        "desk@example.com",
        0,
    )

    reset = await cli("voicemail", "prompt", "reset", "sales")
    assert (reset.returncode, reset.stdout.strip()) == (
        0,
        "line sales now plays the default prompt",
    )
    assert "default prompt" in (await cli("voicemail", "prompt", "show", "sales")).stdout
    audit = await voicemail.s.store.audit_entries()
    assert {"voicemail.prompt.set", "voicemail.prompt.reset"} <= {e.action for e in audit}


async def test_a_prompt_that_is_not_audio_is_refused_with_the_reason_and_nothing_changes(
    voicemail: VoicemailScenario, cli: Cli, tmp_path: Path
) -> None:
    await voicemail.line("sales", SALES)
    notes = tmp_path / "greeting.mp3"
    notes.write_text("call us back tomorrow\n")

    refused = await cli("voicemail", "prompt", "set", "sales", str(notes))

    assert refused.returncode == 1
    assert "was not set as the prompt: it is not audio sox can read" in refused.stderr
    assert "The current prompt stays" in refused.stderr
    assert "default prompt" in (await cli("voicemail", "prompt", "show", "sales")).stdout


async def test_commands_on_a_line_that_does_not_exist_fail_with_a_hint(
    voicemail: VoicemailScenario, cli: Cli, tmp_path: Path
) -> None:
    await voicemail.line("sales", SALES)
    greeting = tone(tmp_path / "g.wav", 1.0, 600)

    for args in (
        ("voicemail", "prompt", "set", "sails", str(greeting)),
        ("voicemail", "email", "set", "sails", "a@example.com"),
        ("voicemail", "list", "sails"),
    ):
        result = await cli(*args)
        assert result.returncode == 1, args
        assert "No line 'sails' is configured. Close matches: sales." in result.stderr

    bad = await cli("voicemail", "email", "set", "sales", "not-an-address")
    assert (bad.returncode, "is not an email address" in bad.stderr) == (1, True)


async def test_messages_are_listed_with_caller_time_and_length_and_exported(
    voicemail: VoicemailScenario, cli: Cli, tmp_path: Path
) -> None:
    await voicemail.line("sales", SALES)
    prompt = await voicemail.admin.set_prompt("sales", tone(tmp_path / "p.wav", 1.0, 600))
    visit = await voicemail.visit(SALES, prompt_seconds=prompt.seconds, message_seconds=3.0)
    await visit.ended()
    [message] = await voicemail.messages("sales")

    listed = await cli("voicemail", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    [entry] = json.loads(listed.stdout)
    assert (entry["line"], entry["caller_number"], entry["id"]) == ("sales", CALLER, message.msg_id)
    assert entry["duration"] == message.duration
    table = (await cli("voicemail", "list", "sales")).stdout
    assert CALLER in table and f"{message.duration} s" in table

    wav = tmp_path / "out.wav"
    exported = await cli("voicemail", "export", "sales", message.msg_id, str(wav))
    assert exported.returncode == 0, exported.stderr
    assert abs(Clip.read(wav).seconds - Clip.read(message.audio).seconds) < 0.01
    mp3 = tmp_path / "out.mp3"
    assert (await cli("voicemail", "export", "sales", "msg0000", str(mp3))).returncode == 0
    assert mp3.stat().st_size > 1000

    missing = await cli("voicemail", "export", "sales", "msg0042", str(wav))
    assert missing.returncode == 1
    assert "Box 'sales' has no message 'msg0042'" in missing.stderr
