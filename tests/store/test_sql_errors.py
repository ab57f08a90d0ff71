"""Driver errors become changeflow errors at the store's boundary (the mapping table, for real)."""

from __future__ import annotations

import sqlite3
import time
from typing import TYPE_CHECKING

import psycopg
import pytest
from sqlalchemy import exc as sa_exc
from sqlalchemy import text

from changeflow import (
    ConcurrentTransition,
    StoreBusy,
    StoreError,
    StoreFull,
    StoreUnavailable,
)
from changeflow.records import Enrolment
from changeflow.states import DEFAULT_LIFECYCLE
from changeflow.store.sql import SqlStore
from changeflow.store.sql.errors import SQLITE_ERRORS, SQLSTATES, translate
from factories import make_cohort, make_participant, trusted_engine

if TYPE_CHECKING:
    from pathlib import Path


def _add_cohort(store: SqlStore, code: str = "PKA-III-VII-2019") -> None:
    """Create a cohort pinned to the default lifecycle, in one committed unit."""
    with store.new_cohort(make_cohort(code), DEFAULT_LIFECYCLE) as uow:
        uow.commit()


def _sqlite_error(name: str, message: str) -> sa_exc.DBAPIError:
    orig = sqlite3.OperationalError(message)
    orig.sqlite_errorname = name
    return sa_exc.OperationalError("SELECT 1", {}, orig)


def _pg_error(error: type[psycopg.Error], message: str) -> sa_exc.DBAPIError:
    return sa_exc.OperationalError("SELECT 1", {}, error(message))


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("SQLITE_BUSY", StoreBusy),
        ("SQLITE_LOCKED", StoreBusy),
        ("SQLITE_FULL", StoreFull),
        ("SQLITE_IOERR_SHMSIZE", StoreFull),
        ("SQLITE_CONSTRAINT_UNIQUE", ConcurrentTransition),
        ("SQLITE_CANTOPEN", StoreUnavailable),
        ("SQLITE_IOERR_WRITE", StoreError),
        ("SQLITE_ERROR", StoreError),
    ],
)
def test_sqlite_error_names_map_to_store_errors(name: str, expected: type[StoreError]) -> None:
    """Each SQLite error name becomes its changeflow error, keeping the driver's as cause."""
    error = _sqlite_error(name, "boom")
    translated = translate(error)
    assert type(translated) is expected
    assert translated.cause is error


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (psycopg.errors.LockNotAvailable, StoreBusy),
        (psycopg.errors.QueryCanceled, StoreBusy),
        (psycopg.errors.SerializationFailure, ConcurrentTransition),
        (psycopg.errors.DeadlockDetected, ConcurrentTransition),
        (psycopg.errors.UniqueViolation, ConcurrentTransition),
        (psycopg.errors.DiskFull, StoreFull),
        (psycopg.errors.AdminShutdown, StoreUnavailable),
        (psycopg.errors.ConnectionFailure, StoreUnavailable),
        (psycopg.errors.UndefinedTable, StoreError),
    ],
)
def test_postgres_sqlstates_map_to_store_errors(
    error: type[psycopg.Error], expected: type[StoreError]
) -> None:
    """Each PostgreSQL SQLSTATE becomes its changeflow error."""
    assert type(translate(_pg_error(error, "boom"))) is expected


def test_mapping_tables_only_name_store_errors() -> None:
    """Every entry of both mapping tables is a StoreError subclass; retryable ones say so."""
    for kind in [*SQLSTATES.values(), *SQLITE_ERRORS.values()]:
        assert issubclass(kind, StoreError)
    assert StoreBusy.retryable
    assert ConcurrentTransition.retryable
    assert StoreUnavailable.retryable
    assert not StoreFull.retryable


def test_a_held_sqlite_write_lock_gives_store_busy_after_the_timeout(tmp_path: Path) -> None:
    """While one writer holds the file, another waits about lock_timeout then gets StoreBusy."""
    url = f"sqlite:///{tmp_path / 'busy.db'}"
    holder, waiter = SqlStore(url), SqlStore(url, lock_timeout=0.3)
    _add_cohort(holder)
    try:
        with holder.unit("PKA-III-VII-2019"):
            started = time.perf_counter()
            with pytest.raises(StoreBusy) as busy, waiter.unit("PKA-III-VII-2019"):
                pass
            waited = time.perf_counter() - started
        assert 0.25 <= waited < 3.0
        assert isinstance(busy.value.__cause__, sa_exc.OperationalError)
    finally:
        holder.close()
        waiter.close()


def test_an_unreachable_database_is_store_unavailable(tmp_path: Path) -> None:
    """A SQLite file in a directory that does not exist cannot be opened: StoreUnavailable."""
    with pytest.raises(StoreUnavailable):
        SqlStore(f"sqlite:///{tmp_path / 'missing' / 'x.db'}")


def test_one_person_active_in_two_cohorts_is_refused_by_the_database(tmp_path: Path) -> None:
    """The partial unique index stops a second active enrolment even without the rules."""
    store = SqlStore(f"sqlite:///{tmp_path / 'twice.db'}")
    try:
        _add_cohort(store, "A")
        _add_cohort(store, "B")
        person = make_participant()
        for code in ("A", "B"):
            with store.unit(code) as uow:
                uow.office(person.office, create=True)
                if code == "B":
                    with pytest.raises(ConcurrentTransition):
                        uow.add(Enrolment(code, person, "enrolled"))
                    break
                uow.add(Enrolment(code, person, "enrolled"))
                uow.commit()
        assert store.enrolment("A", person.nip).state == "enrolled"
        assert store.enrolments("B") == []
    finally:
        store.close()


def test_the_audit_trail_refuses_update_and_delete(tmp_path: Path) -> None:
    """Triggers make the audit table append-only for ordinary connections."""
    store = SqlStore(f"sqlite:///{tmp_path / 'audit.db'}")
    try:
        engine = trusted_engine(store)
        engine.create_cohort(make_cohort())
        engine.enrol("PKA-III-VII-2019", make_participant())
        for statement in ("UPDATE audit SET actor = 'forger'", "DELETE FROM audit"):
            with pytest.raises(sa_exc.DBAPIError, match="append-only"), store.engine.begin() as c:
                c.execute(text(statement))
        assert [e.event for e in engine.history(cohort="PKA-III-VII-2019")] == [
            "create_cohort",
            "enrol",
        ]
        assert engine.verify()[0].ok
    finally:
        store.close()
