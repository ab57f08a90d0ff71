"""examples/probolinggo_2019/*.csv hold the 2019 demo's data; its roster enrols as the demo does."""

from __future__ import annotations

import importlib.util
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from changeflow import Engine, FixedClock
from changeflow.bulk import apply_rows, read_bulk
from changeflow.demo import COHORT, run
from changeflow.roster import enrol_roster, read_roster

if TYPE_CHECKING:
    from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
FILES = ROOT / "examples" / "probolinggo_2019"
ORGANISER = "bkd-probolinggo"  # the demo's organiser, who creates the cohort and enrols


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "make_demo_files", ROOT / "scripts" / "make_demo_files.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def demo() -> Engine:
    """The engine after the whole demo story, told on a fresh in-memory store."""
    return run(say=lambda _line: None)


@pytest.fixture
def fresh() -> Engine:
    """A fresh in-memory engine at the demo's starting time, with the demo's cohort."""
    engine = Engine(clock=FixedClock(datetime(2019, 4, 1, 8, tzinfo=UTC)))
    engine.create_cohort(COHORT, actor=ORGANISER)
    return engine


def test_the_committed_files_are_what_the_demo_generates(demo: Engine) -> None:
    """Regenerated in memory, each file equals the committed one byte for byte."""
    script = _script()
    generated = {
        "roster.csv": script.roster(),
        "projects.csv": script.projects(demo),
        "scores.csv": script.scores(demo),
    }
    assert sorted(p.name for p in FILES.iterdir()) == sorted(generated)
    for name, text in generated.items():
        assert (FILES / name).read_bytes() == text.encode(), f"{name} drifted from the demo"


def test_the_roster_enrols_and_refuses_whom_the_demo_does(demo: Engine, fresh: Engine) -> None:
    """roster.csv through read_roster and enrol_roster: the demo's 30, its 4 refusals."""
    enrolments = [e for e in demo.history(cohort=COHORT.code) if e.event == "enrol"]
    report = enrol_roster(fresh, COHORT.code, read_roster(FILES / "roster.csv"), actor=ORGANISER)
    accepted = [o.nip for o in report.accepted]
    assert accepted == [e.nip for e in enrolments if e.accepted]
    assert len(accepted) == COHORT.capacity
    refused = {o.nip: [v.code for v in o.violations] for o in report.refused}
    assert refused == {e.nip: [v.code for v in e.violations] for e in enrolments if not e.accepted}
    assert sorted(code for codes in refused.values() for code in codes) == [
        "cohort_capacity",
        "office_quota",
        "rank",
        "retirement_horizon",
    ]


def test_the_projects_file_registers_the_demo_projects(demo: Engine, fresh: Engine) -> None:
    """projects.csv applied after the roster gives each participant the demo's project."""
    enrol_roster(fresh, COHORT.code, read_roster(FILES / "roster.csv"), actor=ORGANISER)
    rows = read_bulk(FILES / "projects.csv", "projects")
    report = apply_rows(fresh, COHORT.code, "projects", rows, actor=ORGANISER)
    assert len(report.accepted) == COHORT.capacity
    assert not report.refused
    expected = {m.nip: m.project for m in demo.participants(COHORT.code)}
    assert {m.nip: m.project for m in fresh.participants(COHORT.code)} == expected


def test_the_scores_file_reads_as_the_examiners_recorded_it(demo: Engine) -> None:
    """scores.csv: every row valid, one per participant who reached the seminar."""
    rows = read_bulk(FILES / "scores.csv", "scores")
    assert all(row.valid for row in rows)
    recorded = [
        (e.nip, (e.data or {})["score"])
        for e in demo.history(cohort=COHORT.code)
        if e.event == "record_assessment"
    ]
    assert [(row.nip, row.value.score) for row in rows] == recorded
    assert len(rows) == COHORT.capacity - 1  # one withdrew during the laboratory
