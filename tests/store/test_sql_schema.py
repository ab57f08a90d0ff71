"""Opening a SQL database: migrations create and upgrade it; a newer schema is refused."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text

from changeflow import SchemaVersionError
from changeflow.store.sql import HEAD, REVISIONS, SqlStore

if TYPE_CHECKING:
    from pathlib import Path

TABLES = {
    "alembic_version",
    "assessments",
    "audit",
    "change_projects",
    "cohort_offices",
    "cohorts",
    "enrolments",
    "idempotency",
    "offices",
}


def _url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'changeflow.db'}"


def test_known_revisions_match_the_shipped_migrations() -> None:
    """REVISIONS lists exactly the Alembic scripts shipped in the package, oldest first."""
    config = Config()
    config.set_main_option("script_location", "changeflow.store.sql:migrations")
    scripts = ScriptDirectory.from_config(config)
    shipped = [s.revision for s in reversed(list(scripts.walk_revisions()))]
    assert tuple(shipped) == REVISIONS
    assert scripts.get_current_head() == HEAD


def test_opening_an_empty_file_creates_the_schema(tmp_path: Path) -> None:
    """A new SQLite file gets every table, at the head revision, in WAL mode."""
    store = SqlStore(_url(tmp_path))
    try:
        with store.engine.connect() as connection:
            assert set(inspect(connection).get_table_names()) == TABLES
            version = connection.execute(text("SELECT version_num FROM alembic_version"))
            assert version.scalar() == HEAD
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    finally:
        store.close()


def test_reopening_keeps_data_and_schema(tmp_path: Path) -> None:
    """Opening an existing database at the head revision changes nothing."""
    from factories import make_cohort  # noqa: PLC0415 - test helper module

    first = SqlStore(_url(tmp_path))
    first.add_cohort(make_cohort())
    first.close()
    second = SqlStore(_url(tmp_path))
    try:
        assert [c.code for c in second.cohorts()] == ["PKA-III-VII-2019"]
    finally:
        second.close()


def test_newer_schema_is_refused_with_a_clear_error(tmp_path: Path) -> None:
    """A database stamped with an unknown (newer) revision raises SchemaVersionError."""
    SqlStore(_url(tmp_path)).close()
    engine = create_engine(_url(tmp_path))
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    with pytest.raises(SchemaVersionError) as refused:
        SqlStore(_url(tmp_path))
    assert refused.value.found == "9999"
    assert "upgrade changeflow" in str(refused.value)


def test_upgrade_can_be_refused(tmp_path: Path) -> None:
    """With upgrade=False an empty database is not silently migrated."""
    with pytest.raises(SchemaVersionError):
        SqlStore(_url(tmp_path), upgrade=False)
