"""Read-only view of app_voicemail's spool: the messages in each line's box.

app_voicemail keeps a message as ``<astspooldir>/voicemail/<context>/<box>/
<folder>/msgNNNN.txt`` (its envelope) beside one audio file per configured
format (``.wav``, ``.WAV`` for wav49, ``.gsm``…). Numbers are reused when
messages are deleted; ``msg_id`` in the envelope is the stable identity.
"""

from __future__ import annotations

import configparser
import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from continuity import names
from continuity.voicemail.errors import UnknownMessage

#: app_voicemail's own directory under its spool.
VOICEMAIL_DIR = "voicemail"
FOLDERS = ("INBOX", "Old", "Urgent", "Work", "Family", "Friends")
#: Audio formats in the order we prefer them (for email and export).
AUDIO_EXTENSIONS = (".wav", ".WAV", ".gsm", ".wav16", ".ulaw", ".alaw", ".g722", ".sln")
_MSG = re.compile(r"msg\d{4}\Z")
_ANGLE = re.compile(r"<([^>]*)>")
#: What app_voicemail writes when the caller sent no number.
_WITHHELD = {"", "unknown", "anonymous"}


@dataclass(frozen=True, slots=True)
class Message:
    box: str
    folder: str
    #: ``msg0000``: the position in the folder, which changes as messages are deleted.
    name: str
    msg_id: str
    caller_id: str
    received: dt.datetime
    duration: int
    audio: Path

    @property
    def caller_number(self) -> str:
        """The number of ``"Name" <number>``, the bare caller id, or "" when withheld."""
        match = _ANGLE.search(self.caller_id)
        number = match.group(1) if match else self.caller_id.strip('" ')
        return "" if number.lower() in _WITHHELD else number

    @property
    def caller_name(self) -> str:
        match = _ANGLE.search(self.caller_id)
        return self.caller_id[: match.start()].strip().strip('"') if match else ""

    def to_json(self) -> dict[str, object]:
        return {
            "line": self.box,
            "folder": self.folder,
            "message": self.name,
            "id": self.msg_id,
            "caller_number": self.caller_number,
            "caller_name": self.caller_name,
            "received": self.received.isoformat(),
            "duration": self.duration,
            "audio": str(self.audio),
        }


class Spool:
    def __init__(self, asterisk_spool_dir: Path, context: str = names.VOICEMAIL_CONTEXT) -> None:
        self.root = asterisk_spool_dir / VOICEMAIL_DIR / context

    def box_dir(self, box: str) -> Path:
        return self.root / box

    def boxes(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if p.is_dir())

    def messages(self, box: str, folders: tuple[str, ...] = FOLDERS) -> list[Message]:
        """Complete messages (envelope and audio both there), oldest first per folder."""
        found = []
        for folder in folders:
            directory = self.box_dir(box) / folder
            if not directory.is_dir():
                continue
            for envelope in sorted(directory.glob("msg*.txt")):
                message = read_message(box, folder, envelope)
                if message is not None:
                    found.append(message)
        return found

    def find(self, box: str, ref: str) -> Message:
        """A message by ``id``, by ``msgNNNN`` (INBOX first) or ``FOLDER/msgNNNN``."""
        folder, _, name = ref.rpartition("/")
        for message in self.messages(box):
            if ref == message.msg_id or (name == message.name and folder in ("", message.folder)):
                return message
        raise UnknownMessage(box, ref)


def read_message(box: str, folder: str, envelope: Path) -> Message | None:
    """The message of ``msgNNNN.txt``; None while it is incomplete or unreadable."""
    if not _MSG.match(envelope.stem):
        return None
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read_string(envelope.read_text(encoding="utf-8", errors="replace"))
    except (OSError, configparser.Error):
        return None
    if not parser.has_section("message"):
        return None
    fields = parser["message"]
    audio = next(
        (p for ext in AUDIO_EXTENSIONS if (p := envelope.with_suffix(ext)).is_file()), None
    )
    if audio is None or not fields.get("msg_id"):
        return None
    try:
        received = dt.datetime.fromtimestamp(int(fields.get("origtime", "0")), dt.UTC)
        duration = int(fields.get("duration", "0"))
    except ValueError:
        return None
    return Message(
        box=box,
        folder=folder,
        name=envelope.stem,
        msg_id=fields["msg_id"],
        caller_id=fields.get("callerid", ""),
        received=received,
        duration=duration,
        audio=audio,
    )
