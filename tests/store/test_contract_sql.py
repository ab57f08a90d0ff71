"""The store and engine contracts (shipped in ``changeflow.testing``) on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from changeflow.store.sql import SqlStore
from changeflow.testing import DurableStoreContract, EngineContract, StoreContract

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from changeflow import Store


class _Sqlite:
    """Binds the contracts to a fresh SQLite file per test."""

    @pytest.fixture
    def make_store(self, tmp_path: Path) -> Callable[[], Store]:
        """A SqlStore over one SQLite file in the test's directory."""
        return lambda: SqlStore(f"sqlite:///{tmp_path / 'store.db'}")

    @pytest.fixture
    def reopen(self, make_store: Callable[[], Store]) -> Callable[[], Store]:
        """Another store over the same file."""
        return make_store


class _Postgres:
    """Binds the contracts to a fresh PostgreSQL database per test."""

    @pytest.fixture
    def make_store(self, pg_url: str) -> Callable[[], Store]:
        """A SqlStore over the test's own database."""
        return lambda: SqlStore(pg_url)

    @pytest.fixture
    def reopen(self, make_store: Callable[[], Store]) -> Callable[[], Store]:
        """Another store (another connection pool) over the same database."""
        return make_store


class TestSqliteStore(_Sqlite, StoreContract, DurableStoreContract):
    """The store contract on SQLite."""


class TestSqliteEngine(_Sqlite, EngineContract):
    """The engine contract on SQLite."""


class TestPostgresStore(_Postgres, StoreContract, DurableStoreContract):
    """The store contract on PostgreSQL."""


class TestPostgresEngine(_Postgres, EngineContract):
    """The engine contract on PostgreSQL."""
