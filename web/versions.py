"""Resource versions for ETag / If-Match: a stale write gets 412, never a silent overwrite.

A resource's ETag is the hash of its JSON, checked against If-Match before the
write; the write itself then carries the row version that was read
(:func:`pinned`), which the service checks in the write's own transaction, so a
change that lands in between still gets 412 (``StaleVersion``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from continuity.web.errors import PreconditionFailed


def etag(resource: Mapping[str, Any]) -> str:
    body = json.dumps(resource, sort_keys=True, default=str).encode()
    return '"' + hashlib.sha256(body).hexdigest()[:20] + '"'


def check_if_match(if_match: str | None, current: Mapping[str, Any]) -> None:
    """No If-Match: the write goes ahead. A stale one raises :class:`PreconditionFailed`."""
    if if_match is None or if_match.strip() == "*":
        return
    wanted = {tag.strip().removeprefix("W/") for tag in if_match.split(",")}
    if etag(current) not in wanted:
        raise PreconditionFailed()


def pinned(if_match: str | None, version: int) -> int | None:
    """The row version a conditional write must still find, or None for an unconditional one."""
    return None if if_match is None or if_match.strip() == "*" else version
