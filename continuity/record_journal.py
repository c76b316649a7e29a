"""The call-record journal: records waiting in memory for their batch's insert, on disk too.

A record that waits for company before its batch's insert (the recorder's linger) is
first appended to the run's journal file, one JSON line per record, written with one
unbuffered ``write``. Once every record of the file is in PostgreSQL or in the spool,
the file is emptied (or removed, if a newer one took over). An app killed meanwhile
leaves the file behind, and the next run's flusher writes its records: inserts skip a
call id already present, so records that did reach the database are harmless. Not
fsync'd: the journal outlives the app, not the machine; a power cut loses at most the
records of the linger (Asterisk's call trace keeps those calls too).

Creating and removing a file per batch cost as much CPU as the linger saved (0.2 ms
per record at 20 calls/s, bench.records_cost): one file is kept open and emptied.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from pathlib import Path

import orjson

from continuity.core.records import CallRecord

log = logging.getLogger(__name__)

PREFIX = "journal-"
SUFFIX = ".jsonl"
#: Records a journal file takes before a new one does: under a steady load a file
#: may never be all stored at once, so it would never be emptied.
SEGMENT = 2000


class Segment:
    """One journal file: its records not yet stored elsewhere, and how many it took."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o600)
        self.unstored = 0
        self.taken = 0


class Journal:
    """This run's journal files in a spool folder, and the ones other runs left."""

    def __init__(self, folder: Path) -> None:
        self._folder = folder
        self._run = f"{os.getpid()}-{time.time_ns()}"
        self._count = 0
        self._current: Segment | None = None
        #: This run's files by name, while they hold records not stored elsewhere.
        self._live: dict[str, Segment] = {}

    def append(self, record: CallRecord) -> Segment:
        """Write ``record``; give the segment back to :meth:`stored` with it later."""
        segment = self._current
        if segment is None or segment.taken >= SEGMENT:
            self._count += 1
            segment = Segment(self._folder / f"{PREFIX}{self._run}-{self._count}{SUFFIX}")
            self._current = segment
            self._live[segment.path.name] = segment
        # orjson writes the dataclass as CallRecord.to_json would, 5 times faster.
        os.write(segment.fd, orjson.dumps(record, option=orjson.OPT_APPEND_NEWLINE))
        segment.unstored += 1
        segment.taken += 1
        return segment

    def stored(self, segment: Segment, records: int) -> None:
        """``records`` of ``segment`` are in the database or the spool now."""
        segment.unstored -= records
        if segment.unstored > 0 or segment.path.name not in self._live:
            return  # more to come, or abandoned: the flusher has the file
        if segment is self._current:
            os.ftruncate(segment.fd, 0)  # appends go to the (new) end
            segment.taken = 0
            return
        os.close(segment.fd)
        del self._live[segment.path.name]
        segment.path.unlink(missing_ok=True)

    def abandon(self, segment: Segment) -> None:
        """A write failed: the segment's records stay on disk for the flusher, which
        may write the file once this run no longer appends to it."""
        if segment is self._current:
            self._current = None
        if segment.path.name in self._live:
            os.close(segment.fd)
            del self._live[segment.path.name]

    def leftovers(self) -> list[Path]:
        """Journal files this run is not using: a killed run's, or one of this run's
        whose write failed."""
        return sorted(
            p for p in self._folder.glob(f"{PREFIX}*{SUFFIX}") if p.name not in self._live
        )

    def left(self) -> int:
        """How many records the :meth:`leftovers` hold (one line each)."""
        count = 0
        for path in self.leftovers():
            with contextlib.suppress(OSError):
                count += len(path.read_bytes().splitlines())
        return count

    @staticmethod
    def read(path: Path) -> list[CallRecord]:
        """The records of a journal file. A line cut short (the app killed in the
        middle of a write) is skipped with an error; the others are kept."""
        records: list[CallRecord] = []
        for number, line in enumerate(path.read_bytes().splitlines(), start=1):
            try:
                records.append(CallRecord.from_json(orjson.loads(line)))
            except (ValueError, KeyError, TypeError) as exc:  # orjson's error is a ValueError
                log.error("call record journal %s line %d is unreadable (%s)", path, number, exc)
        return records
