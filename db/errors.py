"""PostgreSQL's refusals as domain errors: nothing leaves this package as ``psycopg.Error``.

Every connection of a :class:`continuity.db.pool.Pool` runs inside :func:`translated`,
and so do the adapter's own direct connections (migrations, LISTEN, the leader lease).
The admin service checks every value first, so the refusals fire only for what the
checks missed or for what changed underneath (a race, a lost connection).

Outside this package, code catches :class:`continuity.errors.StoreError` and its kinds:
``StoreUnavailable`` (cannot reach it now), ``SchemaOutdated`` (migrations pending),
``ChangeRejected`` (it refused a write).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg_pool import PoolTimeout

from continuity.errors import (
    ChangeRejected,
    ContinuityError,
    InvalidSetting,
    SchemaOutdated,
    StoreUnavailable,
)

#: Raised by migration 0005's trigger when a line would keep a sixth forwarding number.
FORWARDING_LIMIT = "forwarding_numbers_limit"


@contextmanager
def translated() -> Iterator[None]:
    try:
        yield
    except ContinuityError:
        raise
    except psycopg.errors.CheckViolation as exc:
        if exc.diag.constraint_name == FORWARDING_LIMIT:
            raise InvalidSetting(
                f"{exc.diag.message_primary}; remove one first (`continuity line forward remove`)",
                "number",
            ) from exc
        raise ChangeRejected(_detail(exc), exc.diag.column_name) from exc
    except (
        psycopg.errors.UndefinedTable,
        psycopg.errors.UndefinedColumn,
        psycopg.errors.UndefinedFunction,
    ) as exc:
        raise SchemaOutdated(exc.diag.message_primary or str(exc).strip()) from exc
    except psycopg.errors.TransactionRollback as exc:  # deadlock, serialization failure
        raise ChangeRejected(
            "it collided with another change made at the same moment; run it again"
        ) from exc
    except (psycopg.IntegrityError, psycopg.DataError, psycopg.ProgrammingError) as exc:
        raise ChangeRejected(_detail(exc), exc.diag.column_name) from exc
    except (PoolTimeout, psycopg.OperationalError, psycopg.InterfaceError) as exc:
        # PoolTimeout, PoolClosed and TooManyRequests are OperationalErrors too.
        raise StoreUnavailable(str(exc).strip() or type(exc).__name__) from exc
    except psycopg.Error as exc:
        raise ChangeRejected(_detail(exc)) from exc


def _detail(exc: psycopg.Error) -> str:
    return f"the database refused it ({exc.diag.message_primary or str(exc).strip()})"
