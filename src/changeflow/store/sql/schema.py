"""Opening a database: create or upgrade its schema with Alembic, refuse a newer one.

A database already at :data:`HEAD` opens without importing Alembic (scripts run the CLI in
loops). Migrations run inside the opener's write transaction, under a lock (an advisory
lock on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite), so concurrent openers do not race.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import inspect, text

from changeflow.errors import NotADatabase, SchemaVersionError

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine

__all__ = ["HEAD", "REVISIONS", "current_revision", "ensure_schema"]

REVISIONS: tuple[str, ...] = ("0001", "0002", "0003", "0004", "0005", "0006")
"""Every schema revision this changeflow knows, oldest first (a test keeps it in step)."""

HEAD = REVISIONS[-1]
"""The schema revision this changeflow writes."""

_LOCK_KEY = 0x6368616E6765  # "change": serialises schema upgrades on PostgreSQL


def current_revision(connection: Connection) -> str | None:
    """The database's schema revision, or ``None`` for an empty database."""
    if not inspect(connection).has_table("alembic_version"):
        return None
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def ensure_schema(engine: Engine, *, upgrade: bool = True, create: bool = True) -> str:
    """Bring the database to :data:`HEAD`; return the revision it was at before.

    Raises :class:`SchemaVersionError` when the database is at a revision this changeflow
    does not know (written by a newer one), and when ``upgrade`` is false and the schema
    is older than :data:`HEAD`; :class:`NotADatabase` when the database has no changeflow
    schema and ``create`` is false (nothing is written then).
    """
    with engine.connect() as connection:
        found = current_revision(connection)
    if found == HEAD:
        return HEAD
    if found is None and not create:
        label = engine.url.render_as_string(hide_password=True)
        raise NotADatabase(label, "it has no changeflow schema (create one with init)")
    if found is not None and found not in REVISIONS:
        raise SchemaVersionError(found, REVISIONS)
    if not upgrade:
        raise SchemaVersionError(str(found), REVISIONS)
    writer = engine.connect().execution_options(changeflow_write=True)
    with writer as connection, connection.begin():
        if connection.dialect.name == "postgresql":
            connection.execute(text(f"SELECT pg_advisory_xact_lock({_LOCK_KEY})"))
        found = current_revision(connection)
        if found != HEAD:
            _upgrade(connection)
    return found or "(empty)"


def _upgrade(connection: Connection) -> None:
    # Imported here: a database already at HEAD never pays for Alembic.
    from alembic import command  # noqa: PLC0415
    from alembic.config import Config  # noqa: PLC0415

    config = Config()
    config.set_main_option("script_location", "changeflow.store.sql:migrations")
    config.attributes["connection"] = connection
    command.upgrade(config, "head")
