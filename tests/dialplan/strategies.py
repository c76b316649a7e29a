"""Hypothesis strategies: routing states whose labels, names, numbers and targets are hostile."""

from __future__ import annotations

import datetime as dt
import random

from hypothesis import strategies as st

from continuity.core.model import (
    AccountSettings,
    CallerIdPolicy,
    ContinuitySettings,
    Destination,
    DestinationKind,
    ForwardingNumber,
    Line,
    LineKind,
    Snapshot,
    TrackingNumber,
)

T0 = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)

#: Pieces of dialplan and config syntax a value could try to smuggle in.
FRAGMENTS = [
    ";", ",", "$", "{", "}", "[", "]", "(", ")", "\n", "\r", "\t", "\\", '"', "'", "|", "&",
    "=", ":", "/", "_", "-", ".", "@", "+", "?", "!", "*", "#", " ", "é", "☎", "\u2028",
    "\x00", "\x7f", ";--", "--;", "\\;", "${EXTEN}", "$[1+1]", "#include \"x.conf\"",
    "#exec /bin/sh", "exten => ", "same => n,", "[evil]", "include => evil", "_X.", "Dial(",
    "Goto(evil,s,1)", "0", "1", "9", "a", "Z",
]  # fmt: skip

hostile = st.one_of(
    st.text(max_size=24),
    st.lists(st.sampled_from(FRAGMENTS), max_size=10).map("".join),
)
LINE_IDS = ["main", "sales", "support", "b2", "x-1", "night-desk"]
ENDPOINTS = ["agent", "voice-bot", "desk/sip:bob@10.0.0.7", "vb/sip:ai@vb.test;transport=tcp"]
FLAGS = [None, True, False]


class Builder:
    """Builds one state from a seeded random and a pool of hostile strings.

    Hypothesis draws only the seed and the pool: drawing each of a state's
    ~50 fields through strategies costs ~3 ms, this ~0.5 ms, which is what
    lets the property run 10,000 states in seconds. Shrinking still works on
    the pool, where the hostile text lives.
    """

    def __init__(self, rnd: random.Random, pool: list[str], evil: bool) -> None:
        self.rnd = rnd
        self.pool = pool
        self.evil = evil

    def text(self) -> str:
        return self.rnd.choice(self.pool)

    def value(self, valid: str) -> str:
        """``valid``; in an evil state, a hostile string one time in four."""
        return self.text() if self.evil and self.rnd.random() < 0.25 else valid

    def number(self) -> str:
        return self.value(f"+1{self.rnd.randint(2_000_000_000, 9_999_999_999)}")

    def destination(self, lines: list[str]) -> Destination | None:
        kind = self.rnd.choice([None, *DestinationKind])
        if kind is None or kind is DestinationKind.PRIMARY:
            return None
        if kind is DestinationKind.EXTERNAL:
            return Destination(kind, self.number())
        if kind is DestinationKind.VOICEMAIL:
            return Destination(kind, self.value(self.rnd.choice(lines or LINE_IDS)))
        return Destination(kind, self.value(self.rnd.choice(ENDPOINTS)))

    def settings(self, lines: list[str]) -> ContinuitySettings:
        flag = self.rnd.choice
        return ContinuitySettings(flag(FLAGS), flag(FLAGS), self.destination(lines))

    def line(self, line_id: str, lines: list[str]) -> Line:
        verified = [None, T0]
        forwarding = tuple(
            ForwardingNumber(self.number(), T0, self.rnd.choice(verified))
            for _ in range(self.rnd.randint(0, 2))
        )
        kind = self.rnd.choice(list(LineKind))
        test_mode = self.rnd.random() < 0.2
        return Line(
            line_id,
            kind,
            self.text(),
            self.settings(lines),
            forwarding,
            test_mode,
            caller_id=self.rnd.choice([None, *CallerIdPolicy]),
            caller_name_prefix=self.prefix(),
        )

    def prefix(self) -> str:
        """A caller-name prefix: often the (hostile) line name, sometimes hostile itself."""
        return self.rnd.choice(["", "{line}", "{line}:", "Zoë & Co", self.text()])

    def snapshot(self) -> Snapshot:
        rnd = self.rnd
        ids = sorted({self.value(rnd.choice(LINE_IDS)) for _ in range(rnd.randint(0, 3))})
        lines = {i: self.line(i, ids) for i in ids}
        numbers = {}
        for _ in range(rnd.randint(0, 4)):
            number = self.number()
            numbers[number] = TrackingNumber(
                number,
                label=self.text(),
                line=rnd.choice([None, *ids]),
                primary_target=rnd.choice([None, self.number()]),
                continuity=self.settings(ids),
            )
        account = AccountSettings(
            continuity=self.settings(ids),
            voice_agent=rnd.choice([None, *ENDPOINTS]),
            caller_id=rnd.choice(list(CallerIdPolicy)),
            caller_name_prefix=self.prefix(),
        )
        return Snapshot(account, numbers, lines, version=rnd.randint(0, 10**9))


@st.composite
def snapshots(draw: st.DrawFn, evil: st.SearchStrategy[bool] | None = None) -> Snapshot:
    """Labels and line names are always hostile; in half the states (``evil``), so is
    one value in four."""
    rnd = draw(st.randoms(use_true_random=False))
    pool = draw(st.lists(hostile, min_size=1, max_size=4))
    return Builder(rnd, pool, draw(st.booleans() if evil is None else evil)).snapshot()


def stored_snapshots() -> st.SearchStrategy[Snapshot]:
    """States the admin service could have stored: hostile labels and names only."""
    return snapshots(st.just(False))
