"""Upgrading a populated schema-0002 database to 0003 (the calendar), on SQLite and PostgreSQL.

The 0002 database is the 0001 fixture (``tests/data/schema_0001.sqlite``, see
:mod:`store.upgrade_support`) brought to revision 0002 by Alembic alone: its cohorts pinned
(to the frozen version 2 of the default lifecycle, or to none), its ``carry_over`` entries
appended. Opening it with changeflow upgrades it to 0003; every check compares with the
rows read before, without changeflow's store.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date
from typing import TYPE_CHECKING, Any

import pytest

from changeflow import ChangeProject, DefinitionMismatch, Engine, Mentor
from changeflow.schedule import Visit, default_schedule
from changeflow.store.sql import SqlStore
from changeflow.store.sql.migrations import CHANGE_PROJECT_2
from factories import make_participant, office, trusted_engine
from store.upgrade_support import (
    COHORTS,
    CUSTOM,
    DEMO,
    EMPTY,
    TABLES_0001,
    Snapshot,
    populated_for,
    snapshot,
    upgrade_to,
)

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

TABLES_0002 = TABLES_0001 | {"lifecycles"}
CALENDAR = {"schedules", "attendance"}
"""The tables revision 0003 adds."""
PROJECT = ChangeProject(
    title="Antrean rujukan daring", theme="kesehatan", mentor=Mentor(name="Kepala Dinas")
)


@pytest.fixture(params=["sqlite", "postgres"])
def database_0002(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of a populated schema-0002 database, on each backend."""
    return populated_for(request, tmp_path, "0002")


@pytest.fixture
def rows_0002(database_0002: str) -> Snapshot:
    """Everything the 0002 database holds before changeflow opens it."""
    return snapshot(database_0002)


@contextmanager
def opened(url: str) -> Iterator[Engine]:
    """An engine on a SqlStore over ``url`` (migrate=True upgrades it), closed afterwards."""
    with trusted_engine(SqlStore(url, migrate=True)) as engine:
        yield engine


def assert_verifies(engine: Engine) -> None:
    """Every cohort's chain and stored facts verify, with no difference."""
    checks = engine.verify()
    assert sorted(check.cohort for check in checks) == sorted(COHORTS)
    for check in checks:
        assert (check.cohort, check.ok, check.differences) == (check.cohort, True, ())


def test_the_0002_database_is_populated(rows_0002: Snapshot) -> None:
    """The starting point is a real 0002 database: pinned cohorts, carry_over entries."""
    assert rows_0002.revision == "0002"
    assert rows_0002.tables == TABLES_0002
    assert [row["sha256"] for row in rows_0002.rows["lifecycles"]] == [CHANGE_PROJECT_2]
    assert rows_0002.count("audit") > 197  # the 0001 fixture's entries, then the carried ones
    assert {row["code"] for row in rows_0002.rows["cohorts"]} == set(COHORTS)
    assert rows_0002.count("enrolments") == 33


def test_upgrade_to_0003_keeps_every_row(database_0002: str, rows_0002: Snapshot) -> None:
    """Revision 0003 adds the calendar's tables empty and keeps every row."""
    upgrade_to(database_0002, "0003")  # this revision alone: 0004 re-seals the chain
    after = snapshot(database_0002)
    assert after.revision == "0003"
    assert after.tables == rows_0002.tables | CALENDAR
    assert after.count("schedules") == after.count("attendance") == 0
    for table in rows_0002.tables:
        assert after.columns[table] == rows_0002.columns[table], table
        assert after.rows[table] == rows_0002.rows[table], table


def test_the_upgraded_database_verifies_with_derived_schedules(database_0002: str) -> None:
    """Every cohort verifies; each has the schedule derived from its dates, none stored."""
    with opened(database_0002) as engine:
        assert_verifies(engine)
        for code in COHORTS:
            assert engine.store.schedule(code) is None
            assert engine.schedule(code) == default_schedule(engine.store.cohort(code))
            assert engine.store.projection(code).attendance == {}


def test_upgraded_cohorts_take_the_calendar_commands(database_0002: str) -> None:
    """After the upgrade a schedule is set and attendance recorded; everything verifies."""
    with opened(database_0002) as engine:
        plan = engine.schedule(DEMO).model_copy(
            update={
                "visit": Visit(
                    start=date(2019, 4, 10), end=date(2019, 4, 12), destination="Kulon Progo"
                )
            }
        )
        engine.set_schedule(DEMO, plan, reason="the 2019 visit's real dates", actor="bkd")
        nip = _in_class(engine)
        engine.record_attendance(EMPTY, nip, date(2021, 1, 4), "present")
        engine.record_attendance(EMPTY, nip, date(2021, 1, 5), "absent")
        assert_verifies(engine)
    after = snapshot(database_0002)
    assert after.count("schedules") == 1
    assert [(r["nip"], r["day"], r["status"]) for r in after.rows["attendance"]] == [
        (nip, date(2021, 1, 4), "present"),
        (nip, date(2021, 1, 5), "absent"),
    ]
    with opened(database_0002) as engine:
        assert engine.schedule(DEMO) == plan
        assert_verifies(engine)


def test_a_cohort_pinned_to_version_2_is_not_judged_on_attendance(database_0002: str) -> None:
    """Version 2 of the default lifecycle does not name attendance_minimum: the proposal passes."""
    with opened(database_0002) as engine:
        nip = _in_class(engine)
        engine.register_project(EMPTY, nip, PROJECT)
        engine.record_attendance(EMPTY, nip, date(2021, 1, 4), "present")
        for day in (5, 6, 7):
            engine.record_attendance(EMPTY, nip, date(2021, 1, day), "absent")
        pinned = engine.pinned(EMPTY)
        assert pinned is not None
        assert (pinned.version, pinned.sha256) == ("2", CHANGE_PROJECT_2)
        assert engine.fire(EMPTY, nip, "present_proposal").target == "proposal"
        assert_verifies(engine)


def test_a_cohort_pinned_to_none_still_refuses_commands(database_0002: str) -> None:
    """The custom cohort pinned to none refuses set_schedule until migrated, as before."""
    with opened(database_0002) as engine:
        plan = engine.schedule(CUSTOM)
        with pytest.raises(DefinitionMismatch):
            engine.set_schedule(CUSTOM, plan, reason="jadwal baru")
        assert engine.store.schedule(CUSTOM) is None
        assert_verifies(engine)


def _in_class(engine: Engine, **person: Any) -> str:
    """A new participant of the empty cohort (pinned to version 2), started in class."""
    nip = engine.enrol(EMPTY, make_participant(office=office(91), **person)).nip
    engine.fire(EMPTY, nip, "start_class")
    return nip
