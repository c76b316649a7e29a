"""Resource versions for ETag / If-Match: a stale write gets 412, never a silent overwrite.

Until Admin takes an expected version (and raises StaleVersion itself), a
resource's version is the hash of its JSON, checked just before the write.
Swap these two functions for the store's version column when it lands.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from web.errors import PreconditionFailed


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
