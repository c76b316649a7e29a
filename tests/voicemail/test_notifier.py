"""The notice pipeline on its own: a spool as app_voicemail writes it, a real SMTP sink."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Mapping
from pathlib import Path

import pytest

from continuity.voicemail.errors import UnknownMessage
from continuity.voicemail.mail import SmtpSettings, send
from continuity.voicemail.notifier import SentMarkers, VoicemailNotifier
from continuity.voicemail.spool import Spool
from localstack.mailsink import MailSink
from tests.voicemail.sounds import tone

ENVELOPE = """;
; Message Information file
;
[message]
origmailbox={box}
context=continuity-voicemail
exten={box}
callerchan=PJSIP/continuity-inbound-00000000
callerid={callerid}
origdate=Sun Nov 22 03:44:03 AM UTC 2026
origtime=1795319043
category=
msg_id={msg_id}
flag=
duration=2
"""


def deposit(
    spool_dir: Path,
    box: str,
    msg_id: str,
    *,
    folder: str = "INBOX",
    number: int = 0,
    callerid: str = '"Pat Caller" <+13125550111>',
    audio: bool = True,
) -> Path:
    """Leave a message the way app_voicemail does: envelope plus audio."""
    directory = Spool(spool_dir).box_dir(box) / folder
    directory.mkdir(parents=True, exist_ok=True)
    envelope = directory / f"msg{number:04d}.txt"
    envelope.write_text(ENVELOPE.format(box=box, callerid=callerid, msg_id=msg_id))
    if audio:
        tone(envelope.with_suffix(".wav"), 2.0, 440)
    return envelope


@pytest.fixture
async def sink() -> AsyncIterator[MailSink]:
    async with MailSink() as running:
        yield running


def notifier(
    tmp_path: Path,
    sink: MailSink,
    addresses: Mapping[str, str],
    line_name: str = "Sales desk",
    **kw: float,
) -> VoicemailNotifier:
    async def lookup() -> Mapping[str, str]:
        return addresses

    return VoicemailNotifier(
        Spool(tmp_path / "spool"),
        SentMarkers(tmp_path / "sent"),
        lookup,
        lambda: {"sales": line_name},
        functools.partial(send, SmtpSettings(sink.host, sink.port)),
        "pbx@example.com",
        **kw,
    )


async def test_a_message_is_emailed_once_and_only_once_its_line_has_an_address(
    tmp_path: Path, sink: MailSink
) -> None:
    addresses: dict[str, str] = {}
    notices = notifier(tmp_path, sink, addresses)
    deposit(tmp_path / "spool", "sales", "1795319043-00000000")

    assert await notices.scan() == 0
    addresses["sales"] = "desk@example.com"
    assert await notices.scan() == 1
    assert await notices.scan() == 0

    [mail] = sink.received
    assert mail.recipients == ("desk@example.com",)
    assert (
        mail.message["Subject"] == "Voicemail for Sales desk from Pat Caller (+13125550111) (2 s)"
    )


async def test_a_refused_notice_waits_for_its_backoff_then_goes_out(
    tmp_path: Path, sink: MailSink
) -> None:
    notices = notifier(tmp_path, sink, {"sales": "desk@example.com"}, retry_base=60.0)
    deposit(tmp_path / "spool", "sales", "1795319043-00000000")
    sink.refuse = True

    assert await notices.scan() == 0
    sink.refuse = False
    assert await notices.scan() == 0  # not due yet: at least 15 s (base / 4) away
    assert sink.refused == 1

    fast = notifier(tmp_path, sink, {"sales": "desk@example.com"})  # a restarted app
    assert await fast.scan() == 1


async def test_an_incomplete_message_waits_and_a_deleted_one_drops_its_marker(
    tmp_path: Path, sink: MailSink
) -> None:
    notices = notifier(tmp_path, sink, {"sales": "desk@example.com"})
    envelope = deposit(tmp_path / "spool", "sales", "1795319043-00000000", audio=False)
    assert await notices.scan() == 0  # envelope without audio: still being written

    tone(envelope.with_suffix(".wav"), 2.0, 440)
    assert await notices.scan() == 1
    marker = tmp_path / "sent" / "sales" / "1795319043-00000000.sent"
    assert marker.exists()

    envelope.unlink()
    envelope.with_suffix(".wav").unlink()
    await notices.scan()
    assert not marker.exists()


async def test_a_line_name_with_line_breaks_gets_its_notice_with_a_one_line_subject(
    tmp_path: Path, sink: MailSink
) -> None:
    hostile = "Sales\r\nBcc: spy@example.net\r\n\r\nfake body\x1b[31m" + "x" * 500
    notices = notifier(tmp_path, sink, {"sales": "desk@example.com"}, line_name=hostile)
    deposit(tmp_path / "spool", "sales", "1795319043-00000000", callerid='"Pat\tC" <+1312555>')

    assert await notices.scan() == 1

    [mail] = sink.received
    assert mail.recipients == ("desk@example.com",)
    subject = mail.message["Subject"]
    assert subject.startswith("Voicemail for Sales Bcc: spy@example.net fake body [31mxxx")
    assert len(subject) < 300
    assert mail.message["Bcc"] is None


async def test_an_address_that_is_no_address_is_reported_once_and_the_box_keeps_the_message(
    tmp_path: Path, sink: MailSink, caplog: pytest.LogCaptureFixture
) -> None:
    addresses = {"sales": "desk@example.com\r\nBcc: spy@example.net"}
    notices = notifier(tmp_path, sink, addresses)
    deposit(tmp_path / "spool", "sales", "1795319043-00000000")

    assert await notices.scan() == 0
    assert await notices.scan() == 0
    assert sink.received == []
    assert caplog.text.count("is not an e-mail address notices can go to") == 1

    addresses["sales"] = "desk@example.com"  # the admin fixed it
    assert await notices.scan() == 1


async def test_a_marker_that_cannot_be_written_never_sends_the_notice_twice(
    tmp_path: Path, sink: MailSink
) -> None:
    (tmp_path / "sent").write_text("a file where the markers' directory goes")
    notices = notifier(tmp_path, sink, {"sales": "desk@example.com"})
    deposit(tmp_path / "spool", "sales", "1795319043-00000000")

    assert await notices.scan() == 1
    assert await notices.scan() == 0
    assert len(sink.received) == 1

    (tmp_path / "sent").unlink()  # state_dir is fixed: the marker is written, nothing resent
    assert await notices.scan() == 0
    assert (tmp_path / "sent" / "sales" / "1795319043-00000000.sent").exists()
    assert len(sink.received) == 1


def test_messages_are_found_by_id_or_position_and_callers_are_parsed(tmp_path: Path) -> None:
    spool_dir = tmp_path / "spool"
    deposit(spool_dir, "sales", "100-1")
    deposit(spool_dir, "sales", "100-2", folder="Old", callerid="+13125550199")
    spool = Spool(spool_dir)

    assert [m.msg_id for m in spool.messages("sales")] == ["100-1", "100-2"]
    assert spool.find("sales", "100-2").folder == "Old"
    assert spool.find("sales", "msg0000").msg_id == "100-1"
    old = spool.find("sales", "Old/msg0000")
    assert (old.caller_number, old.caller_name) == ("+13125550199", "")
    new = spool.find("sales", "100-1")
    assert (new.caller_number, new.caller_name) == ("+13125550111", "Pat Caller")
    deposit(spool_dir, "sales", "100-3", number=1, callerid="Unknown")
    assert spool.find("sales", "100-3").caller_number == ""
    with pytest.raises(UnknownMessage, match="continuity voicemail list sales"):
        spool.find("sales", "msg0007")
