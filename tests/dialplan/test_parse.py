"""The strict reader of generated dialplan: what it accepts, and each thing it refuses."""

from __future__ import annotations

import re

import pytest

from continuity.dialplan_templates.parse import InvalidDialplan, Priority, parse_extensions, program

GOOD = """; a comment
[ctx]
exten => +12125550101,1,NoOp(hello) ; a comment after the call
 same => n(step1),Dial(PJSIP/agent/sip:a@h\\;transport=tcp,20)
 same => n,Hangup()
exten => _[+0-9].,1,Goto(other,s,1)
"""


def test_a_generated_file_reads_back_as_asterisk_registers_it() -> None:
    dialplan = parse_extensions(GOOD)
    assert program(dialplan, "ctx", "+12125550101") == [
        Priority("+12125550101", 1, None, "NoOp", "hello"),
        Priority("+12125550101", 2, "step1", "Dial", "PJSIP/agent/sip:a@h;transport=tcp,20"),
        Priority("+12125550101", 3, None, "Hangup", ""),
    ]
    assert program(dialplan, "ctx", "_[+0-9].") == [
        Priority("_[+0-9].", 1, None, "Goto", "other,s,1")
    ]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("[ctx]\n;-- hides\nexten => 1,1,NoOp()\n--;\n", "block comment"),
        ('[ctx]\n#include "evil.conf"\n', "directives"),
        ("[ctx]\n#exec /bin/sh\n", "directives"),
        ("[ctx]\ninclude => evil\n", "only exten => and same =>"),
        ("[ctx]\nswitch => Realtime/evil\n", "only exten => and same =>"),
        ("[ctx](+)\nexten => 1,1,NoOp()\n", "plain [context]"),
        ("[ctx]\nexten => 1/5551234,1,NoOp()\n", "plain extension name"),
        ("[ctx]\nexten => 1,hint,PJSIP/x\n", "not a priority"),
        ("[ctx]\nexten => 1,1,NoOp(caf\u00e9)\n", "non-ASCII"),
        ("[ctx]\nexten => 1,1,NoOp(a\rb)\n", "control characters"),
        ("exten => 1,1,NoOp()\n", "before the first [context]"),
        ("[ctx]\n same => n,NoOp()\n", "same => before any exten"),
        ("[ctx]\nexten => 1,n,NoOp()\n", "priority n with no priority before it"),
        ("[ctx]\nexten => 1,1,NoOp()\nexten => 1,1,NoOp()\n", "already taken"),
        ("[ctx]\nexten => 1,1,NoOp\n", "App(data)"),
        ("[ctx]\nexten => 1,1,Dial(PJSIP/a;b,20)\n", "App(data)"),  # unescaped ; cuts the call
        ("[ctx]\n[ctx]\n", "context defined twice"),
    ],
)
def test_anything_a_template_never_writes_is_refused(text: str, problem: str) -> None:
    with pytest.raises(InvalidDialplan, match=re.escape(problem)):
        parse_extensions(text)
