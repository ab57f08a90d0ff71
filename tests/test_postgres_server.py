"""The throwaway PostgreSQL server of tests/postgres_server.py is real, isolated and disposable."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg
import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import OperationalError

from postgres_server import find_pg_bin, fresh_database

if TYPE_CHECKING:
    from collections.abc import Iterator

    from sqlalchemy import Engine

    from postgres_server import PostgresServer

TESTS_DIR = Path(__file__).resolve().parent


@contextlib.contextmanager
def engine_for(url: str) -> Iterator[Engine]:
    """A SQLAlchemy engine on ``url``, disposed (its pooled connections closed) afterwards."""
    engine = create_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()


def test_server_is_real_postgresql(pg_url: str) -> None:
    """SELECT version() through SQLAlchemy and psycopg answers from a PostgreSQL server."""
    assert pg_url.startswith("postgresql+psycopg://")
    with engine_for(pg_url) as engine, engine.connect() as conn:
        version = conn.execute(text("SELECT version()")).scalar_one()
        database = conn.execute(text("SELECT current_database()")).scalar_one()
    assert "PostgreSQL" in version
    assert pg_url.endswith(f"/{database}")


def test_url_and_admin_url_name_the_server(postgres_server: PostgresServer) -> None:
    """url(dbname) and admin_url are psycopg URLs for the superuser on the server's port."""
    if postgres_server.data_dir is not None:  # the server this suite started
        expected = f"postgresql+psycopg://postgres@127.0.0.1:{postgres_server.port}/some_db"
        assert postgres_server.url("some_db") == expected
        assert postgres_server.superuser == "postgres"
    assert postgres_server.admin_url == postgres_server.url(postgres_server.admin_database)
    with engine_for(postgres_server.admin_url) as engine, engine.connect() as conn:
        assert conn.execute(text("SELECT current_user")).scalar_one() == postgres_server.superuser


def test_managed_server_is_private_and_tuned_for_tests(postgres_server: PostgresServer) -> None:
    """The started server listens on loopback only, in its own directory, with fsync off."""
    if postgres_server.data_dir is None:
        pytest.skip("CHANGEFLOW_TEST_PG_URL names an external server: its settings are its own")
    with postgres_server.connect_admin() as conn:
        setting = {
            name: conn.execute(f"SHOW {name}").fetchone()[0]  # type: ignore[index]
            for name in ("listen_addresses", "unix_socket_directories", "fsync", "data_directory")
        }
        max_connections = conn.execute("SHOW max_connections").fetchone()[0]  # type: ignore[index]
    assert setting["listen_addresses"] == "127.0.0.1"
    assert setting["unix_socket_directories"] == str(postgres_server.data_dir.parent)
    assert setting["data_directory"] == str(postgres_server.data_dir)
    assert setting["fsync"] == "off"
    assert int(max_connections) >= 100
    assert postgres_server.port != 5432


@pytest.mark.parametrize("round_", [1, 2])
def test_each_test_gets_an_empty_database(pg_url: str, round_: int) -> None:
    """Whichever of the two runs second still finds no table left by the first."""
    with engine_for(pg_url) as engine:
        assert inspect(engine).get_table_names() == []
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE left_behind (round integer)"))
            conn.execute(text("INSERT INTO left_behind VALUES (:r)"), {"r": round_})


def test_databases_are_isolated(pg_url: str, postgres_server: PostgresServer) -> None:
    """A table created in the pg_url database is absent from another fresh database."""
    with engine_for(pg_url) as engine, engine.begin() as conn:
        conn.execute(text("CREATE TABLE only_here (id integer PRIMARY KEY)"))
    with fresh_database(postgres_server, "other") as other_url:
        assert other_url != pg_url
        with engine_for(other_url) as other:
            assert inspect(other).get_table_names() == []
    with engine_for(pg_url) as engine:
        assert inspect(engine).get_table_names() == ["only_here"]


def test_dropped_database_is_really_gone(postgres_server: PostgresServer) -> None:
    """Dropping a database (as pg_url does) works with connections open, and it is gone."""
    with engine_for(postgres_server.admin_url) as probe:
        with fresh_database(postgres_server, "doomed") as url:
            name = url.rsplit("/", 1)[1]
            assert postgres_server.database_exists(name)
            engine = create_engine(url)
            leftover = engine.connect()  # still open when the database is dropped
            leftover.execute(text("CREATE TABLE t (id integer)"))
        assert not postgres_server.database_exists(name)
        with probe.connect() as conn:
            count = conn.execute(
                text("SELECT count(*) FROM pg_database WHERE datname = :n"), {"n": name}
            ).scalar_one()
        assert count == 0
        with pytest.raises(OperationalError, match="does not exist"), engine_for(url) as again:
            again.connect().close()
        with pytest.raises(OperationalError):  # its server backend was terminated
            leftover.execute(text("SELECT 1"))
        leftover.invalidate()
        engine.dispose()


def test_two_connections_contend_on_a_row_lock(pg_url: str) -> None:
    """A row locked FOR UPDATE in one connection cannot be locked NOWAIT in another."""
    with engine_for(pg_url) as engine:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE account (id integer PRIMARY KEY, balance integer)"))
            conn.execute(text("INSERT INTO account VALUES (1, 100)"))
        lock = text("SELECT balance FROM account WHERE id = 1 FOR UPDATE NOWAIT")
        with engine.connect() as holder, engine.connect() as contender:
            pids = {
                c.execute(text("SELECT pg_backend_pid()")).scalar_one() for c in (holder, contender)
            }
            assert len(pids) == 2  # two server backends, not one shared session
            holder.rollback()
            contender.rollback()

            assert holder.execute(lock).scalar_one() == 100  # holder's transaction keeps the lock
            with pytest.raises(OperationalError) as refused:
                contender.execute(lock)
            assert isinstance(refused.value.orig, psycopg.errors.LockNotAvailable)
            contender.rollback()

            holder.commit()  # releases the lock
            assert contender.execute(lock).scalar_one() == 100
            contender.rollback()


def _run_inner_pytest(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Run a one-test pytest session needing ``postgres_server``, with ``env`` added."""
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "test_needs_pg.py").write_text(
        '"""Needs PostgreSQL."""\n\n\ndef test_needs_pg(postgres_server):\n'
        '    """Never reached without binaries."""\n'
    )
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"CI", "CHANGEFLOW_TEST_PG_URL", "CHANGEFLOW_PG_BIN", "PYTEST_ADDOPTS"}
    }
    environment.update(PYTHONPATH=str(TESTS_DIR), **env)
    return subprocess.run(
        [
            *(sys.executable, "-m", "pytest", "-p", "postgres_server", "-p", "no:cacheprovider"),
            *("-rsE", "-q", str(tmp_path / "test_needs_pg.py")),
        ],
        cwd=tmp_path,
        env=environment,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    "env",
    [{"CHANGEFLOW_PG_BIN": "/nonexistent"}, {"CHANGEFLOW_PG_DISCOVER": "0"}],
    ids=["bad-bin-dir", "no-discovery"],
)
def test_discovery_finds_nothing_when_told(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str]
) -> None:
    """A CHANGEFLOW_PG_BIN without binaries, or CHANGEFLOW_PG_DISCOVER=0, finds no binaries."""
    monkeypatch.delenv("CHANGEFLOW_PG_BIN", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert find_pg_bin() is None


def test_discovery_honours_a_good_bin_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """CHANGEFLOW_PG_BIN naming a directory with initdb and pg_ctl is used as it is."""
    for name in ("initdb", "pg_ctl"):
        (tmp_path / name).touch(mode=0o755)
    monkeypatch.setenv("CHANGEFLOW_PG_BIN", str(tmp_path))
    monkeypatch.setenv("CHANGEFLOW_PG_DISCOVER", "0")
    assert find_pg_bin() == tmp_path


NO_BINARIES = {"CHANGEFLOW_PG_BIN": "/nonexistent", "CHANGEFLOW_PG_DISCOVER": "0"}


def test_missing_binaries_skip_outside_ci(tmp_path: Path) -> None:
    """Without PostgreSQL binaries, tests needing the server skip, naming ensure-postgres."""
    result = _run_inner_pytest(tmp_path, **NO_BINARIES)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 skipped" in result.stdout
    assert "scripts/ensure-postgres" in result.stdout


def test_missing_binaries_fail_under_ci(tmp_path: Path) -> None:
    """Under CI=true, missing PostgreSQL binaries are a failure of those tests, not a skip."""
    result = _run_inner_pytest(tmp_path, CI="true", **NO_BINARIES)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 error" in result.stdout
    assert "skipped" not in result.stdout
    assert "CI=true" in result.stdout
    assert "scripts/ensure-postgres" in result.stdout
