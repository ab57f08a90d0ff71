"""Connecting to the database: a SQLAlchemy engine set up for changeflow's transactions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import make_url

from changeflow.errors import InvalidInput

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine

__all__ = ["create_sql_engine"]


def create_sql_engine(url: str, *, lock_timeout: float = 5.0, synchronous: str = "FULL") -> Engine:
    """A SQLAlchemy engine set up for changeflow's transactions on SQLite or PostgreSQL.

    SQLite gets WAL, foreign keys, a busy timeout of ``lock_timeout`` seconds and
    ``BEGIN IMMEDIATE`` for write units (the driver's own transaction handling is off);
    ``synchronous`` is ``FULL`` by default so a committed audit row survives a power cut.
    PostgreSQL URLs without a driver use psycopg 3, with pre-ping on pooled connections.
    """
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if parsed.database in (None, "", ":memory:"):
            raise InvalidInput(
                "url", "an in-memory SQLite database is not durable: use MemoryStore"
            )
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
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        # Writers take the write lock up front: a deferred BEGIN that later upgrades to a
        # write can fail with "database is locked" no matter how long the busy timeout.
        write = connection.get_execution_options().get("changeflow_write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")
