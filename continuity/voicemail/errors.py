"""What an admin may get wrong with voicemail, and how to fix it."""

from __future__ import annotations

from pathlib import Path

from continuity.errors import ContinuityError


class PromptRejected(ContinuityError):
    """The file cannot be a prompt; the line keeps the prompt it had."""

    def __init__(self, source: Path, reason: str, hint: str = "") -> None:
        tail = f" {hint}" if hint else ""
        super().__init__(
            f"{source} was not set as the prompt: {reason}. The current prompt stays.{tail}"
        )
        self.source = source
        self.reason = reason


class SoxMissing(ContinuityError):
    def __init__(self) -> None:
        super().__init__(
            "sox is not installed, and prompts are converted with it. Install the Debian "
            "packages sox and libsox-fmt-mp3 (for MP3 input)."
        )


class PromptsUnwritable(ContinuityError):
    def __init__(self, directory: Path, detail: str) -> None:
        super().__init__(
            f"cannot write voicemail prompts into {directory} ({detail}). Check "
            "asterisk_spool_dir (CONTINUITY_ASTERISK_SPOOL_DIR) and that this user may write "
            "there; Asterisk must be able to read it."
        )


class UnknownMessage(ContinuityError):
    def __init__(self, box: str, ref: str) -> None:
        super().__init__(
            f"Box {box!r} has no message {ref!r}. List them with `continuity voicemail list {box}`."
        )
        self.box = box
        self.ref = ref


class ExportFailed(ContinuityError):
    def __init__(self, target: Path, reason: str) -> None:
        super().__init__(f"could not export to {target}: {reason}")


class BadAddress(ContinuityError):
    """A notice address or sender that cannot go into a mail header as it is."""

    def __init__(self, address: str, detail: str) -> None:
        super().__init__(
            f"{address!r} is not an e-mail address notices can go to ({detail}): set one "
            "plain address like ops@example.com (`continuity voicemail email set LINE ADDRESS`)"
        )
