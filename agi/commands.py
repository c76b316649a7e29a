"""AGI command lines, built so a value can never end a command or start another.

Asterisk reads one command per line and splits it on spaces, honouring double
quotes and backslash escapes. A value that could carry a newline, a quote or
a backslash would let it add commands of its own (``EXEC System ...``), so
values are held to the characters a dial string, a cause list or a mailbox
uses, and quoted.
"""

from __future__ import annotations

import re

from continuity.agi.errors import UnsafeAgiValue

_NAME = re.compile(r"[A-Z][A-Z0-9_]{0,63}\Z")
#: ``%`` and ``^``: the redirecting handler's URI-encoded, ``^``-separated arguments.
_VALUE = re.compile(r"[A-Za-z0-9+@:._/=;%^-]{0,300}\Z")


def set_variable(name: str, value: str) -> str:
    """``SET VARIABLE name "value"``, refusing anything but plain names and values."""
    if not _NAME.match(name):
        raise UnsafeAgiValue("variable name", name)
    if not _VALUE.match(value):
        raise UnsafeAgiValue(f"value of {name}", value)
    return f'SET VARIABLE {name} "{value}"'
