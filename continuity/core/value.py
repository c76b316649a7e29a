"""``@value``: the dataclass of what every call builds many of (pure).

A frozen dataclass sets each field through ``object.__setattr__``: building one of 12
fields took 4.3 µs here, against 0.5 µs for the same class unfrozen, and a call builds
dozens (its ARI events and their channels, the core's events, commands and states, its
record). A ``@value`` class is a slotted dataclass, compared and hashed by its fields,
whose fields the type checker refuses to assign (``frozen_default``): ``mypy``, part of
``./dev test``, keeps it immutable, where a frozen dataclass did at run time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar, cast, dataclass_transform, overload

_C = TypeVar("_C", bound=type)


@overload
def value(cls: _C, /) -> _C: ...
@overload
def value(*, kw_only: bool = False) -> Callable[[_C], _C]: ...


@dataclass_transform(frozen_default=True)
def value(cls: _C | None = None, /, *, kw_only: bool = False) -> _C | Callable[[_C], _C]:
    """An immutable value class (see the module): ``@value`` or ``@value(kw_only=True)``
    over a class body."""

    def build(cls: _C) -> _C:
        return cast(_C, dataclass(cls, slots=True, unsafe_hash=True, kw_only=kw_only))

    return build if cls is None else build(cls)
