"""Upgrading a populated schema-0004 database to 0005 (personal data), on SQLite and PostgreSQL.

The 0004 database is the 0001 fixture (``tests/data/schema_0001.sqlite``, see
:mod:`store.upgrade_support`) brought to revision 0004 by Alembic alone (0004 adds the staff
and each entry's role, both empty on that database): format-1 entries,
the carry_over entries of 0002 (names, birth dates and mentors in them), keyed retries.
Opening it with changeflow verifies every chain, then re-seals it; every check compares
with the rows read before, without changeflow's store.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import create_engine, text

from changeflow import Checkpoint, Engine, UpgradeRefused
from changeflow.store.sql import HEAD, SqlStore
from store.upgrade_support import (
    COHORTS,
    DEMO,
    KEYED,
    Snapshot,
    populated_for,
    snapshot,
)

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

PERSONAL_TABLES = {"subjects", "personal_data"}
LATER_TABLES = {"office_names", "settings", "credentials"}
"""The tables revisions 0006 and 0007 add (opening upgrades to the head)."""
RESEALED = {"nip", "reason", "payload", "violations", "data", "change", "format", "hash"}
"""The audit columns re-sealing may rewrite (every other column is kept as it was)."""
DEMO_GRADUATE = "196801011992031001"


@pytest.fixture(params=["sqlite", "postgres"])
def database_0004(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of a populated schema-0004 database, on each backend."""
    return populated_for(request, tmp_path, "0004")


@pytest.fixture
def rows_0004(database_0004: str) -> Snapshot:
    """Everything the 0004 database holds before changeflow opens it."""
    return snapshot(database_0004)


@contextmanager
def opened(url: str) -> Iterator[Engine]:
    """An engine on a SqlStore over ``url`` (migrate=True upgrades it), closed afterwards."""
    with Engine(SqlStore(url, migrate=True)) as engine:
        yield engine


def _people(rows: Snapshot) -> set[str]:
    """Every NIP and name the 0004 database holds (enrolments, mentors)."""
    found = {r["nip"] for r in rows.rows["enrolments"]} | {
        r["name"] for r in rows.rows["enrolments"]
    }
    found |= {r["mentor_name"] for r in rows.rows["change_projects"] if r["mentor_name"]}
    return found


def test_the_0004_database_holds_personal_data_in_its_chain(rows_0004: Snapshot) -> None:
    """The starting point: NIPs and names inside hashed audit rows, no subjects table."""
    assert rows_0004.revision == "0004"
    assert not rows_0004.tables & PERSONAL_TABLES
    audit = "\n".join(str(r) for r in rows_0004.rows["audit"])
    assert all(value in audit for value in _people(rows_0004))
    assert len(_people(rows_0004)) > 60


def test_upgrade_moves_personal_data_out_of_the_chain(
    database_0004: str, rows_0004: Snapshot
) -> None:
    """After the upgrade no audit row holds a NIP or a name; each keeps its old hash aside."""
    with opened(database_0004):
        pass
    after = snapshot(database_0004)
    assert after.revision == HEAD
    assert after.tables == rows_0004.tables | PERSONAL_TABLES | LATER_TABLES
    assert after.columns["audit"] == rows_0004.columns["audit"] | {"legacy_hash"}
    # The actor is staff (the approving mentor acted as themself): not the person's data.
    audit = "\n".join(
        str({k: v for k, v in r.items() if k != "actor"}) for r in after.rows["audit"]
    )
    assert not [value for value in _people(rows_0004) if value in audit]
    before, now = rows_0004.rows["audit"], after.rows["audit"]
    assert [r["id"] for r in now] == [r["id"] for r in before]
    assert [r["legacy_hash"] for r in now] == [r["hash"] for r in before]
    assert {r["format"] for r in now} == {3}
    kept = rows_0004.columns["audit"] - RESEALED
    assert [{k: r[k] for k in kept} for r in now] == [{k: r[k] for k in kept} for r in before]
    participants = {r["nip"] for r in before if r["nip"]}
    assert sorted(r["nip"] for r in after.rows["subjects"]) == sorted(participants)
    for table in rows_0004.tables - {"audit", "cohorts"}:
        assert after.rows[table] == rows_0004.rows[table], table


def test_history_reads_as_it_did(database_0004: str, rows_0004: Snapshot) -> None:
    """Opened, every entry has the NIP, reason, payload, data and change it had before."""
    ids = {r["id"]: r["code"] for r in rows_0004.rows["cohorts"]}
    with opened(database_0004) as engine:
        now = {(e.cohort, e.seq): e for code in COHORTS for e in engine.history(cohort=code)}
    assert len(now) == len(rows_0004.rows["audit"])
    for row in rows_0004.rows["audit"]:
        entry = now[ids[row["cohort_id"]], row["seq"]]
        shown = entry.to_dict()
        assert (entry.nip, entry.reason, entry.format) == (row["nip"], row["reason"], 3)
        for column in ("payload", "data", "change"):
            assert shown[column] == (None if row[column] is None else json.loads(row[column]))
        kept = [] if row["violations"] is None else json.loads(row["violations"])
        assert shown["violations"] == kept


def test_every_chain_verifies_and_old_checkpoints_still_match(
    database_0004: str, rows_0004: Snapshot
) -> None:
    """Verify passes; a checkpoint taken before the upgrade matches the row's former hash."""
    taken = [
        Checkpoint(r["code"], r["chain_seq"], r["chain_hash"]) for r in rows_0004.rows["cohorts"]
    ]
    with opened(database_0004) as engine:
        checks = engine.verify(expected=taken)
        assert [(c.cohort, c.ok, c.differences) for c in checks] == [
            (code, True, ()) for code in sorted(COHORTS)
        ]
        assert engine.checkpoints() != taken  # the chain was hashed anew
        forged = Checkpoint(DEMO, taken[0].seq, "0" * 64)
        [check] = engine.verify(DEMO, expected=[forged])
        assert not check.ok
        assert "differs from the checkpoint" in str(check.problem)


def test_a_broken_chain_refuses_the_upgrade(database_0004: str) -> None:
    """An edited row: UpgradeRefused naming the cohort; the database stays at 0004, as it was."""
    engine = create_engine(database_0004)
    try:
        with engine.begin() as connection:
            postgres = connection.dialect.name == "postgresql"
            if postgres:
                connection.execute(text("ALTER TABLE audit DISABLE TRIGGER audit_append_only"))
            else:
                connection.execute(text("DROP TRIGGER audit_append_only_update"))
            connection.execute(
                text("UPDATE audit SET reason = 'forged' WHERE cohort_id = 2 AND seq = 3")
            )
            if postgres:
                connection.execute(text("ALTER TABLE audit ENABLE TRIGGER audit_append_only"))
    finally:
        engine.dispose()
    edited = snapshot(database_0004)
    with pytest.raises(UpgradeRefused) as refused:
        SqlStore(database_0004, migrate=True)
    assert refused.value.cohort == KEYED
    assert "entry 3" in refused.value.problem
    after = snapshot(database_0004)
    assert after.revision == "0004"
    assert after.rows == edited.rows


def test_an_upgraded_participant_can_be_erased(database_0004: str) -> None:
    """A graduate recorded before the upgrade is erased; every chain verifies afterwards."""
    with opened(database_0004) as engine:
        [entry] = engine.erase(DEMO_GRADUATE, reason="permintaan penghapusan")
        assert (entry.cohort, entry.source) == (DEMO, "graduated")
        assert all(check.ok for check in engine.verify())
        assert engine.history(DEMO_GRADUATE) == []
    after = snapshot(database_0004)
    assert DEMO_GRADUATE not in "\n".join(str(r) for t in after.rows.values() for r in t)


def test_the_upgraded_database_is_not_upgraded_again(database_0004: str) -> None:
    """Opening a 0005 database again changes nothing."""
    with opened(database_0004):
        pass
    first = snapshot(database_0004)
    with opened(database_0004) as engine:
        assert all(check.ok for check in engine.verify())
    assert snapshot(database_0004) == first
