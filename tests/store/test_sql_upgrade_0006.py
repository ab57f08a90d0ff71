"""Upgrading a populated schema-0005 database to 0006 (the office registry), SQLite and PostgreSQL.

The 0005 database is the 0001 fixture (:mod:`store.upgrade_support`) brought to revision 0005
by Alembic alone (re-sealed, personal data aside). Opening it with changeflow adds the
registry's tables, registers every stored office under its name, and changes nothing else.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from changeflow import Checkpoint, Engine, Office
from changeflow.offices import fold
from changeflow.store.sql import HEAD, SqlStore
from store.upgrade_support import (
    COHORTS,
    populated_for,
    snapshot,
)

if TYPE_CHECKING:
    from pathlib import Path

REGISTRY_TABLES = {"office_names", "settings"}
LATER_TABLES = {"credentials"}
"""The table revision 0007 adds (opening upgrades to the head)."""


@pytest.fixture(params=["sqlite", "postgres"])
def database_0005(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of a populated schema-0005 database, on each backend."""
    return populated_for(request, tmp_path, "0005")


def test_upgrade_registers_every_office_and_changes_nothing_else(database_0005: str) -> None:
    """0006 adds the registry, each stored office under its folded name; other rows are kept."""
    before = snapshot(database_0005)
    assert before.revision == "0005"
    assert not before.tables & REGISTRY_TABLES
    assert len(before.rows["offices"]) >= 2
    with Engine(SqlStore(database_0005, migrate=True)) as engine:
        registry = engine.offices()
    after = snapshot(database_0005)
    assert after.revision == HEAD
    assert after.tables == before.tables | REGISTRY_TABLES | LATER_TABLES
    for table in before.tables - {"alembic_version"}:
        assert after.rows[table] == before.rows[table], table
    assert after.rows["settings"] == []
    names = {(r["key"], r["office_code"], r["kind"]) for r in after.rows["office_names"]}
    assert names == {(fold(r["name"]), r["code"], "name") for r in before.rows["offices"]}
    assert [(o.code, o.name, o.aliases, o.added_by) for o in registry] == [
        (r["code"], r["name"], (), None) for r in sorted(before.rows["offices"], key=_code)
    ]


def test_old_chains_verify_and_old_offices_resolve_by_name(database_0005: str) -> None:
    """After the upgrade every chain verifies against the 0005 checkpoints; names find offices."""
    before = snapshot(database_0005)
    taken = [Checkpoint(r["code"], r["chain_seq"], r["chain_hash"]) for r in before.rows["cohorts"]]
    stored = before.rows["offices"][0]
    with Engine(SqlStore(database_0005, migrate=True)) as engine:
        checks = engine.verify(expected=taken)
        assert [(c.cohort, c.ok) for c in checks] == [(code, True) for code in sorted(COHORTS)]
        now = {(c.cohort, c.seq, c.hash) for c in engine.checkpoints()}
        assert now == {(c.cohort, c.seq, c.hash) for c in taken}
        engine.add_office(stored["code"], stored["name"], aliases=["Kantor Lama"], actor="admin")
        with engine.store.unit(sorted(COHORTS)[0]) as uow:
            found = uow.office_named(fold(" kantor-LAMA "))
            named = uow.office_named(fold(stored["name"].upper()))
    assert found == named == Office(code=stored["code"], name=stored["name"])


def _code(row: dict[str, object]) -> str:
    return str(row["code"])
