"""No label, name, number or target can create or alter dialplan, over 10,000 hostile states.

Each example is a whole routing state whose labels and line names are hostile
text (newlines, ``;``, ``;--``, ``${...}``, commas, brackets, non-ASCII), and
whose numbers, targets and line ids are hostile one time in four. The
rendered file is read back with the same strict parser ``apply`` uses
(checked against what Asterisk itself loads in ``test_apply``): it must hold
exactly the extensions the state calls for, each dialing exactly the chain
the routing core chose. A render may refuse only a value the admin service
would never have stored.
"""

from __future__ import annotations

import re

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from continuity import names
from continuity.agi.commands import set_variable
from continuity.agi.errors import UnsafeAgiValue
from continuity.agi.route import route_variables
from continuity.config import UnknownNumberPolicy
from continuity.core.model import DestinationKind, Snapshot, TrunkHealth
from continuity.core.routing import plan_route
from continuity.core.static_route import static_route
from continuity.core.validation import _LINE_ID, _SIP_TARGET
from continuity.dialplan_templates.parse import Dialplan, extensions, parse_extensions, program
from continuity.dialplan_templates.pjsip import (
    TrunkSettings,
    UnsafeTrunk,
    expected_contacts,
    render_pjsip,
)
from continuity.dialplan_templates.render import UnsafeValue, render_extensions
from tests.dialplan.strategies import hostile, snapshots, stored_snapshots

EXAMPLES = 10_000
TIMEOUT = 30
PATTERN = "_[+0-9]."
#: What the database accepts as a tracking number (and the admin as any E.164 number).
E164 = re.compile(r"\+[1-9][0-9]{5,14}\Z")
APPS = {"NoOp", "Dial", "GotoIf", "Set", "ExecIf", "Goto", "Hangup"}
POLICY = UnknownNumberPolicy("reject", "unallocated")


def stored_values_are_valid(snapshot: Snapshot) -> bool:
    """Whether the admin service could have stored every value that reaches dialplan."""
    values: list[tuple[re.Pattern[str], str]] = []
    settings_ = [snapshot.account.continuity]
    for line in snapshot.lines.values():
        values.append((_LINE_ID, line.id))
        values.extend((E164, f.number) for f in line.forwarding)
        settings_.append(line.continuity)
    for number in snapshot.numbers.values():
        values.append((E164, number.number))
        if number.primary_target is not None:
            values.append((E164, number.primary_target))
        settings_.append(number.continuity)
    grammar = {
        DestinationKind.EXTERNAL: E164,
        DestinationKind.SIP: _SIP_TARGET,
        DestinationKind.VOICE_AGENT: _SIP_TARGET,
        DestinationKind.VOICEMAIL: _LINE_ID,
    }
    for setting in settings_:
        if setting.destination is not None:
            values.append((grammar[setting.destination.kind], setting.destination.target))
    return all(pattern.match(value) for pattern, value in values)


def redirect_option(args: str) -> str:
    """Dial()'s pre-dial handler option for a continuity leg (none for the primary)."""
    if not args:
        return ""
    return f",b({names.CTX_REDIRECT}^s^1({args}^${{{names.VAR_DIAL_CAUSE}}}))"


def assert_exactly_the_chains(snapshot: Snapshot, health: TrunkHealth, dialplan: Dialplan) -> None:
    assert set(dialplan) == {
        names.CTX_TRACKING,
        names.CTX_FALLBACK,
        names.CTX_UNKNOWN,
        names.CTX_VOICEMAIL,
        names.CTX_LEG_HANGUP,
        names.CTX_BRIDGE,
        names.CTX_VERIFY,
        names.CTX_REDIRECT,
        names.CTX_CALL_TRACE,
    }
    assert extensions(dialplan, names.CTX_LEG_HANGUP) == {"s"}
    assert extensions(dialplan, names.CTX_BRIDGE) == {"_X!"}
    assert extensions(dialplan, names.CTX_REDIRECT) == {"s"}
    assert extensions(dialplan, names.CTX_CALL_TRACE) == {"s"}
    assert extensions(dialplan, names.CTX_TRACKING) == {PATTERN}
    assert extensions(dialplan, names.CTX_FALLBACK) == set(snapshot.numbers) | {PATTERN}
    assert extensions(dialplan, names.CTX_UNKNOWN) == {PATTERN, "s"}
    assert extensions(dialplan, names.CTX_VOICEMAIL) == set(snapshot.lines)
    for number in snapshot.numbers:
        route = static_route(plan_route(snapshot, number, health), TIMEOUT)
        steps = program(dialplan, names.CTX_FALLBACK, number)
        assert {p.app for p in steps} <= APPS
        assert [p.data for p in steps if p.app == "Dial"] == [
            f"{step.dial},{step.timeout}" + redirect_option(step.redirect) for step in route.dials
        ]
        assert [p.data for p in steps if p.app == "Goto"] == (
            [f"{names.CTX_VOICEMAIL},{route.mailbox},1"] if route.mailbox else []
        )
        # Where each step leads, as the call trace records it: the quoted token only.
        assert [p.data for p in steps if p.data.startswith(f"{names.VAR_DIALING}=")] == [
            f"{names.VAR_DIALING}={step.token}" for step in route.dials
        ]
        causes = [p.data for p in steps if p.app == "Set" and "FAILOVER" in p.data]
        assert causes == [
            f"{names.VAR_FAILOVER_CAUSES}={step.failover_causes}"
            for step in route.dials
            if step.failover_causes is not None
        ]


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(snapshots(), st.booleans())
def test_hostile_values_never_add_or_change_an_extension(snapshot: Snapshot, down: bool) -> None:
    health = TrunkHealth(primary_down=down)
    try:
        text = render_extensions(snapshot, POLICY, TIMEOUT, health)
    except UnsafeValue:
        event("refused")
        assert not stored_values_are_valid(snapshot)
        return
    event("rendered")
    assert_exactly_the_chains(snapshot, health, parse_extensions(text))


def agi_words(line: str) -> list[str]:
    """Split an AGI command as res_agi's parse_args does: spaces, "quotes", \\escapes."""
    words: list[str] = []
    current: list[str] = []
    quoted = escaped = started = False
    for char in line:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            escaped = started = True
        elif char == '"':
            quoted, started = not quoted, True
        elif char in " \t" and not quoted:
            if started:
                words.append("".join(current))
            current, started = [], False
        else:
            current.append(char)
            started = True
    if started:
        words.append("".join(current))
    return words


@settings(max_examples=2_000, deadline=None, derandomize=True, database=None)
@given(hostile)
def test_an_agi_variable_is_one_command_with_exactly_its_value(value: str) -> None:
    try:
        command = set_variable(names.VAR_DIAL_STRING, value)
    except UnsafeAgiValue:
        return
    assert "\n" not in command and "\r" not in command
    assert agi_words(command) == ["SET", "VARIABLE", names.VAR_DIAL_STRING, value]


@settings(max_examples=1_000, deadline=None, derandomize=True, database=None)
@given(stored_snapshots(), st.booleans(), st.one_of(hostile, st.just("")))
def test_the_agi_route_sends_every_stored_state_and_any_dialed_text(
    snapshot: Snapshot, down: bool, dialed: str
) -> None:
    assert stored_values_are_valid(snapshot)
    for number in [*snapshot.numbers, dialed]:
        route = static_route(plan_route(snapshot, number, TrunkHealth(down)), TIMEOUT)
        for name, value in route_variables(route).items():
            assert agi_words(set_variable(name, value))[3:] == [value]


@settings(max_examples=2_000, deadline=None, derandomize=True, database=None)
@given(hostile, st.sampled_from(["sip:10.0.0.1", "sips:t.example:5061", "sip:h;transport=tcp"]))
def test_a_trunk_contact_is_written_as_given_or_refused(bad: str, good: str) -> None:
    for uri in (bad, good):
        try:
            text = render_pjsip(TrunkSettings(uri, good))
        except UnsafeTrunk:
            assert uri is bad
            continue
        assert expected_contacts(text) == {
            names.ENDPOINT_PRIMARY: {(names.ENDPOINT_PRIMARY, uri)},
            names.ENDPOINT_PSTN: {(names.ENDPOINT_PSTN, good)},
        }
