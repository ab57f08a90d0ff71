"""Driver errors translated into the changeflow hierarchy at the store's boundary.

SQLite reports its condition as ``sqlite_errorname`` (``SQLITE_BUSY``, ``SQLITE_FULL`` ...);
psycopg as a ``sqlstate``. :func:`translate` maps both to a :class:`StoreError` subclass,
keeping the driver's exception as ``cause`` (and as ``__cause__`` when raised with
``from``). :data:`SQLSTATES` and :data:`SQLITE_ERRORS` are the mapping tables.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING

from sqlalchemy import exc as sa_exc

from changeflow.errors import (
    ConcurrentTransition,
    NotADatabase,
    StoreBusy,
    StoreCorrupt,
    StoreError,
    StoreFull,
    StoreUnavailable,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["SQLITE_ERRORS", "SQLSTATES", "translate", "translated"]

SQLSTATES: dict[str, type[StoreError]] = {
    "55P03": StoreBusy,  # lock_not_available (lock_timeout)
    "57014": StoreBusy,  # query_canceled (statement_timeout)
    "40001": ConcurrentTransition,  # serialization_failure
    "40P01": ConcurrentTransition,  # deadlock_detected
    "23505": ConcurrentTransition,  # unique_violation: a concurrent writer got there first
    "53100": StoreFull,  # disk_full
    "53200": StoreFull,  # out_of_memory
    "57P01": StoreUnavailable,  # admin_shutdown (e.g. pg_terminate_backend)
    "57P02": StoreUnavailable,  # crash_shutdown
    "57P03": StoreUnavailable,  # cannot_connect_now
}
"""PostgreSQL SQLSTATE codes; class ``08`` (connection exceptions) is StoreUnavailable too."""

SQLITE_ERRORS: dict[str, type[StoreError]] = {
    "SQLITE_BUSY": StoreBusy,
    "SQLITE_BUSY_SNAPSHOT": StoreBusy,
    "SQLITE_LOCKED": StoreBusy,
    "SQLITE_FULL": StoreFull,
    "SQLITE_NOTADB": NotADatabase,
    # WAL readers need the -shm file; growing it on a full disk fails with this code and
    # only "disk I/O error" as the message, so the name is all that tells it apart.
    "SQLITE_IOERR_SHMSIZE": StoreFull,
    "SQLITE_CONSTRAINT_UNIQUE": ConcurrentTransition,
    "SQLITE_CONSTRAINT_PRIMARYKEY": ConcurrentTransition,
    "SQLITE_CANTOPEN": StoreUnavailable,
    "SQLITE_CORRUPT": StoreCorrupt,
}
"""SQLite extended error names (``sqlite3`` exceptions carry them as ``sqlite_errorname``)."""


def _kind(error: BaseException) -> type[StoreError]:
    orig = getattr(error, "orig", None) or error
    sqlstate = getattr(orig, "sqlstate", None)
    name = getattr(orig, "sqlite_errorname", None)
    if isinstance(sqlstate, str):
        kind = StoreUnavailable if sqlstate.startswith("08") else SQLSTATES.get(sqlstate)
    elif isinstance(name, str):
        full = name.startswith("SQLITE_IOERR") and "FULL" in str(orig).upper()
        kind = StoreFull if full else SQLITE_ERRORS.get(name)
    elif isinstance(error, sa_exc.TimeoutError):
        kind = StoreBusy  # no pooled connection freed in time
    elif isinstance(error, sa_exc.DisconnectionError | sa_exc.OperationalError) or (
        isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated
    ):
        # Connection refused, lost or invalidated: the database is out of reach.
        kind = StoreUnavailable
    else:
        kind = None
    return kind or StoreError


def translate(error: BaseException) -> StoreError:
    """The changeflow error for a driver or SQLAlchemy error."""
    kind = _kind(error)
    orig = getattr(error, "orig", None) or error
    message = f"{type(orig).__name__}: {str(orig).strip().splitlines()[0] if str(orig) else ''}"
    if kind is ConcurrentTransition:
        return ConcurrentTransition(f"a concurrent writer got there first ({message})", cause=error)
    if kind is NotADatabase:
        # Raised by the driver with the file in hand: the URL is not known here.
        return NotADatabase("the database", "the file is not an SQLite database", cause=error)
    if kind is StoreFull:
        # Some drivers only say "disk I/O error": name the condition the caller can act on.
        return StoreFull(f"the disk or the database's size limit is full ({message})", cause=error)
    return kind(message, cause=error)


@contextmanager
def translated() -> Iterator[None]:
    """Re-raise SQLAlchemy and driver errors inside the block as :class:`StoreError` s."""
    try:
        yield
    except sa_exc.SQLAlchemyError as error:
        raise translate(error) from error
