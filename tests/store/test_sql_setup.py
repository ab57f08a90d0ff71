"""Setting a database up without harm: upgrades when asked, its own version table and schema.

A missing PostgreSQL database is named; ``postgres://`` URLs open.

Every PostgreSQL case runs on the real server (``pg_url``, ``postgres_server``); the SQLite
cases on real files, the 0001 one a copy of the fixture changeflow 0.1.0 wrote.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import create_engine, inspect, text

from changeflow.errors import (
    InvalidInput,
    NoSuchDatabase,
    NotADatabase,
    SchemaOutdated,
    StoreUnavailable,
)
from changeflow.states import DEFAULT_LIFECYCLE
from changeflow.store.sql import HEAD, SqlStore
from factories import make_cohort
from postgres_server import database_name
from store.upgrade_support import copy_fixture, snapshot, upgrade_to

if TYPE_CHECKING:
    from pathlib import Path

    from postgres_server import PostgresServer

FOREIGN_REVISION = "3f2a9c1b7d4e"
"""A revision of the embedding system's own Alembic (its scripts, not changeflow's)."""


def _run(url: str, *statements: str, **values: str) -> None:
    """Run each statement (with the bound ``values``) in one transaction."""
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            for statement in statements:
                connection.execute(text(statement), values)
    finally:
        engine.dispose()


def _tables(url: str, schema: str | None = None) -> set[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return set(inspect(connection).get_table_names(schema=schema))
    finally:
        engine.dispose()


def _scalar(url: str, query: str) -> object:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(text(query)).scalar()
    finally:
        engine.dispose()


def _legacy_head(url: str) -> None:
    """A head database whose revision sits in alembic_version, as the previous release left it."""
    store = SqlStore(url)
    with store.new_cohort(make_cohort(), DEFAULT_LIFECYCLE) as unit:
        unit.commit()
    store.close()
    _run(
        url,
        "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, "
        "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))",
        "INSERT INTO alembic_version VALUES (:revision)",
        "DROP TABLE changeflow_alembic_version",
        revision=HEAD,
    )


@pytest.fixture(params=["sqlite", "postgresql"])
def any_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database: a new SQLite file, or a PostgreSQL database of its own."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'changeflow.db'}"
    return str(request.getfixturevalue("pg_url"))


# -- upgrades only when asked ---------------------------------------------------------------


def test_an_older_schema_is_refused_untouched_without_migrate(tmp_path: Path) -> None:
    """The 0001 fixture opened without migrate: SchemaOutdated (legacy table), nothing changed."""
    url = copy_fixture(tmp_path)
    before = snapshot(url)
    for create in (True, False):
        with pytest.raises(SchemaOutdated) as refused:
            SqlStore(url, create=create)
        assert (refused.value.found, refused.value.head) == ("0001", HEAD)
        assert refused.value.legacy_table
        assert "changeflow init" in str(refused.value)
    after = snapshot(url)
    assert after == before
    assert after.version_table == "alembic_version"


def test_an_older_schema_upgrades_with_migrate(any_url: str) -> None:
    """A 0003 database: refused without migrate, then migrate=True brings it to the head."""
    upgrade_to(any_url, "0003")
    with pytest.raises(SchemaOutdated) as refused:
        SqlStore(any_url, create=False)
    assert refused.value.found == "0003"
    assert not refused.value.legacy_table
    assert snapshot(any_url).revision == "0003"
    store = SqlStore(any_url, migrate=True)
    try:
        assert store.upgraded_from == "0003"
    finally:
        store.close()
    again = SqlStore(any_url, create=False)
    try:
        assert again.upgraded_from is None
        assert snapshot(any_url).revision == HEAD
    finally:
        again.close()


def test_a_new_database_is_created_at_the_head(any_url: str) -> None:
    """By default (create) an empty database gets the schema; upgraded_from says so."""
    store = SqlStore(any_url)
    try:
        assert store.upgraded_from == "(empty)"
    finally:
        store.close()
    assert snapshot(any_url).version_table == "changeflow_alembic_version"


# -- changeflow's own version table ---------------------------------------------------------


def test_a_legacy_version_table_is_moved_by_migrate(any_url: str) -> None:
    """A head revision in alembic_version: refused without migrate, moved with it, data kept."""
    _legacy_head(any_url)
    before = snapshot(any_url)
    with pytest.raises(SchemaOutdated) as refused:
        SqlStore(any_url, create=False)
    assert (refused.value.found, refused.value.legacy_table) == (HEAD, True)
    assert snapshot(any_url).version_table == "alembic_version"
    SqlStore(any_url, migrate=True).close()
    after = snapshot(any_url)
    assert (after.revision, after.version_table) == (HEAD, "changeflow_alembic_version")
    assert "alembic_version" not in _tables(any_url)
    assert after == before
    store = SqlStore(any_url, create=False)
    try:
        assert [c.code for c in store.cohorts()] == ["PKA-III-VII-2019"]
    finally:
        store.close()


def test_after_the_move_the_embedding_systems_alembic_can_make_its_table(pg_url: str) -> None:
    """The moved table's key is named after it: alembic_version_pkc is free again on PostgreSQL."""
    _legacy_head(pg_url)
    SqlStore(pg_url, migrate=True).close()
    _run(
        pg_url,
        "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, "
        "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))",
        "INSERT INTO alembic_version VALUES (:revision)",
        revision=FOREIGN_REVISION,
    )
    store = SqlStore(pg_url, create=False)
    try:
        assert store.cohorts()[0].code == "PKA-III-VII-2019"
    finally:
        store.close()
    assert _scalar(pg_url, "SELECT version_num FROM alembic_version") == FOREIGN_REVISION


def test_another_applications_alembic_version_is_left_alone(any_url: str) -> None:
    """alembic_version holding a foreign revision is not changeflow's: read, moved or dropped never.

    Without create the database is refused as holding no changeflow schema; with create and
    migrate changeflow's tables are made beside it, its revision in its own table.
    """
    _run(
        any_url,
        "CREATE TABLE payroll (nip VARCHAR(18))",
        "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)",
        "INSERT INTO alembic_version VALUES (:revision)",
        revision=FOREIGN_REVISION,
    )
    with pytest.raises(NotADatabase, match="no changeflow schema"):
        SqlStore(any_url, create=False)
    assert _tables(any_url) == {"payroll", "alembic_version"}
    SqlStore(any_url, create=True, migrate=True).close()
    assert _scalar(any_url, "SELECT version_num FROM alembic_version") == FOREIGN_REVISION
    assert _scalar(any_url, "SELECT version_num FROM changeflow_alembic_version") == HEAD
    assert {"payroll", "alembic_version", "cohorts", "audit"} <= _tables(any_url)


def test_a_shared_alembic_version_is_not_taken_for_changeflows(tmp_path: Path) -> None:
    """alembic_version with changeflow's revision and another row is not exactly changeflow's.

    The file is refused as holding no changeflow schema, byte for byte unchanged.
    """
    url = copy_fixture(tmp_path)
    _run(url, "INSERT INTO alembic_version VALUES (:revision)", revision=FOREIGN_REVISION)
    path = tmp_path / "schema_0001.sqlite"
    before = path.read_bytes()
    with pytest.raises(NotADatabase, match="no changeflow schema"):
        SqlStore(url, create=False)
    assert path.read_bytes() == before
    with closing(sqlite3.connect(path)) as connection:
        rows = connection.execute("SELECT version_num FROM alembic_version ORDER BY 1").fetchall()
    assert rows == [("0001",), (FOREIGN_REVISION,)]


# -- a PostgreSQL schema of its own ---------------------------------------------------------


def test_two_schemas_hold_two_independent_stores_and_public_gains_no_table(pg_url: str) -> None:
    """schema= and ?schema= put every table (and the version table) there; public stays empty."""
    first = SqlStore(pg_url, schema="hr_office")
    second = SqlStore(f"{pg_url}?schema=finance")
    try:
        with first.new_cohort(make_cohort(), DEFAULT_LIFECYCLE) as unit:
            unit.commit()
        assert [c.code for c in first.cohorts()] == ["PKA-III-VII-2019"]
        assert second.cohorts() == []
        assert (first.schema, second.schema) == ("hr_office", "finance")
    finally:
        first.close()
        second.close()
    assert _tables(pg_url, "public") == set()
    for schema in ("hr_office", "finance"):
        tables = _tables(pg_url, schema)
        assert {"changeflow_alembic_version", "cohorts", "audit", "subjects"} <= tables
        assert "alembic_version" not in tables
    reopened = SqlStore(f"{pg_url}?schema=hr_office", create=False)
    try:
        assert [c.code for c in reopened.cohorts()] == ["PKA-III-VII-2019"]
    finally:
        reopened.close()


def test_a_store_in_public_is_not_seen_from_a_schema(pg_url: str) -> None:
    """A changeflow store in public does not answer for schema hr: that one is refused."""
    SqlStore(pg_url).close()
    _run(pg_url, "CREATE SCHEMA hr")
    with pytest.raises(NotADatabase, match="no changeflow schema in schema 'hr'"):
        SqlStore(pg_url, schema="hr", create=False)
    assert _tables(pg_url, "hr") == set()


def test_a_missing_schema_is_named_and_created_only_with_create(pg_url: str) -> None:
    """Without create a missing schema is NoSuchDatabase naming it; create makes it."""
    with pytest.raises(NoSuchDatabase) as refused:
        SqlStore(pg_url, schema="nowhere", create=False)
    assert refused.value.schema == "nowhere"
    assert not isinstance(refused.value, StoreUnavailable)
    assert _scalar(pg_url, "SELECT count(*) FROM pg_namespace WHERE nspname = 'nowhere'") == 0
    SqlStore(pg_url, schema="nowhere").close()
    assert "cohorts" in _tables(pg_url, "nowhere")


@pytest.mark.parametrize(
    ("url_schema", "schema", "problem"),
    [
        ("hr", "finance", "differs from the URL's schema=hr"),
        (None, "HR", "not a usable schema name"),
        (None, "pg_temp", "not a usable schema name"),
        (None, "hr; drop table x", "not a usable schema name"),
    ],
)
def test_an_unusable_schema_choice_is_invalid_input(
    pg_url: str, url_schema: str | None, schema: str, problem: str
) -> None:
    """Two different schemas, or a name that is not a plain identifier: InvalidInput, no table."""
    url = f"{pg_url}?schema={url_schema}" if url_schema else pg_url
    with pytest.raises(InvalidInput, match=problem):
        SqlStore(url, schema=schema)
    assert _tables(pg_url) == set()


def test_sqlite_has_no_schema_to_choose(tmp_path: Path) -> None:
    """A schema asked of SQLite is InvalidInput; no file is made."""
    with pytest.raises(InvalidInput, match="only a PostgreSQL database has schemas"):
        SqlStore(f"sqlite:///{tmp_path / 'x.db'}", schema="hr")
    assert list(tmp_path.iterdir()) == []


# -- URLs ----------------------------------------------------------------------------------


def test_a_missing_database_is_named_not_an_outage(postgres_server: PostgresServer) -> None:
    """A database the server lacks is NoSuchDatabase naming it (not retryable), create or not."""
    name = database_name("missing")
    url = postgres_server.url(name)
    for create in (False, True):
        with pytest.raises(NoSuchDatabase) as refused:
            SqlStore(url, create=create, migrate=create)
        assert refused.value.database == name
        assert refused.value.schema is None
        assert not refused.value.retryable
        assert f"database {name!r}" in str(refused.value)
    assert not postgres_server.database_exists(name)


def test_a_postgres_url_is_read_as_postgresql(pg_url: str) -> None:
    """postgres://user@host/db (as hosting services write it) opens with the installed driver."""
    url = "postgres://" + pg_url.split("://", 1)[1]
    store = SqlStore(url)
    try:
        assert store.engine.url.drivername == "postgresql+psycopg"
        assert store.cohorts() == []
    finally:
        store.close()
    assert "cohorts" in _tables(pg_url)


def test_libpq_options_in_the_url_are_kept_beside_changeflows(pg_url: str) -> None:
    """?options=... in the URL still applies, and so do lock_timeout and the schema's path."""
    url = f"{pg_url}?options=-c%20statement_timeout%3D12345&schema=hr"
    store = SqlStore(url, lock_timeout=2.5)
    try:
        with store.engine.connect() as connection:
            shown = [
                connection.exec_driver_sql(f"SHOW {name}").scalar()
                for name in ("statement_timeout", "lock_timeout", "search_path")
            ]
    finally:
        store.close()
    assert shown == ["12345ms", "2500ms", "hr"]
