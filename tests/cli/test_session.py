"""Opening the database for a command: only `init` writes or upgrades a schema.

Bad options, a missing database or schema and an older schema are exit 2 with a hint.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import create_engine, inspect
from typer.testing import CliRunner

from changeflow.cli.app import app
from changeflow.store.sql import HEAD
from postgres_server import database_name

if TYPE_CHECKING:
    from cli.support import Cli
    from postgres_server import PostgresServer

READERS = (
    ("verify",),
    ("status", "PKA-1"),
    ("history", "--cohort", "PKA-1"),
    ("cohort", "list"),
    ("events", "PKA-1", "197503152000031004"),
)
"""Commands that only read, each of which once wrote a schema into whatever file it was given."""

WRITERS = (
    ("cohort", "create", "X", "--name", "X", "--start", "2024-03-01", "--end", "2024-07-31"),
)


def _invoke(*args: str) -> tuple[int, dict[str, object], str]:
    runner = CliRunner(env={"CHANGEFLOW_ACTOR": "BKD"})
    result = runner.invoke(app, [*args, "--json"], catch_exceptions=False)
    assert "Traceback" not in result.output
    return result.exit_code, json.loads(result.stdout), result.stderr


@pytest.mark.parametrize("command", READERS + WRITERS, ids=lambda c: c[0])
@pytest.mark.parametrize("content", [b"", b"\x00garbage\xff" * 1000], ids=["empty", "binary"])
def test_a_file_that_is_not_a_database_is_exit_2_and_left_untouched(
    tmp_path: Path, command: tuple[str, ...], content: bytes
) -> None:
    """Any command but init on an empty or binary file: exit 2, no_database, no byte written."""
    path = tmp_path / "empty.db"
    path.write_bytes(content)
    status, document, stderr = _invoke("--db", f"sqlite:///{path}", *command)
    assert status == 2
    assert document["error"]["kind"] == "no_database"  # type: ignore[index]
    assert "changeflow init" in stderr
    assert path.read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.db"]


def test_an_sqlite_file_of_another_application_is_refused_untouched(tmp_path: Path) -> None:
    """`verify` on another application's SQLite file: exit 2 (no changeflow schema), unchanged."""
    path = tmp_path / "payroll.db"
    with closing(sqlite3.connect(path)) as other:
        other.execute("CREATE TABLE payroll (nip TEXT)")
        other.commit()
    before = path.read_bytes()
    status, document, _ = _invoke("--db", f"sqlite:///{path}", "verify")
    assert status == 2
    assert "no changeflow schema" in document["error"]["message"]  # type: ignore[index]
    assert path.read_bytes() == before


def test_init_turns_an_empty_file_into_a_database_that_verifies(tmp_path: Path) -> None:
    """`init` is the one command that writes a schema; afterwards the readers work on the file."""
    path = tmp_path / "empty.db"
    path.touch()
    status, document, _ = _invoke("--db", f"sqlite:///{path}", "init")
    assert (status, document["cohorts"]) == (0, 0)
    status, document, _ = _invoke("--db", f"sqlite:///{path}", "verify")
    assert status == 0


def test_a_directory_as_the_database_is_exit_2_not_retry(tmp_path: Path) -> None:
    """A directory given as --db never becomes usable: exit 2 (not 4, "retry"), for init too."""
    for command in (("verify",), ("init",), ("status", "PKA-1")):
        status, document, stderr = _invoke("--db", f"sqlite:///{tmp_path}", *command)
        assert status == 2, command
        assert "is a directory" in document["error"]["message"]  # type: ignore[index]
        assert "retry" not in stderr


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e308", "0", "-5", "86401"])
def test_a_lock_timeout_that_is_not_finite_and_in_range_is_exit_2(cli: Cli, value: str) -> None:
    """--lock-timeout nan|inf|1e308|0 is a usage error naming the option, not an internal error."""
    result = cli.runner.invoke(app, ["--lock-timeout", value, "--db", cli.url, "verify"])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"error: --lock-timeout {float(value)!r}: ")
    assert "internal error" not in result.output


def test_a_lock_timeout_in_range_is_used(cli: Cli) -> None:
    """A finite lock timeout within a day is accepted."""
    result = cli.runner.invoke(app, ["--lock-timeout", "86400", "--db", cli.url, "verify"])
    assert result.exit_code == 0, result.output


# -- setting the database up: only init writes a schema ------------------------------------

OLD_DATABASE = Path(__file__).resolve().parents[1] / "data" / "schema_0001.sqlite"


def _pg_tables(url: str, schema: str = "public") -> set[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return set(inspect(connection).get_table_names(schema=schema))
    finally:
        engine.dispose()


@pytest.mark.parametrize("command", READERS + WRITERS, ids=lambda c: c[0])
def test_an_older_schema_is_exit_2_until_init_upgrades_it(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    """A 0001 database: every command but init is exit 2 (schema_outdated), nothing written."""
    path = tmp_path / "old.db"
    shutil.copy(OLD_DATABASE, path)
    status, document, stderr = _invoke("--db", f"sqlite:///{path}", *command)
    assert status == 2
    error = document["error"]
    assert error["kind"] == "schema_outdated"  # type: ignore[index]
    assert "revision '0001'" in error["message"]  # type: ignore[index]
    assert "hint: run `changeflow init` to upgrade it" in stderr
    assert path.read_bytes() == OLD_DATABASE.read_bytes()


def test_init_upgrades_an_older_schema_and_says_from_which(tmp_path: Path) -> None:
    """`init` on a 0001 database upgrades it (version table moved), naming the revision found."""
    path = tmp_path / "old.db"
    shutil.copy(OLD_DATABASE, path)
    url = f"sqlite:///{path}"
    result = CliRunner().invoke(app, ["--db", url, "init"])
    assert result.exit_code == 0, result.output
    assert (
        result.stdout == f"database ready: {url} (schema {HEAD}, upgraded from 0001, 4 cohort(s))\n"
    )
    with closing(sqlite3.connect(path)) as connection:
        tables = {name for (name,) in connection.execute("SELECT name FROM sqlite_master")}
        version = connection.execute("SELECT version_num FROM changeflow_alembic_version")
        assert version.fetchall() == [(HEAD,)]
    assert "alembic_version" not in tables  # 0.1.0 kept its revision there: moved, dropped
    status, document, _ = _invoke("--db", url, "init")
    assert (status, document["upgraded_from"], document["revision"]) == (0, None, HEAD)
    status, document, _ = _invoke("--db", url, "cohort", "list")
    assert status == 0
    assert len(document["cohorts"]) == 4  # type: ignore[arg-type]


def test_a_command_on_an_uninitialised_postgres_database_creates_nothing(pg_url: str) -> None:
    """`status` on an empty PostgreSQL database: exit 2 naming init; not one table is created."""
    status, document, stderr = _invoke("--db", pg_url, "status", "PKA-1")
    assert status == 2
    assert document["error"]["kind"] == "no_database"  # type: ignore[index]
    assert "changeflow init" in stderr
    assert _pg_tables(pg_url) == set()


def test_a_missing_postgres_database_is_exit_2_naming_it(postgres_server: PostgresServer) -> None:
    """A database the server lacks: exit 2 (not 4, "retry") naming it, for init too."""
    name = database_name("missing")
    for command in (("status", "PKA-1"), ("init",)):
        status, document, stderr = _invoke("--db", postgres_server.url(name), *command)
        assert status == 2, command
        error = document["error"]
        assert error["kind"] == "no_database"  # type: ignore[index]
        assert f"database {name!r}" in error["message"]  # type: ignore[index]
        assert f"createdb {name}" in stderr
        assert "retry" not in stderr
    assert not postgres_server.database_exists(name)


def test_schemas_chosen_by_option_environment_or_url_hold_separate_stores(pg_url: str) -> None:
    """--schema, CHANGEFLOW_SCHEMA and ?schema= all name the schema; public gains no table."""
    status, document, _ = _invoke("--db", pg_url, "--schema", "hr", "init")
    assert (status, document["schema"]) == (0, "hr")
    assert _invoke("--db", pg_url, "--schema", "hr", *WRITERS[0])[0] == 0
    runner = CliRunner(env={"CHANGEFLOW_ACTOR": "BKD", "CHANGEFLOW_SCHEMA": "hr"})
    listed = runner.invoke(app, ["--db", pg_url, "cohort", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    assert [c["code"] for c in json.loads(listed.stdout)["cohorts"]] == ["X"]
    assert _invoke("--db", f"{pg_url}?schema=finance", "init")[0] == 0
    status, document, _ = _invoke("--db", f"{pg_url}?schema=finance", "cohort", "list")
    assert (status, document["cohorts"]) == (0, [])
    status, document, stderr = _invoke("--db", pg_url, "--schema", "nowhere", "cohort", "list")
    assert (status, document["error"]["kind"]) == (2, "no_database")  # type: ignore[index]
    assert "schema 'nowhere' does not exist" in document["error"]["message"]  # type: ignore[index]
    assert "`changeflow init` creates schema 'nowhere'" in stderr
    assert _pg_tables(pg_url) == set()
    assert "cohorts" in _pg_tables(pg_url, "hr") & _pg_tables(pg_url, "finance")


def test_a_schema_given_twice_differently_or_for_sqlite_is_exit_2(
    pg_url: str, tmp_path: Path
) -> None:
    """--schema differing from the URL's schema=, or any schema for SQLite: exit 2, nothing made."""
    status, document, _ = _invoke("--db", f"{pg_url}?schema=hr", "--schema", "finance", "init")
    assert status == 2
    assert "differs from the URL's schema=hr" in document["error"]["message"]  # type: ignore[index]
    assert _pg_tables(pg_url) == set()
    path = tmp_path / "x.db"
    status, document, _ = _invoke("--db", f"sqlite:///{path}", "--schema", "hr", "init")
    assert status == 2
    assert "only a PostgreSQL database has schemas" in document["error"]["message"]  # type: ignore[index]
    assert not path.exists()


def test_a_postgres_url_initialises_and_opens(pg_url: str) -> None:
    """`init` and a reader accept postgres:// as written by hosting services."""
    url = "postgres://" + pg_url.split("://", 1)[1]
    assert _invoke("--db", url, "init")[0] == 0
    status, document, _ = _invoke("--db", url, "cohort", "list")
    assert (status, document["cohorts"]) == (0, [])
