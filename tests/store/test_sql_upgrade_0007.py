"""Upgrading a populated schema-0006 database to 0007 (credentials), SQLite and PostgreSQL.

The 0006 database is the 0001 fixture (:mod:`store.upgrade_support`) brought to revision 0006
by Alembic alone. Opening it with changeflow adds the empty ``credentials`` table and
changes nothing else; a password set afterwards is stored there.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest

from changeflow import Checkpoint, Engine, FixedClock
from changeflow.store.sql import HEAD, SqlStore
from store.upgrade_support import COHORTS, populated_for, snapshot

if TYPE_CHECKING:
    from pathlib import Path

NOW = datetime(2026, 12, 3, 9, 30, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgres"])
def database_0006(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of a populated schema-0006 database, on each backend."""
    return populated_for(request, tmp_path, "0006")


def test_upgrade_adds_empty_credentials_and_changes_nothing_else(database_0006: str) -> None:
    """0007 adds the credentials table, empty; every other row is kept as it was."""
    before = snapshot(database_0006)
    assert before.revision == "0006"
    assert "credentials" not in before.tables
    assert before.count("audit") > 50
    with Engine(SqlStore(database_0006, migrate=True)) as engine:
        assert engine.store.password_hash("BKD") is None
    after = snapshot(database_0006)
    assert after.revision == HEAD == "0007"
    assert after.tables == before.tables | {"credentials"}
    assert after.columns["credentials"] == {"login", "password_hash", "changed_by", "changed_at"}
    assert after.rows["credentials"] == []
    for table in before.tables:
        assert after.rows[table] == before.rows[table], table


def test_old_chains_verify_and_a_password_set_afterwards_reads_back(database_0006: str) -> None:
    """After the upgrade every chain verifies against the 0006 checkpoints; passwords work."""
    before = snapshot(database_0006)
    taken = [Checkpoint(r["code"], r["chain_seq"], r["chain_hash"]) for r in before.rows["cohorts"]]
    with Engine(SqlStore(database_0006, migrate=True), clock=FixedClock(NOW)) as engine:
        checks = engine.verify(expected=taken)
        assert [(c.cohort, c.ok) for c in checks] == [(code, True) for code in sorted(COHORTS)]
        engine.set_password("penguji", "kata-sandi-baru", actor="admin")
    with Engine(SqlStore(database_0006)) as engine:
        assert engine.check_password("penguji", "kata-sandi-baru")
        assert not engine.check_password("penguji", "kata-sandi-lama")
    rows = snapshot(database_0006).rows["credentials"]
    assert [(r["login"], r["changed_by"], r["changed_at"]) for r in rows] == [
        ("penguji", "admin", NOW)
    ]
    assert rows[0]["password_hash"].startswith("$argon2id$")
    assert "kata-sandi-baru" not in rows[0]["password_hash"]
