"""Schema-0001 databases for the upgrade tests, and raw snapshots of what a database holds.

``tests/data/schema_0001.sqlite`` was written by changeflow 0.1.0 (see
``tests/data/make_schema_0001.py``). :func:`copy_fixture` copies it (it is never opened in
place); :func:`build_0001` makes the same database on PostgreSQL: Alembic to revision 0001
only, then every row of every table copied. :func:`snapshot` reads a database with plain
SQLAlchemy (reflection; no changeflow store, so nothing is upgraded) into values that
compare equal across backends (datetimes aware in UTC); the version table is not one of its
tables but its own field, since earlier releases kept the revision in ``alembic_version``
and Alembic now keeps it in ``changeflow_alembic_version``.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alembic import command
from alembic.config import Config
from sqlalchemy import MetaData, create_engine, func, inspect, select, text

if TYPE_CHECKING:
    import pytest
    from sqlalchemy import Connection

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "data" / "schema_0001.sqlite"
SUPERVISOR = ROOT / "examples" / "supervisor_course.toml"

DEMO, KEYED, EMPTY, CUSTOM = "PKA-III-VII-2019", "PKA-II-2020", "EMPTY-1", "PKP-2024-II"
COHORTS = (DEMO, KEYED, EMPTY, CUSTOM)
"""The fixture's cohorts, in the order they were created (row ids 1 to 4)."""

VERSION_TABLES = ("changeflow_alembic_version", "alembic_version")
"""Where changeflow's revision is kept, and where earlier releases kept it."""

TABLES_0001 = frozenset(
    {
        "assessments",
        "audit",
        "change_projects",
        "cohort_offices",
        "cohorts",
        "enrolments",
        "idempotency",
        "offices",
    }
)


def copy_fixture(directory: Path) -> str:
    """Copy the 0001 fixture into ``directory``; return its SQLAlchemy URL."""
    target = directory / "schema_0001.sqlite"
    shutil.copyfile(FIXTURE, target)
    return f"sqlite:///{target}"


@dataclass(frozen=True)
class Snapshot:
    """A database's schema revision, tables, columns and every row (sorted by primary key).

    ``version_table`` names the table the revision was read from; it is left out of the
    comparison (a PostgreSQL copy made by today's Alembic keeps it under the new name).
    """

    revision: str | None
    columns: dict[str, frozenset[str]]
    rows: dict[str, list[dict[str, Any]]]
    version_table: str | None = field(default=None, compare=False)

    @property
    def tables(self) -> frozenset[str]:
        """The table names."""
        return frozenset(self.columns)

    def count(self, table: str) -> int:
        """How many rows ``table`` holds."""
        return len(self.rows[table])


def _normal(value: Any) -> Any:
    """One representation per backend-neutral value: datetimes aware, in UTC."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value


def _read(connection: Connection, metadata: MetaData) -> dict[str, list[dict[str, Any]]]:
    rows = {}
    for name, table in metadata.tables.items():
        if name in VERSION_TABLES:
            continue
        order = list(table.primary_key.columns) or list(table.columns)
        result = connection.execute(select(table).order_by(*order))
        rows[name] = [{k: _normal(v) for k, v in row._mapping.items()} for row in result]
    return rows


def snapshot(url: str) -> Snapshot:
    """Everything the database at ``url`` holds, read without changeflow's store."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            metadata = MetaData()
            metadata.reflect(connection)
            revision = version_table = None
            for name in VERSION_TABLES:
                if name in metadata.tables:
                    found = connection.execute(select(metadata.tables[name].c.version_num))
                    revision, version_table = found.scalar_one(), name
                    break
            columns = {
                name: frozenset(column.name for column in table.columns)
                for name, table in metadata.tables.items()
                if name not in VERSION_TABLES
            }
            return Snapshot(revision, columns, _read(connection, metadata), version_table)
    finally:
        engine.dispose()


def migrate_to(connection: Connection, revision: str) -> None:
    """Run changeflow's Alembic migrations on ``connection`` up to ``revision``."""
    config = Config()
    config.set_main_option("script_location", "changeflow.store.sql:migrations")
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


def copy_rows(source_url: str, target: Connection) -> dict[str, int]:
    """Copy every row of every changeflow table from ``source_url`` into ``target``.

    The target has the source's schema already (its version table is left as it is there).
    Values go through the reflected column types, so dates, booleans and JSON documents
    arrive typed; SQLite's naive datetimes are UTC and are sent as such. On PostgreSQL the
    serial sequences are advanced past the copied ids. Returns the rows copied per table.
    """
    source_engine = create_engine(source_url)
    try:
        source_metadata = MetaData()
        with source_engine.connect() as source:
            source_metadata.reflect(source)
            rows = _read(source, source_metadata)
    finally:
        source_engine.dispose()
    target_metadata = MetaData()
    target_metadata.reflect(target)
    copied = {}
    for table in target_metadata.sorted_tables:  # parents before children
        if table.name in VERSION_TABLES:
            continue
        if rows[table.name]:
            target.execute(table.insert(), rows[table.name])
        copied[table.name] = len(rows[table.name])
    if target.dialect.name == "postgresql":
        _advance_sequences(target, target_metadata)
    return copied


def _advance_sequences(connection: Connection, metadata: MetaData) -> None:
    for table in metadata.sorted_tables:
        keys = list(table.primary_key.columns)
        if len(keys) != 1:
            continue
        sequence = connection.execute(
            text("SELECT pg_get_serial_sequence(:table, :column)"),
            {"table": table.name, "column": keys[0].name},
        ).scalar()
        highest = connection.execute(select(func.max(keys[0]))).scalar()
        if sequence is not None and highest is not None:
            connection.execute(
                text("SELECT setval(:sequence, :value)"), {"sequence": sequence, "value": highest}
            )


def build_0001(url: str, source_url: str) -> dict[str, int]:
    """Make the empty database at ``url`` a schema-0001 copy of ``source_url``'s database."""
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            migrate_to(connection, "0001")
            copied = copy_rows(source_url, connection)
        with engine.connect() as connection:
            tables = set(inspect(connection).get_table_names())
            assert tables == TABLES_0001 | {"changeflow_alembic_version"}
    finally:
        engine.dispose()
    return copied


def upgrade_to(url: str, revision: str) -> None:
    """Bring the database at ``url`` to ``revision`` with Alembic alone."""
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            migrate_to(connection, revision)
    finally:
        engine.dispose()


def populated_for(request: pytest.FixtureRequest, tmp_path: Path, revision: str) -> str:
    """:func:`populated_at` on the backend a parametrized fixture's ``request.param`` names.

    For ``"postgres"`` the empty database is the ``pg_url`` fixture's.
    """
    backend = str(request.param)
    pg_url = str(request.getfixturevalue("pg_url")) if backend == "postgres" else ""
    return populated_at(revision, backend, tmp_path, pg_url)


def populated_at(revision: str, backend: str, tmp_path: Path, pg_url: str = "") -> str:
    """The URL of the fixture's populated database brought to ``revision`` on ``backend``.

    ``backend`` is ``"sqlite"`` (a copy of the fixture in ``tmp_path``) or ``"postgres"``
    (the fixture's rows loaded into the empty database at ``pg_url``).
    """
    url = copy_fixture(tmp_path)
    if backend == "postgres":
        build_0001(pg_url, url)
        url = pg_url
    upgrade_to(url, revision)
    return url
