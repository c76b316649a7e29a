"""Errors raised by the ARI client, each saying what failed and where."""

from __future__ import annotations


class AriError(Exception):
    """Base class for every error raised by the ARI client."""


class AriConfigError(AriError):
    """The ARI client configuration is invalid; the message says how to fix it."""


class AriConnectionError(AriError):
    """Asterisk could not be reached (refused, reset, timed out)."""

    def __init__(self, method: str, path: str, reason: str) -> None:
        self.method = method
        self.path = path
        self.reason = reason
        super().__init__(f"ARI {method} {path} could not reach Asterisk: {reason}")


class AriWebSocketError(AriError):
    """The event WebSocket failed: its handshake, or a frame that broke the protocol."""


class AriWebSocketRefused(AriWebSocketError):
    """Asterisk answered the event WebSocket's upgrade with an HTTP error."""

    def __init__(self, status: int) -> None:
        self.status = status
        hint = "; check the ARI user and password in ari.conf and http.conf"
        super().__init__(
            f"ARI refused the event WebSocket with HTTP {status}" + (hint if status == 401 else "")
        )


class AriProtocolError(AriError):
    """Asterisk sent something this client cannot understand."""


class AriHttpError(AriError):
    """Asterisk answered a REST request with a non-2xx status."""

    def __init__(self, status: int, method: str, path: str, message: str) -> None:
        self.status = status
        self.method = method
        self.path = path
        self.message = message
        super().__init__(f"ARI {method} {path} failed with HTTP {status}: {message}")


class AriBadRequest(AriHttpError):
    """HTTP 400: a parameter was missing or invalid."""


class AriNotFound(AriHttpError):
    """HTTP 404: the channel, bridge, variable or playback does not exist."""


class AriConflict(AriHttpError):
    """HTTP 409: the resource is in the wrong state (e.g. not in Stasis)."""


class AriPreconditionFailed(AriHttpError):
    """HTTP 412: the channel is in the wrong state for the operation (e.g. hung up)."""


class AriUnprocessable(AriHttpError):
    """HTTP 422: the request referenced something unusable (e.g. a bad endpoint)."""


class AriServerError(AriHttpError):
    """HTTP 5xx: Asterisk failed internally."""


_BY_STATUS: dict[int, type[AriHttpError]] = {
    400: AriBadRequest,
    404: AriNotFound,
    409: AriConflict,
    412: AriPreconditionFailed,
    422: AriUnprocessable,
}


def http_error(status: int, method: str, path: str, message: str) -> AriHttpError:
    """Build the most specific typed error for an HTTP status."""
    if status >= 500:
        return AriServerError(status, method, path, message)
    cls = _BY_STATUS.get(status, AriHttpError)
    return cls(status, method, path, message)
