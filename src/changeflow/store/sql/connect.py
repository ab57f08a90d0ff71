"""Connecting to the database: a SQLAlchemy engine set up for changeflow's transactions."""

from __future__ import annotations

import math
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import make_url

from changeflow.errors import InvalidInput, NotADatabase
from changeflow.store.sql.errors import translate

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine

__all__ = ["MAX_LOCK_TIMEOUT", "check_lock_timeout", "create_sql_engine", "probe_sqlite"]

MAX_LOCK_TIMEOUT = 86_400.0
"""The longest wait for a lock, in seconds (one day; both databases take milliseconds)."""


def check_lock_timeout(seconds: float) -> None:
    """Refuse a lock timeout that is not a finite number of seconds in (0, one day]."""
    if not (isinstance(seconds, int | float) and math.isfinite(seconds)):
        raise InvalidInput("lock_timeout", f"must be a finite number of seconds, not {seconds!r}")
    if not 0 < seconds <= MAX_LOCK_TIMEOUT:
        raise InvalidInput(
            "lock_timeout", f"must be more than 0 and at most {MAX_LOCK_TIMEOUT:,.0f} seconds"
        )


def create_sql_engine(url: str, *, lock_timeout: float = 5.0, synchronous: str = "FULL") -> Engine:
    """A SQLAlchemy engine set up for changeflow's transactions on SQLite or PostgreSQL.

    SQLite gets WAL, foreign keys, a busy timeout of ``lock_timeout`` seconds and
    ``BEGIN IMMEDIATE`` for write units (the driver's own transaction handling is off);
    ``synchronous`` is ``FULL`` by default so a committed audit row survives a power cut.
    PostgreSQL URLs without a driver use psycopg 3, with pre-ping on pooled connections.
    """
    check_lock_timeout(lock_timeout)
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if parsed.database in (None, "", ":memory:"):
            raise InvalidInput(
                "url", "an in-memory SQLite database is not durable: use MemoryStore"
            )
        _file_of(parsed.database)
        engine = create_engine(parsed, connect_args={"timeout": lock_timeout})
        _configure_sqlite(engine, lock_timeout, synchronous)
        return engine
    if backend == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        # lock_timeout is a session setting, so waiting is bounded without a statement per
        # transaction.
        options = f"-c lock_timeout={int(lock_timeout * 1000)}"
        return create_engine(
            parsed, pool_pre_ping=True, connect_args={"connect_timeout": 10, "options": options}
        )
    raise InvalidInput("url", f"unsupported database {backend!r} (use sqlite or postgresql)")


def _file_of(database: str) -> Path:
    # A directory never becomes usable by retrying: say so instead of "unable to open".
    path = Path(database)
    if path.is_dir():
        raise InvalidInput("url", f"{database!r} is a directory, not a database file")
    return path


def _configure_sqlite(engine: Engine, lock_timeout: float, synchronous: str) -> None:
    if synchronous.upper() not in {"OFF", "NORMAL", "FULL", "EXTRA"}:
        raise InvalidInput("synchronous", f"unknown SQLite synchronous mode {synchronous!r}")

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event, not the driver, decide how transactions start.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(lock_timeout * 1000)}")
        cursor.execute(f"PRAGMA synchronous={synchronous.upper()}")
        # Deleted content is overwritten with zeros, not left in free space: an erased
        # person's NIP and name must not survive in the file (see Store.forget).
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        # Writers take the write lock up front: a deferred BEGIN that later upgrades to a
        # write can fail with "database is locked" no matter how long the busy timeout.
        write = connection.get_execution_options().get("changeflow_write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def probe_sqlite(url: str) -> None:
    """Refuse, without writing a byte, an SQLite file that holds no changeflow schema.

    The engine's connections switch the file to WAL, which writes a header into an empty
    file, so the probe opens it read-only with the bare driver first. Raises
    :class:`NotADatabase` for a missing, empty, foreign or non-SQLite file; other URLs pass.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return
    path = _file_of(parsed.database)
    label = parsed.render_as_string(hide_password=True)
    if not path.exists():
        raise NotADatabase(label, "the file does not exist (create it with init)")
    try:
        uri = f"{path.resolve().as_uri()}?mode=ro"
        with closing(sqlite3.connect(uri, uri=True)) as connection:
            tables = connection.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
            ).fetchall()
    except sqlite3.Error as exc:
        if getattr(exc, "sqlite_errorname", None) != "SQLITE_NOTADB":
            raise translate(exc) from exc  # a full disk or a damaged file says so itself
        raise NotADatabase(label, "it is not an SQLite database", cause=exc) from exc
    if not tables:
        reason = "the file is empty" if path.stat().st_size == 0 else "it has no changeflow schema"
        raise NotADatabase(label, f"{reason} (create one with init)")
