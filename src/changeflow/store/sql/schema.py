"""Opening a database: create or upgrade its schema with Alembic, refuse a newer one.

Nothing is written unless asked: an empty database gets the schema only with ``create``,
an older changeflow schema is upgraded only with ``migrate`` (``changeflow init`` asks for
both). Alembic keeps changeflow's revision in :data:`VERSION_TABLE`, never in the generic
``alembic_version`` an embedding system's own Alembic uses; a database made by an earlier
release has its revision there, and the upgrade moves it (:func:`adopt_legacy_version`).

A database already at :data:`HEAD` opens without importing Alembic (scripts run the CLI in
loops). Migrations run inside the opener's write transaction, under a lock (an advisory
lock on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite), so concurrent openers do not race.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Column, MetaData, PrimaryKeyConstraint, String, Table, inspect, text

from changeflow.errors import NoSuchDatabase, NotADatabase, SchemaOutdated, SchemaVersionError

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine

__all__ = [
    "HEAD",
    "LEGACY_VERSION_TABLE",
    "REVISIONS",
    "VERSION_TABLE",
    "adopt_legacy_version",
    "current_revision",
    "ensure_schema",
    "legacy_revision",
]

REVISIONS: tuple[str, ...] = ("0001", "0002", "0003", "0004", "0005", "0006", "0007")
"""Every schema revision this changeflow knows, oldest first (a test keeps it in step)."""

HEAD = REVISIONS[-1]
"""The schema revision this changeflow writes."""

VERSION_TABLE = "changeflow_alembic_version"
"""Where Alembic keeps changeflow's revision (its own name: the embedding system's Alembic
keeps ``alembic_version``)."""

LEGACY_VERSION_TABLE = "alembic_version"
"""Where releases before the schema could be shared kept changeflow's revision."""

_READ_VERSION = text("SELECT version_num FROM changeflow_alembic_version")
_READ_LEGACY = text("SELECT version_num FROM alembic_version")

_LOCK_KEY = 0x6368616E6765  # "change": serialises schema upgrades on PostgreSQL


def legacy_revision(connection: Connection) -> str | None:
    """The changeflow revision an earlier release left in ``alembic_version``, if any.

    Only a table holding exactly one row, a revision changeflow knows, beside changeflow's
    ``cohorts`` table is changeflow's: anything else is another application's and is
    never read as changeflow's, moved or dropped.
    """
    found = inspect(connection)
    if not found.has_table(LEGACY_VERSION_TABLE) or not found.has_table("cohorts"):
        return None
    rows = connection.execute(_READ_LEGACY).all()
    if len(rows) == 1 and rows[0][0] in REVISIONS:
        return str(rows[0][0])
    return None


def current_revision(connection: Connection) -> str | None:
    """The database's changeflow revision (in either version table), ``None`` when it has none."""
    return _state(connection)[0]


def adopt_legacy_version(connection: Connection) -> str | None:
    """Move an earlier release's revision into :data:`VERSION_TABLE`; return it (or ``None``).

    The new table is made as Alembic makes it (its primary key named after it, so the old
    ``alembic_version_pkc`` name is free for the embedding system's Alembic), then the old
    table is dropped. Runs inside the upgrade's transaction: an interrupted upgrade leaves
    the old table as it was. Does nothing when :data:`VERSION_TABLE` exists already or
    ``alembic_version`` is not changeflow's (see :func:`legacy_revision`).
    """
    if inspect(connection).has_table(VERSION_TABLE):
        return None
    revision = legacy_revision(connection)
    if revision is None:
        return None
    table = Table(
        VERSION_TABLE,
        MetaData(),
        Column("version_num", String(32), nullable=False),
        PrimaryKeyConstraint("version_num", name=f"{VERSION_TABLE}_pkc"),
    )
    table.create(connection)
    connection.execute(table.insert().values(version_num=revision))
    connection.execute(text("DROP TABLE alembic_version"))
    return revision


def _state(connection: Connection) -> tuple[str | None, bool]:
    """The database's changeflow revision and whether it sits in the legacy table."""
    if inspect(connection).has_table(VERSION_TABLE):
        return connection.execute(_READ_VERSION).scalar(), False
    legacy = legacy_revision(connection)
    return legacy, legacy is not None


def ensure_schema(
    engine: Engine, *, create: bool = True, migrate: bool = False, schema: str | None = None
) -> str:
    """Bring the database to :data:`HEAD` as far as allowed; return the revision it was at.

    ``"(empty)"`` is returned for a database that had no changeflow schema. Raises
    :class:`NotADatabase` when the database has no changeflow schema and ``create`` is
    false; :class:`SchemaOutdated` when its schema is older than :data:`HEAD` (or its
    revision sits in the legacy ``alembic_version``) and ``migrate`` is false;
    :class:`SchemaVersionError` when it is at a revision this changeflow does not know
    (written by a newer one). Nothing is written when it raises. On PostgreSQL ``schema``
    names the schema the connections' ``search_path`` points at: it must exist, or is
    created when ``create`` is true (:class:`NoSuchDatabase` otherwise).
    """
    label = engine.url.render_as_string(hide_password=True)
    with engine.connect() as connection:
        if schema is not None and not _schema_exists(connection, schema):
            if not create:
                raise NoSuchDatabase(label, str(engine.url.database), schema=schema)
            found, legacy = None, False
        else:
            found, legacy = _state(connection)
    if found == HEAD and not legacy:
        return HEAD
    if found is None and not create:
        where = f" in schema {schema!r}" if schema else ""
        raise NotADatabase(label, f"it has no changeflow schema{where} (create one with init)")
    if found is not None and found not in REVISIONS:
        raise SchemaVersionError(found, REVISIONS)
    if found is not None and not migrate:
        raise SchemaOutdated(label, found, HEAD, legacy_table=legacy)
    writer = engine.connect().execution_options(changeflow_write=True)
    with writer as connection, connection.begin():
        if connection.dialect.name == "postgresql":
            connection.execute(text(f"SELECT pg_advisory_xact_lock({_LOCK_KEY})"))
            if schema is not None:
                # Quoted as written: the name was checked to be a plain lower-case identifier.
                connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        found, legacy = _state(connection)
        if found != HEAD or legacy:
            _upgrade(connection)
    return found or "(empty)"


def _schema_exists(connection: Connection, schema: str) -> bool:
    query = text("SELECT 1 FROM pg_namespace WHERE nspname = :schema")
    return connection.execute(query, {"schema": schema}).first() is not None


def _upgrade(connection: Connection) -> None:
    # Imported here: a database already at HEAD never pays for Alembic.
    from alembic import command  # noqa: PLC0415
    from alembic.config import Config  # noqa: PLC0415

    config = Config()
    config.set_main_option("script_location", "changeflow.store.sql:migrations")
    config.attributes["connection"] = connection
    command.upgrade(config, "head")
