"""JSON for ARI: event frames, REST-over-WebSocket frames and REST bodies.

orjson parses and writes these frames several times faster than the standard
library's ``json`` (issue 13: the wire costs were measured per call), and it
is the one place that knows which codec the client uses.
"""

from __future__ import annotations

from typing import Any

import orjson

#: What a decode failure raises; a subclass of ``ValueError``.
DecodeError = orjson.JSONDecodeError


def loads(data: str | bytes) -> Any:
    """Decode one JSON document; ``DecodeError`` (a ``ValueError``) if it is not one."""
    return orjson.loads(data)


def dumps(value: Any) -> str:
    """Compact JSON text: WebSocket text frames and request bodies must be ``str``."""
    return orjson.dumps(value).decode()
