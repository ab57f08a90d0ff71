"""Shared fixtures: a clock, an engine on the memory store, the 2019 cohort, each store."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest
from hypothesis import HealthCheck, settings

from changeflow import Cohort, Engine, FixedClock, MemoryStore
from changeflow.store.sql import SqlStore
from factories import make_cohort, trusted_engine

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from changeflow.store.base import Store

pytest_plugins = ["postgres_server"]

# "dev" is loaded here; `pytest --hypothesis-profile=thorough` replaces it afterwards.
settings.register_profile("dev", settings(deadline=None))
settings.register_profile(
    "thorough",
    settings(deadline=None, max_examples=2000, suppress_health_check=[HealthCheck.too_slow]),
)
settings.load_profile("dev")


@pytest.fixture
def clock() -> FixedClock:
    """A clock standing at the 2019 cohort's first morning."""
    return FixedClock(datetime(2019, 4, 4, 8, 0, tzinfo=UTC))


@pytest.fixture
def engine(clock: FixedClock) -> Engine:
    """An engine with the default lifecycle and rules on a fresh in-memory store."""
    return trusted_engine(MemoryStore(), clock=clock)


@pytest.fixture
def cohort(engine: Engine) -> Cohort:
    """The 2019 Probolinggo cohort, created in ``engine``."""
    return engine.create_cohort(make_cohort())


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite file whose schema a SqlStore has just created, every table empty.

    Creating the schema takes a few hundred milliseconds; copying the file, about one. The
    creation path itself is covered by the schema and setup tests, which start from nothing.
    """
    path = tmp_path_factory.mktemp("sqlite-template") / "changeflow.db"
    SqlStore(f"sqlite:///{path}").close()
    # A clean close checkpoints the WAL away: the one file is the whole database.
    assert not path.with_name(f"{path.name}-wal").exists()
    return path


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def each_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A fresh store: in memory, an SQLite file, or a PostgreSQL database of its own.

    The SQLite file is a copy of :func:`sqlite_template` (an empty, current schema).
    """
    if request.param == "memory":
        yield MemoryStore()
        return
    if request.param == "sqlite":
        path = tmp_path / "changeflow.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite:///{path}"
    else:
        url = str(request.getfixturevalue("pg_url"))
    opened = SqlStore(url)
    yield opened
    opened.close()
