"""Upgrading a schema-0001 database (changeflow 0.1.0) to 0002, on SQLite and PostgreSQL.

The database is ``tests/data/schema_0001.sqlite`` (see ``tests/data/make_schema_0001.py``),
copied before it is opened; on PostgreSQL the same rows are copied into a database that
Alembic brought to revision 0001 only (:mod:`store.upgrade_support`). Every check compares
with the fixture's own rows, read without changeflow's store.
"""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
from collections import defaultdict
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import pytest

from changeflow import (
    Assessment,
    DefinitionMismatch,
    Engine,
    IdempotencyConflict,
    Office,
    Participant,
    RuleRegistry,
    TransitionRejected,
    load_definition,
)
from changeflow.audit import lifecycle_facts
from changeflow.records import COHORT_NIP, ENTRY_FORMAT
from changeflow.rules import Rank
from changeflow.states.names import CARRY_OVER
from changeflow.store.sql import HEAD, SqlStore
from changeflow.store.sql.migrations import CHANGE_PROJECT_2, frozen_lifecycle
from factories import trusted_engine
from store.upgrade_support import (
    COHORTS,
    CUSTOM,
    DEMO,
    EMPTY,
    KEYED,
    SUPERVISOR,
    TABLES_0001,
    Snapshot,
    build_0001,
    copy_fixture,
    snapshot,
)

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

ANI, EKO, DINA = "198002142005012003", "197911302006041002", "198107072006042001"
RINA = "198504122010012004"
RSUD = Office(code="RSUD", name="Rumah Sakit Umum Daerah dr. Mohamad Saleh")

UNCHANGED = ("offices", "cohort_offices", "enrolments", "change_projects", "assessments")
"""Tables the upgrade must leave row for row as they were (idempotency has its own test)."""

VERSION_2 = frozen_lifecycle("change_project", "2", CHANGE_PROJECT_2)
"""The default lifecycle of schema 0002's day, which the upgrade pins 0001 cohorts to."""
CHAIN_HEAD = {"chain_seq", "chain_hash", "lifecycle_sha256"}
RESEALED = {"nip", "reason", "payload", "violations", "data", "hash"}
"""Audit columns 0004 rewrites when it re-seals a row (personal values out)."""


class Interrupted(Exception):
    """The fault injected into an upgrade."""


@pytest.fixture(scope="module")
def fixture_rows(tmp_path_factory: pytest.TempPathFactory) -> Snapshot:
    """Everything the 0001 fixture holds, read from a copy of it."""
    return snapshot(copy_fixture(tmp_path_factory.mktemp("fixture")))


@pytest.fixture(params=["sqlite", "postgres"])
def old_database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of a schema-0001 database holding the fixture's rows, on each backend."""
    url = copy_fixture(tmp_path)
    if request.param == "sqlite":
        return url
    pg_url: str = request.getfixturevalue("pg_url")
    build_0001(pg_url, url)
    return pg_url


@contextmanager
def opened(url: str, **options: Any) -> Iterator[Engine]:
    """An engine on a SqlStore over ``url`` (migrate=True upgrades it), closed afterwards."""
    with trusted_engine(SqlStore(url, migrate=True), **options) as engine:
        yield engine


def supervisor_rules() -> RuleRegistry:
    """The default rules plus ``supervisor_rank``, which the supervisor course names."""
    rules = RuleRegistry.default()
    rules.register("supervisor_rank", Rank())
    return rules


def stored_facts(rows: Snapshot) -> dict[tuple[str, str], dict[str, Any]]:
    """Each participant's stored facts, by (cohort, NIP), from a snapshot's rows."""
    codes = {row["id"]: row["code"] for row in rows.rows["cohorts"]}
    projects = {row["enrolment_id"]: row for row in rows.rows["change_projects"]}
    scores: dict[int, dict[str, float]] = defaultdict(dict)
    for row in rows.rows["assessments"]:
        scores[row["enrolment_id"]][row["component"]] = row["score"]
    facts = {}
    for row in rows.rows["enrolments"]:
        project = projects.get(row["id"])
        facts[codes[row["cohort_id"]], row["nip"]] = {
            "name": row["name"],
            "state": row["state"],
            "version": row["version"],
            "revisions": row["revisions"],
            "office": row["office_code"],
            "project": None
            if project is None
            else (
                project["title"],
                project["theme"],
                project["mentor_name"],
                project["mentor_nip"],
                project["mentor_position"],
            ),
            "scores": scores.get(row["id"], {}),
            "group": row["group_no"],
        }
    return facts


def read_facts(engine: Engine, code: str) -> dict[tuple[str, str], dict[str, Any]]:
    """Each participant's facts as the store reads them, shaped like :func:`stored_facts`."""
    facts = {}
    for member in engine.participants(code):
        project, mentor = member.project, member.project and member.project.mentor
        facts[code, member.nip] = {
            "name": member.participant.name,
            "state": member.state,
            "version": member.version,
            "revisions": member.revisions,
            "office": member.participant.office.code,
            "project": None
            if project is None
            else (
                project.title,
                project.theme,
                mentor.name if mentor else None,
                mentor.nip if mentor else None,
                mentor.position if mentor else None,
            ),
            "scores": dict(member.scores or {}),
            "group": member.group,
        }
    return facts


def assert_verifies(engine: Engine) -> None:
    """Every cohort's chain and stored facts verify, with no difference."""
    checks = engine.verify()
    assert sorted(check.cohort for check in checks) == sorted(COHORTS)
    for check in checks:
        assert check.ok, (check.cohort, check.problem, check.differences)
        assert check.differences == ()
        assert check.entries == engine.store.head(check.cohort).seq


# -- the upgrade itself --------------------------------------------------------------------


def test_postgres_0001_copy_holds_every_row_of_the_fixture(
    pg_url: str, tmp_path: Path, fixture_rows: Snapshot
) -> None:
    """Alembic to 0001 plus the row copy give PostgreSQL the fixture's schema and rows."""
    copied = build_0001(pg_url, copy_fixture(tmp_path))
    assert copied == {t: fixture_rows.count(t) for t in TABLES_0001}
    assert copied["audit"] == 197
    assert snapshot(pg_url) == fixture_rows


def test_upgrade_keeps_every_row(old_database: str, fixture_rows: Snapshot) -> None:
    """Opening upgrades to the head and keeps every row; old audit rows keep their facts.

    The calendar's tables (0003) and the staff (0004) start empty: old cohorts get the
    derived default schedule, and run lifecycles that name no roles. 0005 re-seals every
    row into format 3, keeping its former hash in ``legacy_hash``.
    """
    with opened(old_database):
        pass
    after = snapshot(old_database)
    assert fixture_rows.revision == "0001"
    assert after.revision == HEAD
    assert fixture_rows.version_table == "alembic_version"  # as changeflow 0.1.0 left it
    assert after.version_table == "changeflow_alembic_version"
    assert after.tables == TABLES_0001 | {
        "lifecycles",
        "schedules",
        "attendance",
        "staff",
        "subjects",
        "personal_data",
        "office_names",
        "settings",
        "credentials",
    }
    assert after.count("schedules") == after.count("attendance") == after.count("staff") == 0
    assert after.columns["audit"] == fixture_rows.columns["audit"] | {
        "change",
        "format",
        "role",
        "legacy_hash",
    }
    assert after.columns["cohorts"] == fixture_rows.columns["cohorts"] | {"lifecycle_sha256"}
    for table in UNCHANGED:
        assert after.rows[table] == fixture_rows.rows[table], table
    assert after.rows["idempotency"] == fixture_rows.rows["idempotency"]
    assert [r["key"] for r in after.rows["idempotency"]] == [
        "ani-proposal",
        "eko-proposal",
        "enrol-ani",
        "enrol-dina",
        "start-2020",
    ]

    def without_head(row: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in row.items() if k not in CHAIN_HEAD}

    assert [without_head(r) for r in after.rows["cohorts"]] == [
        without_head(r) for r in fixture_rows.rows["cohorts"]
    ]
    old_audit = fixture_rows.rows["audit"]
    kept = after.rows["audit"][: len(old_audit)]
    same = fixture_rows.columns["audit"] - RESEALED
    assert [{k: r[k] for k in same} for r in kept] == [{k: r[k] for k in same} for r in old_audit]
    assert [r["legacy_hash"] for r in kept] == [r["hash"] for r in old_audit]
    assert {(r["format"], r["change"]) for r in kept} == {(3, None)}
    added = after.rows["audit"][len(old_audit) :]
    # one cohort-level entry per cohort, one per participant
    assert len(added) == len(COHORTS) + fixture_rows.count("enrolments")
    assert {(r["event"], r["format"]) for r in added} == {(CARRY_OVER, 3)}
    assert min(r["id"] for r in added) > max(r["id"] for r in old_audit)


def test_upgraded_store_reads_every_participant(old_database: str, fixture_rows: Snapshot) -> None:
    """Through the store, every participant keeps state, version, office, project, scores, group."""
    expected = stored_facts(fixture_rows)
    with opened(old_database) as engine:
        assert [c.code for c in engine.cohorts()] == sorted(COHORTS)
        found = {}
        for code in COHORTS:
            found.update(read_facts(engine, code))
        assert engine.participants(EMPTY) == []
        assert engine.participant(KEYED, ANI).scores == {"overall": 88.5}
        assert engine.state(CUSTOM, RINA) == "passed"
    assert found == expected
    assert len(found) == 33


def test_upgrade_appends_carry_over_entries(old_database: str, fixture_rows: Snapshot) -> None:
    """Each chain gains a cohort-level carry_over entry, then one per participant.

    Written in format 2 by 0002, re-sealed into format 3 by 0004; read opened.
    """
    old_heads = {row["code"]: row["chain_seq"] for row in fixture_rows.rows["cohorts"]}
    facts = stored_facts(fixture_rows)
    with opened(old_database) as engine:
        for code in COHORTS:
            trail = engine.history(cohort=code)
            old = old_heads[code]
            assert [e.seq for e in trail] == list(range(1, len(trail) + 1))
            assert all(e.format == 3 and e.change is None for e in trail[:old])
            assert CARRY_OVER not in {e.event for e in trail[:old]}
            opening, *members = trail[old:]
            assert (opening.nip, opening.event, opening.format) == (COHORT_NIP, CARRY_OVER, 3)
            assert (opening.outcome, opening.source, opening.target) == ("accepted", None, None)
            assert opening.change is not None
            assert opening.change["cohort"] == {
                "before": None,
                "after": engine.cohort(code).model_dump(mode="json"),
            }
            participants = engine.participants(code)
            assert [m.nip for m in members] == [p.nip for p in participants]
            for member in members:
                stored = facts[code, member.nip]
                assert (member.event, member.format, member.outcome) == (CARRY_OVER, 3, "accepted")
                assert member.source == member.target == stored["state"]
                assert member.change is not None
                record = member.change["record"]
                assert record["before"] is None
                after = record["after"]
                assert (after["state"], after["version"], after["group"]) == (
                    stored["state"],
                    stored["version"],
                    stored["group"],
                )
                assert after["office"]["code"] == stored["office"]
                assert (after["scores"] or {}) == stored["scores"]
                assert (after["project"] is None) == (stored["project"] is None)
            assert engine.store.head(code).seq == old + 1 + len(participants)


def test_upgraded_database_verifies(old_database: str) -> None:
    """Engine.verify passes on every upgraded cohort, chain and stored facts alike."""
    with opened(old_database) as engine:
        assert_verifies(engine)


def test_upgrade_pins_default_cohorts_and_leaves_the_custom_one_unpinned(
    old_database: str,
) -> None:
    """Default-lifecycle cohorts are pinned to it; PKP-2024-II to none until migrated."""
    rules = supervisor_rules()
    supervisor = load_definition(SUPERVISOR, rules)
    with opened(old_database, rules=rules) as engine:
        for code in (DEMO, KEYED, EMPTY):
            pinned = engine.pinned(code)
            assert pinned is not None
            assert pinned.sha256 == VERSION_2.sha256
            carried = [e for e, _ in engine.store.trail(code) if e.nip == COHORT_NIP][-1]
            assert carried.change is not None
            assert carried.change["lifecycle"]["after"] == lifecycle_facts(VERSION_2)
        assert engine.pinned(CUSTOM) is None
        carried = [e for e, _ in engine.store.trail(CUSTOM) if e.nip == COHORT_NIP][-1]
        assert carried.change is not None
        assert carried.change["lifecycle"] == {"before": None, "after": None}
        head = engine.store.head(CUSTOM)
        with pytest.raises(DefinitionMismatch) as unpinned:
            engine.fire(CUSTOM, RINA, "withdraw", actor="BKD", reason="salah angkatan")
        assert unpinned.value.stored is None
        with pytest.raises(DefinitionMismatch):
            engine.lifecycle_of(CUSTOM)
        assert engine.store.head(CUSTOM) == head

        plan = engine.migrate(CUSTOM, supervisor, actor="BKD", reason="pin to its own course")
        assert plan.moves == ((RINA, "passed", "passed"),)
        pinned = engine.pinned(CUSTOM)
        assert pinned is not None
        assert pinned.sha256 == supervisor.sha256
        assert engine.state(CUSTOM, RINA) == "passed"
        assert_verifies(engine)
        # the cohort now runs the supervisor course: in_class is one of its own states
        sari = Participant(
            nip="198703152010012006",
            name="Sari",
            office=Office(code="DINKES", name="Dinas Kesehatan"),
            echelon="IV.b",
        )
        engine.enrol(CUSTOM, sari, actor="BKD")
        assert engine.fire(CUSTOM, sari.nip, "start_class", actor="BKD").target == "in_class"
        assert_verifies(engine)


# -- using an upgraded database --------------------------------------------------------------


def test_keyed_retries_return_their_first_results(old_database: str) -> None:
    """Keys remembered at 0001 replay their first results after the upgrade and write nothing."""
    with opened(old_database) as engine:
        head = engine.store.head(KEYED)
        ani = Participant(nip=ANI, name="Ani Rahmawati", office=RSUD, echelon="III.a")
        enrolled = engine.enrol(KEYED, ani, actor="BKD", key="enrol-ani")
        assert (enrolled.seq, enrolled.event, enrolled.target, enrolled.format) == (
            1,
            "enrol",
            "enrolled",
            3,  # written in format 1, re-sealed by 0004
        )
        dina = Participant(nip=DINA, name="Dina", office=RSUD, echelon="III.a")
        with pytest.raises(TransitionRejected) as refused:
            engine.enrol(KEYED, dina, actor="BKD", key="enrol-dina")
        assert [v.code for v in refused.value.violations] == ["office_quota"]
        started = engine.advance(KEYED, "start_class", actor="BKD", key="start-2020")
        assert sorted(e.seq for e in started.accepted) == [4, 5]
        proposal = engine.fire(KEYED, ANI, "present_proposal", actor="BKD", key="ani-proposal")
        assert (proposal.seq, proposal.source, proposal.target, proposal.outcome) == (
            6,
            "on_class",
            "proposal",
            "accepted",
        )
        assert proposal.at.year == 2020
        with pytest.raises(TransitionRejected) as refused:
            engine.fire(KEYED, EKO, "present_proposal", actor="BKD", key="eko-proposal")
        assert [v.code for v in refused.value.violations] == ["change_project_missing"]
        with pytest.raises(IdempotencyConflict):
            engine.fire(KEYED, EKO, "present_proposal", actor="BKD", key="ani-proposal")
        assert engine.store.head(KEYED) == head
        assert engine.state(KEYED, ANI) == "proposal"
        assert engine.state(KEYED, EKO) == "dropped"
        assert_verifies(engine)


def test_new_commands_work_after_upgrade(old_database: str) -> None:
    """Corrections and reopens are audited in the current format after the upgrade; it verifies."""
    demo_graduate, demo_withdrawn = "196801011992031001", "197306081997032018"
    with opened(old_database) as engine:
        corrected = engine.correct_assessment(
            KEYED, ANI, Assessment(score=90.0), actor="BKD", reason="salah input nilai"
        )
        assert (corrected.event, corrected.format, corrected.outcome) == (
            "correct_assessment",
            ENTRY_FORMAT,
            "accepted",
        )
        assert engine.participant(KEYED, ANI).scores == {"overall": 90.0}
        reopened = engine.fire(KEYED, EKO, "reopen", actor="BKD", reason="izin sakit diterima")
        assert (reopened.source, reopened.target, reopened.format) == (
            "dropped",
            "on_class",
            ENTRY_FORMAT,
        )
        assert engine.state(KEYED, EKO) == "on_class"

        renamed = engine.correct_participant(
            DEMO, demo_graduate, name="Ahmad Fauzi", actor="BKD", reason="salah ketik nama"
        )
        assert renamed.event == "correct_participant"
        assert engine.participant(DEMO, demo_graduate).participant.name == "Ahmad Fauzi"
        regraded = engine.correct_assessment(
            DEMO, demo_graduate, Assessment(score=74.0), actor="BKD", reason="rekap ulang"
        )
        assert regraded.change == {
            "scores": {"before": {"overall": 72.5}, "after": {"overall": 74.0}}
        }
        assert regraded.source == regraded.target == "graduated"
        assert engine.participant(DEMO, demo_graduate).scores == {"overall": 74.0}
        with pytest.raises(TransitionRejected) as refused:
            engine.correct_assessment(
                DEMO, demo_graduate, Assessment(score=40.0), actor="BKD", reason="rekap ulang"
            )
        assert [v.code for v in refused.value.violations] == ["outcome_would_change"]
        back = engine.fire(DEMO, demo_withdrawn, "reopen", actor="BKD", reason="mundur dibatalkan")
        assert (back.source, back.target) == ("withdrawn", "laboratory")  # the state she left
        assert engine.state(DEMO, demo_withdrawn) == "laboratory"
        assert_verifies(engine)
    with opened(old_database) as engine:  # and again from a fresh store
        assert engine.participant(KEYED, ANI).scores == {"overall": 90.0}
        assert_verifies(engine)


def test_upgraded_database_is_not_upgraded_again(old_database: str) -> None:
    """Opening a 0002 database again changes nothing (no second carry_over)."""
    with opened(old_database):
        pass
    first = snapshot(old_database)
    with opened(old_database) as engine:
        assert_verifies(engine)
    again = snapshot(old_database)
    assert again.revision == HEAD
    assert again == first


# -- interrupted upgrades --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "nth"),
    [
        ("changeflow.store.sql.unit.load_enrolments", 3),  # third cohort (EMPTY-1)
        ("changeflow.audit.record_facts", 31),  # first participant of the second cohort
    ],
    ids=["per-cohort", "per-participant"],
)
def test_interrupted_upgrade_leaves_schema_0001(
    old_database: str, monkeypatch: pytest.MonkeyPatch, target: str, nth: int
) -> None:
    """A fault half-way through the 0002 data step leaves the database at 0001, unchanged."""
    before = snapshot(old_database)
    module_name, name = target.rsplit(".", 1)
    real = getattr(sys.modules[module_name], name)
    calls: list[int] = []

    def failing(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == nth:
            raise Interrupted(f"{name} call {nth}")
        return real(*args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(target, failing)
        with pytest.raises(Interrupted):
            SqlStore(old_database, migrate=True)
    assert len(calls) == nth  # the migration got that far, then stopped
    after = snapshot(old_database)
    assert after.revision == "0001"
    assert after.version_table == before.version_table  # a legacy table is not moved either
    assert "lifecycles" not in after.tables
    assert {"change", "format"}.isdisjoint(after.columns["audit"])
    assert "lifecycle_sha256" not in after.columns["cohorts"]
    assert after == before
    with opened(old_database) as engine:
        assert_verifies(engine)
    assert snapshot(old_database).revision == HEAD


CHILD = """
import os, signal, sys
import changeflow.store.sql.unit as unit
from changeflow.store.sql import SqlStore

real, calls = unit.load_enrolments, []

def dying(*args, **kwargs):
    calls.append(1)
    if len(calls) == 3:
        print("dying", flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
    return real(*args, **kwargs)

unit.load_enrolments = dying
SqlStore(sys.argv[1], migrate=True)
print("upgraded", flush=True)
"""


def test_killed_upgrade_leaves_sqlite_at_0001(tmp_path: Path, fixture_rows: Snapshot) -> None:
    """A process SIGKILLed mid-upgrade leaves an intact 0001 file that a clean open upgrades."""
    url = copy_fixture(tmp_path)
    child = subprocess.run(
        [sys.executable, "-c", CHILD, url],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr
    assert child.stdout.split() == ["dying"]
    path = url.removeprefix("sqlite:///")
    connection = sqlite3.connect(path)
    try:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    finally:
        connection.close()
    assert snapshot(url) == fixture_rows
    with opened(url) as engine:
        assert_verifies(engine)
    assert snapshot(url).revision == HEAD
