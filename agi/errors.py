"""What can go wrong on the FastAGI route, said so an admin can act on it."""

from __future__ import annotations

from continuity.errors import ContinuityError


class AgiError(ContinuityError):
    """Base of the FastAGI route's errors."""


class UnsafeAgiValue(AgiError):
    def __init__(self, what: str, value: str) -> None:
        super().__init__(
            f"refusing to send {what} {value!r} over AGI: only letters, digits and "
            "+ @ : . _ / = ; - are allowed. Correct the setting it came from."
        )


class AgiCommandFailed(AgiError):
    def __init__(self, command: str, result: object) -> None:
        super().__init__(f"Asterisk refused AGI command {command!r}: {result}")


class AgiServerError(AgiError):
    def __init__(self, host: str, port: int, detail: str) -> None:
        super().__init__(
            f"cannot serve FastAGI on {host}:{port} ({detail}). Choose another address "
            "with --agi-host/--agi-port (CONTINUITY_AGI_HOST/PORT), or 0 to turn it off."
        )


class AgiSessionTorn(AgiError):
    def __init__(self) -> None:
        super().__init__("the peer closed the connection before its reply (the call may be gone)")


class AgiReplyUnreadable(AgiError):
    def __init__(self, reply: str) -> None:
        super().__init__(f"the peer's reply {reply[:80]!r} is not an AGI result")
