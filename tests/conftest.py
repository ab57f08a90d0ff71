"""Shared fixtures: a clock, an engine on the memory store, the 2019 cohort, each store."""

from __future__ import annotations

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


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def each_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A fresh store: in memory, an SQLite file, or a PostgreSQL database of its own."""
    if request.param == "memory":
        yield MemoryStore()
        return
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'changeflow.db'}"
    else:
        url = str(request.getfixturevalue("pg_url"))
    opened = SqlStore(url)
    yield opened
    opened.close()
