"""HTTP-side errors, and the status code each domain error answers with."""

from __future__ import annotations

from continuity import errors
from continuity.access import errors as access_errors
from continuity.errors import ContinuityError
from continuity.voicemail import errors as voicemail_errors


class FieldError(ContinuityError):
    """One input field is wrong; ``message`` says why and how to fix it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class PreconditionFailed(ContinuityError):
    def __init__(self) -> None:
        super().__init__(
            "The resource changed since you read it (If-Match does not match its ETag). "
            "Read it again, then repeat the change on the current version."
        )


class ListenFailed(ContinuityError):
    def __init__(self, address: str, problem: str) -> None:
        super().__init__(
            f"The web console cannot listen on {address}: {problem}. Choose a free "
            "host:port with web_listen (CONTINUITY_WEB_LISTEN), or empty to turn it off."
        )


class UploadRejected(ContinuityError):
    """An upload that is too large or not of the expected type."""


_NOT_FOUND: tuple[type[Exception], ...] = (
    errors.UnknownLine,
    errors.UnknownTrackingNumber,
    voicemail_errors.UnknownMessage,
    access_errors.UnknownName,
)
_CONFLICT: tuple[type[Exception], ...] = (
    errors.DuplicateLine,
    errors.DuplicateTrackingNumber,
    errors.LineInUse,
    access_errors.DuplicateName,
)
#: A stale write; Admin raises StaleVersion once it takes an expected version.
_STALE_VERSION = getattr(errors, "StaleVersion", None)
_STALE: tuple[type[Exception], ...] = (
    (PreconditionFailed, _STALE_VERSION)
    if isinstance(_STALE_VERSION, type)
    else (PreconditionFailed,)
)


def status_of(exc: ContinuityError) -> int:
    if isinstance(exc, _NOT_FOUND):
        return 404
    if isinstance(exc, _CONFLICT):
        return 409
    if isinstance(exc, _STALE):
        return 412
    if isinstance(exc, UploadRejected):
        return 413 if "too large" in str(exc) else 415
    if isinstance(exc, (errors.StoreUnavailable, errors.SchemaOutdated)):
        return 503
    return 422


def field_of(exc: ContinuityError, default: str = "body") -> str:
    found = getattr(exc, "field", None)
    return found if isinstance(found, str) and found else default
