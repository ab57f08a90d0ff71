"""Opening a SQL database: migrations create and upgrade it; a newer schema is refused."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from typing import TYPE_CHECKING

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text

from changeflow import SchemaVersionError
from changeflow.errors import InvalidInput, NotADatabase
from changeflow.states import DEFAULT_LIFECYCLE
from changeflow.store.sql import HEAD, REVISIONS, SqlStore
from changeflow.store.sql.migrations import CHANGE_PROJECT_2
from factories import make_cohort

if TYPE_CHECKING:
    from pathlib import Path

TABLES = {
    "changeflow_alembic_version",
    "assessments",
    "attendance",
    "audit",
    "change_projects",
    "cohort_offices",
    "cohorts",
    "credentials",
    "enrolments",
    "idempotency",
    "lifecycles",
    "office_names",
    "offices",
    "personal_data",
    "schedules",
    "settings",
    "staff",
    "subjects",
}
NEW_COLUMNS = {
    "audit": {"change", "format", "role", "legacy_hash"},
    "cohorts": {"lifecycle_sha256"},
    "lifecycles": {"sha256", "name", "version", "document"},
    "schedules": {"cohort_id", "document"},
    "attendance": {"cohort_id", "nip", "day", "status"},
    "staff": {"cohort_id", "actor", "name", "roles"},
    "subjects": {"id", "nip", "key"},
    "personal_data": {"cohort_id", "seq", "subject_id", "data"},
}
"""Columns schema 0002 added for the record (entry formats, pinned lifecycles), 0003 for
the calendar (schedules, attendance), 0004 for who may do what (staff, audit.role) and 0005
for personal data aside (subjects, personal_data, audit.legacy_hash)."""


def _url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'changeflow.db'}"


def test_known_revisions_match_the_shipped_migrations() -> None:
    """REVISIONS lists exactly the Alembic scripts shipped in the package, oldest first."""
    config = Config()
    config.set_main_option("script_location", "changeflow.store.sql:migrations")
    scripts = ScriptDirectory.from_config(config)
    shipped = [s.revision for s in reversed(list(scripts.walk_revisions()))]
    assert tuple(shipped) == REVISIONS == ("0001", "0002", "0003", "0004", "0005", "0006", "0007")
    assert scripts.get_current_head() == HEAD == "0007"


def test_opening_an_empty_file_creates_the_schema(tmp_path: Path) -> None:
    """A new SQLite file gets every table and column, at the head revision, in WAL mode."""
    store = SqlStore(_url(tmp_path))
    try:
        with store.engine.connect() as connection:
            found = inspect(connection)
            assert set(found.get_table_names()) == TABLES
            for table, columns in NEW_COLUMNS.items():
                assert columns <= {c["name"] for c in found.get_columns(table)}, table
            version = connection.execute(text("SELECT version_num FROM changeflow_alembic_version"))
            assert version.scalar() == HEAD
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    finally:
        store.close()


def test_reopening_keeps_data_and_schema(tmp_path: Path) -> None:
    """Opening an existing database at the head revision keeps cohorts and their lifecycles."""
    first = SqlStore(_url(tmp_path))
    with first.new_cohort(make_cohort(), DEFAULT_LIFECYCLE) as uow:
        uow.commit()
    first.close()
    second = SqlStore(_url(tmp_path))
    try:
        assert [c.code for c in second.cohorts()] == ["PKA-III-VII-2019"]
        pinned = second.lifecycle("PKA-III-VII-2019")
        assert pinned is not None
        assert pinned.sha256 == DEFAULT_LIFECYCLE.sha256
        with second.engine.connect() as connection:
            version = connection.execute(text("SELECT version_num FROM changeflow_alembic_version"))
            assert version.scalar() == HEAD
            stored = connection.execute(
                text("SELECT sha256, name, version FROM lifecycles ORDER BY version")
            )
            assert stored.all() == [
                (CHANGE_PROJECT_2, "change_project", "2"),
                (DEFAULT_LIFECYCLE.sha256, "change_project", "4"),
            ]
    finally:
        second.close()


def test_newer_schema_is_refused_with_a_clear_error(tmp_path: Path) -> None:
    """A database stamped with an unknown (newer) revision raises SchemaVersionError."""
    SqlStore(_url(tmp_path)).close()
    engine = create_engine(_url(tmp_path))
    with engine.begin() as connection:
        connection.execute(text("UPDATE changeflow_alembic_version SET version_num = '9999'"))
    engine.dispose()
    with pytest.raises(SchemaVersionError) as refused:
        SqlStore(_url(tmp_path))
    assert refused.value.found == "9999"
    assert "upgrade changeflow" in str(refused.value)


def test_a_newer_schema_is_refused_even_when_migrating(tmp_path: Path) -> None:
    """migrate=True never touches a revision this changeflow does not know: still refused."""
    SqlStore(_url(tmp_path)).close()
    engine = create_engine(_url(tmp_path))
    with engine.begin() as connection:
        connection.execute(text("UPDATE changeflow_alembic_version SET version_num = '0999'"))
    engine.dispose()
    with pytest.raises(SchemaVersionError) as refused:
        SqlStore(_url(tmp_path), migrate=True)
    assert refused.value.found == "0999"


def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return set(inspect(connection).get_table_names())
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "the file is empty"),
        (b"not a database at all\n" * 300, "it is not an SQLite database"),
    ],
    ids=["empty", "text"],
)
def test_without_create_a_file_that_is_not_a_database_is_left_untouched(
    tmp_path: Path, content: bytes, reason: str
) -> None:
    """create=False refuses an empty or a foreign file with NotADatabase and writes no byte."""
    path = tmp_path / "changeflow.db"
    path.write_bytes(content)
    with pytest.raises(NotADatabase, match=reason) as refused:
        SqlStore(f"sqlite:///{path}", create=False)
    assert refused.value.url == f"sqlite:///{path}"
    assert path.read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == ["changeflow.db"]


def test_without_create_an_sqlite_database_of_another_application_is_left_untouched(
    tmp_path: Path,
) -> None:
    """create=False refuses an SQLite file without changeflow's schema, byte for byte unchanged."""
    path = tmp_path / "other.db"
    with closing(sqlite3.connect(path)) as other:
        other.execute("CREATE TABLE payroll (nip TEXT)")
        other.commit()
    before = path.read_bytes()
    with pytest.raises(NotADatabase, match="no changeflow schema"):
        SqlStore(f"sqlite:///{path}", create=False)
    assert path.read_bytes() == before
    assert _tables(f"sqlite:///{path}") == {"payroll"}


def test_without_create_a_missing_file_is_not_created(tmp_path: Path) -> None:
    """create=False on a path with no file raises NotADatabase and creates nothing."""
    with pytest.raises(NotADatabase, match="does not exist"):
        SqlStore(_url(tmp_path), create=False)
    assert list(tmp_path.iterdir()) == []


def test_without_create_an_existing_database_opens(tmp_path: Path) -> None:
    """create=False opens a changeflow database as usual (only creation is withheld)."""
    SqlStore(_url(tmp_path)).close()
    store = SqlStore(_url(tmp_path), create=False)
    try:
        assert store.cohorts() == []
    finally:
        store.close()


def test_a_directory_is_refused_as_input_not_as_an_outage(tmp_path: Path) -> None:
    """A directory given as the database file is InvalidInput (it never clears), create or not."""
    for create in (True, False):
        with pytest.raises(InvalidInput, match="is a directory"):
            SqlStore(f"sqlite:///{tmp_path}", create=create)


@pytest.mark.parametrize("seconds", [float("nan"), float("inf"), 1e308, 0.0, -1.0])
def test_a_lock_timeout_that_is_not_finite_and_positive_is_refused(
    tmp_path: Path, seconds: float
) -> None:
    """lock_timeout must be a finite number of seconds in (0, one day]: InvalidInput names it."""
    with pytest.raises(InvalidInput, match="lock_timeout"):
        SqlStore(_url(tmp_path), lock_timeout=seconds)
    assert list(tmp_path.iterdir()) == []


def test_without_create_an_empty_postgres_database_gets_no_table(pg_url: str) -> None:
    """create=False on an empty PostgreSQL database raises NotADatabase and creates no table."""
    with pytest.raises(NotADatabase, match="no changeflow schema"):
        SqlStore(pg_url, create=False)
    assert _tables(pg_url) == set()
    SqlStore(pg_url).close()
    store = SqlStore(pg_url, create=False)
    try:
        assert store.cohorts() == []
    finally:
        store.close()
