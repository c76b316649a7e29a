"""``@value`` classes: immutable to the type checker, compared and hashed by their fields."""

from __future__ import annotations

import textwrap
from pathlib import Path

from mypy import api as mypy

from continuity.core.value import value


@value
class _Leg:
    channel_id: str
    ringing: bool = False


def test_a_value_equals_and_hashes_as_its_fields() -> None:
    assert _Leg("pbx-1.1") == _Leg("pbx-1.1", ringing=False)
    assert {_Leg("pbx-1.1"), _Leg("pbx-1.1")} == {_Leg("pbx-1.1")}
    assert _Leg("pbx-1.1") != _Leg("pbx-1.1", ringing=True)


def test_the_type_checker_refuses_to_change_a_value(tmp_path: Path) -> None:
    snippet = tmp_path / "changes_a_value.py"
    snippet.write_text(
        textwrap.dedent(
            """
            from continuity.core.outcome import Outcome
            from continuity.core.records import Attempt
            from continuity.core.value import value

            @value(kw_only=True)
            class Step:
                index: int

            attempt = Attempt("primary", "+12125550100", Outcome.BUSY)
            attempt.result = Outcome.ANSWERED
            Step(index=1).index = 2
            """
        )
    )
    out, _, status = mypy.run(
        [str(snippet), "--no-incremental", "--follow-imports=silent", "--config-file="]
    )
    assert status == 1, out
    assert 'Property "result" defined in "Attempt" is read-only' in out
    assert 'Property "index" defined in "Step" is read-only' in out
