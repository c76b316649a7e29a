"""What an admin may get wrong with tokens and users, and how to fix it."""

from __future__ import annotations

from continuity.errors import ContinuityError


class InvalidName(ContinuityError):
    def __init__(self, what: str, name: str) -> None:
        super().__init__(
            f"{name!r} cannot be a {what} name: use 1-64 letters, digits, _ . @ -, "
            "starting with a letter or digit."
        )
        self.name = name


class InvalidRole(ContinuityError):
    def __init__(self, role: str) -> None:
        super().__init__(f"{role!r} is not a role: use admin (changes) or viewer (reads).")
        self.role = role


class DuplicateName(ContinuityError):
    def __init__(self, what: str, name: str) -> None:
        super().__init__(
            f"A {what} named {name!r} already exists. Choose another name, or revoke or "
            f"remove the old one first (`continuity {what} list`)."
        )
        self.name = name


class UnknownName(ContinuityError):
    def __init__(self, what: str, name: str) -> None:
        super().__init__(
            f"No {what} named {name!r} exists. List them with `continuity {what} list`."
        )
        self.name = name


class WeakPassword(ContinuityError):
    def __init__(self, minimum: int) -> None:
        super().__init__(f"The password is too short: use at least {minimum} characters.")
