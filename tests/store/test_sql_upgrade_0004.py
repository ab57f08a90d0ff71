"""Upgrading a populated schema-0003 database to 0004 (who may do what), on SQLite and PostgreSQL.

``tests/data/schema_0003.sqlite`` was written by the changeflow of schema 0003 (see
``tests/data/make_schema_0003.py``): the 2019 demo cohort with its schedule, attendance and
free-text actors, and a second cohort with a keyed command, both pinned to version 3 of the
default lifecycle, which names no roles. Opening it with changeflow upgrades it to 0004;
the checks compare with the rows read before, without changeflow's store.
"""

from __future__ import annotations

import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import create_engine, text

from changeflow import DEFAULT_LIFECYCLE, Engine, StaffMember, TransitionRejected
from changeflow.store.sql import SqlStore
from factories import make_cohort, make_participant, office
from store.upgrade_support import Snapshot, copy_rows, migrate_to, snapshot

if TYPE_CHECKING:
    from collections.abc import Iterator

FIXTURE = Path(__file__).resolve().parents[1] / "data" / "schema_0003.sqlite"
DEMO, SECOND = "PKA-III-VII-2019", "PKA-II-2020"
VERSION_3 = "0728beb7e53a9b35588cf011b07b08c41e30d78a2a098e08b39350a866ae3df3"
"""SHA-256 of version 3 of the default lifecycle, which the fixture's cohorts are pinned to."""
ADDED = {"staff"}
"""The table revision 0004 adds (and the audit table gains ``role``)."""


@pytest.fixture(params=["sqlite", "postgres"])
def database_0003(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of a copy of the populated schema-0003 database, on each backend."""
    target = tmp_path / "schema_0003.sqlite"
    shutil.copyfile(FIXTURE, target)
    url = f"sqlite:///{target}"
    if request.param == "postgres":
        pg_url: str = request.getfixturevalue("pg_url")
        engine = create_engine(pg_url)
        try:
            with engine.begin() as connection:
                migrate_to(connection, "0003")
                # Revision 0002 stores the frozen version 2 it pins to; the copy brings it.
                connection.execute(text("DELETE FROM lifecycles"))
                copy_rows(url, connection)
        finally:
            engine.dispose()
        url = pg_url
    return url


@pytest.fixture
def rows_0003(database_0003: str) -> Snapshot:
    """Everything the 0003 database holds before changeflow opens it."""
    return snapshot(database_0003)


@contextmanager
def opened(url: str) -> Iterator[Engine]:
    """An engine (the default authorizer) on a SqlStore over ``url``; migrate=True upgrades it."""
    with Engine(SqlStore(url, migrate=True)) as engine:
        yield engine


def assert_verifies(engine: Engine) -> None:
    """Every cohort's chain and stored facts verify, with no difference."""
    for check in engine.verify():
        assert (check.cohort, check.ok, check.differences) == (check.cohort, True, ())


def test_the_0003_database_is_populated(rows_0003: Snapshot) -> None:
    """The starting point is a real 0003 database: two version-3 cohorts, calendar rows."""
    assert rows_0003.revision == "0003"
    assert "staff" not in rows_0003.tables
    assert "role" not in rows_0003.columns["audit"]
    assert {r["code"]: r["lifecycle_sha256"] for r in rows_0003.rows["cohorts"]} == {
        DEMO: VERSION_3,
        SECOND: VERSION_3,
    }
    assert rows_0003.count("audit") > 370
    assert rows_0003.count("attendance") == 92
    assert {row["format"] for row in rows_0003.rows["audit"]} == {2}


def test_upgrade_to_0004_keeps_every_row(database_0003: str, rows_0003: Snapshot) -> None:
    """Revision 0004 adds staff empty and an empty audit.role, and keeps every row."""
    engine = create_engine(database_0003)
    try:
        with engine.begin() as connection:
            migrate_to(connection, "0004")  # this revision alone: 0005 re-seals the chain
    finally:
        engine.dispose()
    after = snapshot(database_0003)
    assert after.revision == "0004"
    assert after.tables == rows_0003.tables | ADDED
    assert after.count("staff") == 0
    assert after.columns["audit"] == rows_0003.columns["audit"] | {"role"}
    assert {row["role"] for row in after.rows["audit"]} == {None}
    for table in rows_0003.tables - {"audit"}:
        assert after.columns[table] == rows_0003.columns[table], table
        assert after.rows[table] == rows_0003.rows[table], table
    old_rows = [{k: v for k, v in r.items() if k != "role"} for r in after.rows["audit"]]
    assert old_rows == rows_0003.rows["audit"]


def test_old_chains_verify_and_version_3_cohorts_accept_any_actor(database_0003: str) -> None:
    """Version 3 names no roles: its cohorts keep taking any actor; every chain verifies."""
    with opened(database_0003) as engine:
        assert_verifies(engine)
        [member] = engine.participants(SECOND)
        assert engine.definition_of(SECOND).sha256 == VERSION_3  # type: ignore[union-attr]
        moved = engine.fire(SECOND, member.nip, "withdraw", reason="mutasi", actor="anyone")
        assert (moved.target, moved.role, moved.format) == ("withdrawn", None, 3)
        assert engine.staff(SECOND) == []
        assert_verifies(engine)


def test_a_cohort_migrated_to_version_4_is_judged_by_roles(database_0003: str) -> None:
    """Migrating to version 4 makes the migrating actor the organiser; others are refused."""
    with opened(database_0003) as engine:
        engine.migrate(SECOND, DEFAULT_LIFECYCLE, actor="bkd", reason="who may do what")
        assert [(m.id, sorted(m.roles)) for m in engine.staff(SECOND)] == [("bkd", ["organiser"])]
        person = make_participant(office=office(7))
        with pytest.raises(TransitionRejected) as refused:
            engine.enrol(SECOND, person, actor="BKD")  # the fixture's free-text actor
        assert refused.value.codes == ("not_permitted",)
        assert engine.enrol(SECOND, person, actor="bkd").role == "organiser"
        examiner = StaffMember(id="penguji", name="Penguji", roles={"examiner"})
        assert engine.add_staff(SECOND, examiner, actor="bkd").role == "organiser"
        assert_verifies(engine)


def test_new_cohorts_after_the_upgrade_run_version_4(database_0003: str) -> None:
    """A cohort created after the upgrade is on version 4; its creator is its organiser."""
    with opened(database_0003) as engine:
        engine.create_cohort(make_cohort("PKA-2025"), actor="bkd")
        assert engine.pinned("PKA-2025") == DEFAULT_LIFECYCLE.ref
        entry = engine.enrol("PKA-2025", make_participant(office=office(8)), actor="bkd")
        assert (entry.role, entry.format) == ("organiser", 3)
        assert_verifies(engine)
    after = snapshot(database_0003)
    assert [(r["actor"], r["roles"]) for r in after.rows["staff"]] == [("bkd", "organiser")]
