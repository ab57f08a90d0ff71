"""Connecting to the database: a SQLAlchemy engine set up for changeflow's transactions."""

from __future__ import annotations

import math
import re
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, make_url

from changeflow.errors import InvalidInput, NotADatabase
from changeflow.store.sql.errors import translate
from changeflow.store.sql.schema import LEGACY_VERSION_TABLE, REVISIONS, VERSION_TABLE

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine

__all__ = [
    "MAX_LOCK_TIMEOUT",
    "SCHEMA_PARAMETER",
    "check_lock_timeout",
    "chosen_schema",
    "create_sql_engine",
    "missing_database",
    "parse_url",
    "probe_sqlite",
]

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


SCHEMA_PARAMETER = "schema"
"""The URL query parameter naming the PostgreSQL schema (``...?schema=hr``); changeflow
takes it out of the URL before connecting."""

_SCHEMA_NAME = re.compile(r"(?!pg_)[a-z_][a-z0-9_]{0,62}")
"""A schema name usable unquoted: lower case, at most 63 bytes, not PostgreSQL's own ``pg_``."""

_MISSING_DATABASE = re.compile(r'database "(?P<name>[^"]+)" does not exist')
"""How the server refuses a connection to a database it lacks (libpq gives no SQLSTATE)."""


def parse_url(url: str | URL) -> URL:
    """The URL with ``postgres://`` (as Heroku and others write it) read as ``postgresql://``.

    A PostgreSQL URL without a driver gets psycopg 3, the one changeflow installs.
    """
    parsed = make_url(url)
    dialect, _, driver = parsed.drivername.partition("+")
    if dialect in ("postgres", "postgresql"):
        parsed = parsed.set(drivername=f"postgresql+{driver or 'psycopg'}")
    return parsed


def chosen_schema(url: str | URL, schema: str | None = None) -> str | None:
    """The PostgreSQL schema named by ``schema`` or by the URL's ``schema=`` parameter.

    Both may name it, but not two different ones; a name must be a plain lower-case
    identifier. Raises :class:`InvalidInput` for a conflict, a bad name, or a schema asked
    of SQLite (which has none).
    """
    parsed = parse_url(url)
    in_url = parsed.query.get(SCHEMA_PARAMETER)
    if isinstance(in_url, tuple):
        raise InvalidInput("schema", f"the URL names {len(in_url)} schemas: name one")
    if schema and in_url and schema != in_url:
        raise InvalidInput("schema", f"{schema!r} differs from the URL's schema={in_url}")
    chosen = schema or in_url or None
    if chosen is None:
        return None
    if parsed.get_backend_name() != "postgresql":
        raise InvalidInput("schema", "only a PostgreSQL database has schemas (not SQLite)")
    if not _SCHEMA_NAME.fullmatch(chosen):
        raise InvalidInput(
            "schema",
            f"{chosen!r} is not a usable schema name: lower-case letters, digits and "
            "underscores, at most 63, not starting with a digit or pg_",
        )
    return chosen


def missing_database(error: BaseException | None) -> str | None:
    """The database a failed connection named as missing (``None``: it failed otherwise)."""
    orig = getattr(error, "orig", None) or error
    found = _MISSING_DATABASE.search(str(orig)) if orig is not None else None
    return found["name"] if found else None


def create_sql_engine(
    url: str,
    *,
    lock_timeout: float = 5.0,
    synchronous: str = "FULL",
    schema: str | None = None,
) -> Engine:
    """A SQLAlchemy engine set up for changeflow's transactions on SQLite or PostgreSQL.

    SQLite gets WAL, foreign keys, a busy timeout of ``lock_timeout`` seconds and
    ``BEGIN IMMEDIATE`` for write units (the driver's own transaction handling is off);
    ``synchronous`` is ``FULL`` by default so a committed audit row survives a power cut.
    PostgreSQL URLs without a driver use psycopg 3, with pre-ping on pooled connections;
    ``postgres://`` is read as ``postgresql://``. A schema (``schema``, or ``schema=`` in
    the URL: see :func:`chosen_schema`) becomes the connections' whole ``search_path``, so
    changeflow's tables are made and found there only.
    """
    check_lock_timeout(lock_timeout)
    schema = chosen_schema(url, schema)
    parsed = parse_url(url)
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
        # lock_timeout is a session setting, so waiting is bounded without a statement per
        # transaction; so is the search_path. Options the URL carries come first.
        given = parsed.query.get("options")
        options = [given] if isinstance(given, str) else list(given or ())
        options.append(f"-c lock_timeout={int(lock_timeout * 1000)}")
        if schema is not None:
            options.append(f"-c search_path={schema}")
        parsed = parsed.difference_update_query([SCHEMA_PARAMETER, "options"])
        return create_engine(
            parsed,
            pool_pre_ping=True,
            connect_args={"connect_timeout": 10, "options": " ".join(options)},
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
    An ``alembic_version`` table is changeflow's only as :func:`.schema.legacy_revision` says.
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
            ours = _holds_changeflow(connection)
    except sqlite3.Error as exc:
        if getattr(exc, "sqlite_errorname", None) != "SQLITE_NOTADB":
            raise translate(exc) from exc  # a full disk or a damaged file says so itself
        raise NotADatabase(label, "it is not an SQLite database", cause=exc) from exc
    if not ours:
        reason = "the file is empty" if path.stat().st_size == 0 else "it has no changeflow schema"
        raise NotADatabase(label, f"{reason} (create one with init)")


def _holds_changeflow(connection: sqlite3.Connection) -> bool:
    """Whether the file has changeflow's version table, or an earlier release's (read-only)."""
    tables = {
        name
        for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    }
    if VERSION_TABLE in tables:
        return True
    if LEGACY_VERSION_TABLE not in tables or "cohorts" not in tables:
        return False
    rows = connection.execute("SELECT version_num FROM alembic_version").fetchall()
    return len(rows) == 1 and rows[0][0] in REVISIONS
