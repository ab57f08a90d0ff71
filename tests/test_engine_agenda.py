"""Engine.agenda and Engine.tick on every store: the 2019 cohort's deadlines and timeouts."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

import pytest

from changeflow import ChangeProject, Engine, FixedClock, Mentor
from changeflow.agenda import TickOutcome
from changeflow.deadlines import tick_key
from changeflow.models import CalendarParameters, Timeout
from changeflow.workdays import Closure
from factories import make_cohort, make_participant, office, trusted_engine

if TYPE_CHECKING:
    from changeflow.store.base import Store

CODE = "PKA-III-VII-2019"
PROJECT = ChangeProject(
    title="Aplikasi antrean puskesmas daring",
    theme="pelayanan kesehatan",
    mentor=Mentor(name="dr. Anang Budi Yoelijanto"),
)
TO_SEMINAR = ("start_class", "present_proposal", "approve_proposal", "present_results")
ACTIVE = ("enrolled", "on_class", "proposal", "laboratory", "seminar")
IN_THE_LABORATORY = date(2019, 5, 15)
AFTER_THE_SEMINAR = date(2019, 7, 8)  # the results were due 1 July: 5 working days late
NO_RESULTS = "no results presented at the seminar"
DROP_AFTER_5 = Timeout(deadline="results", after_working_days=5, event="drop", reason=NO_RESULTS)


@pytest.fixture
def store(each_store: Store) -> Store:
    """A fresh store of each kind (see ``each_store`` in conftest)."""
    return each_store


@pytest.fixture
def engine(store: Store) -> Engine:
    """An engine on ``store`` whose clock stands at the 2019 cohort's first morning."""
    return trusted_engine(store, clock=FixedClock(datetime(2019, 4, 4, 8, tzinfo=UTC)))


def _cohort(engine: Engine, *timeouts: Timeout) -> None:
    engine.create_cohort(make_cohort(CODE, calendar=CalendarParameters(timeouts=timeouts)))


def reach(engine: Engine, state: str, number: int) -> str:
    """Enrol a participant (office ``number``) and walk them to the active ``state``."""
    person = make_participant(office=office(number), name=f"Peserta {number}")
    nip = engine.enrol(CODE, person).nip
    for event in TO_SEMINAR[: ACTIVE.index(state)]:
        if event == "present_proposal":
            engine.register_project(CODE, nip, PROJECT)
        engine.fire(CODE, nip, event)
    return nip


def test_the_agenda_lists_each_active_participants_next_deadline(engine: Engine) -> None:
    """On 15 May 2019: results due 1 July; a proposal and an approval 11 working days late."""
    _cohort(engine)
    lab, waiting = reach(engine, "laboratory", 1), reach(engine, "proposal", 2)
    late = reach(engine, "on_class", 3)
    gone = reach(engine, "on_class", 4)
    engine.fire(CODE, gone, "withdraw", reason="pindah tugas")
    agenda = engine.agenda(CODE, IN_THE_LABORATORY)
    lines = [
        (i.nip, i.name, i.state, i.next.deadline.name if i.next else None, i.working_days_late)
        for i in agenda.items
    ]
    assert lines == [
        (lab, "Peserta 1", "laboratory", "results", 0),
        (waiting, "Peserta 2", "proposal", "approval", 11),
        (late, "Peserta 3", "on_class", "proposal", 11),
    ]
    assert [i.nip for i in agenda.overdue()] == [waiting, late]
    assert [i.nip for i in agenda.warned()] == [waiting, late]
    assert {w.code for i in agenda.warned() for w in i.warnings} == {
        "laboratory_minimum_unreachable"
    }
    assert agenda.to_dict()["counts"] == {"participants": 3, "overdue": 2, "warned": 2}


def test_the_agenda_counts_lateness_with_the_stored_schedules_closures(engine: Engine) -> None:
    """A regional holiday the organiser adds on 30 April makes the proposal one day less late."""
    _cohort(engine)
    late = reach(engine, "on_class", 1)
    closed = engine.schedule(CODE).with_closure(
        Closure(day=date(2019, 4, 30), name="Hari jadi Kabupaten Probolinggo")
    )
    engine.set_schedule(CODE, closed, reason="hari libur daerah")
    (item,) = engine.agenda(CODE, IN_THE_LABORATORY).items
    assert (item.nip, item.working_days_late) == (late, 10)


def test_the_agenda_warns_of_recorded_attendance_below_the_minimum(engine: Engine) -> None:
    """Present on 2 of 4 counted on-class days (an izin day aside): an attendance warning."""
    _cohort(engine)
    low, fine = reach(engine, "on_class", 1), reach(engine, "on_class", 2)
    for day, status in [(4, "present"), (5, "absent"), (8, "izin"), (9, "absent"), (10, "present")]:
        engine.record_attendance(CODE, low, date(2019, 4, day), status)
        engine.record_attendance(CODE, fine, date(2019, 4, day), "present")
    agenda = engine.agenda(CODE, date(2019, 4, 11))
    assert [i.nip for i in agenda.warned()] == [low]
    (warning,) = agenda.items[0].warnings
    assert warning.code == "attendance_below_minimum"
    assert (warning.facts["present"], warning.facts["absent"], warning.facts["excused"]) == (
        2,
        2,
        1,
    )
    assert not agenda.overdue()


def test_the_default_pack_only_flags_and_a_tick_writes_nothing(engine: Engine) -> None:
    """Without timeouts in the pack, a tick with apply on overdue deadlines writes nothing."""
    _cohort(engine)
    late = reach(engine, "laboratory", 1)
    before = len(engine.history(cohort=CODE))
    report = engine.tick(CODE, AFTER_THE_SEMINAR, apply=True)
    assert report.actions == ()
    assert engine.state(CODE, late) == "laboratory"
    assert len(engine.history(cohort=CODE)) == before


def test_a_tick_without_apply_reports_pending_events_and_writes_nothing(engine: Engine) -> None:
    """A dry tick lists the drop it would fire, with its key, and changes nothing."""
    _cohort(engine, DROP_AFTER_5)
    late = reach(engine, "laboratory", 1)
    reach(engine, "seminar", 2)
    before = len(engine.history(cohort=CODE))
    report = engine.tick(CODE, AFTER_THE_SEMINAR)
    assert not report.apply
    assert [(a.nip, a.deadline, a.event, a.outcome) for a in report.actions] == [
        (late, "results", "drop", TickOutcome.PENDING)
    ]
    assert report.actions[0].key == tick_key(CODE, late, "results")
    assert engine.state(CODE, late) == "laboratory"
    assert len(engine.history(cohort=CODE)) == before


def test_a_tick_applies_a_timeout_once_its_working_days_have_passed(engine: Engine) -> None:
    """Four working days late nothing happens; five, the participant is dropped with the reason."""
    _cohort(engine, DROP_AFTER_5)
    late = reach(engine, "laboratory", 1)
    on_time = reach(engine, "seminar", 2)
    assert engine.tick(CODE, date(2019, 7, 5), apply=True).actions == ()
    report = engine.tick(CODE, AFTER_THE_SEMINAR, apply=True, actor="cron")
    assert [(a.nip, a.outcome) for a in report.applied] == [(late, TickOutcome.APPLIED)]
    assert (engine.state(CODE, late), engine.state(CODE, on_time)) == ("dropped", "seminar")
    drop = engine.history(late)[-1]
    assert (drop.event, drop.accepted, drop.reason, drop.actor) == (
        "drop",
        True,
        NO_RESULTS,
        "cron",
    )
    again = engine.tick(CODE, date(2019, 7, 9), apply=True, actor="cron")
    assert again.actions == ()
    assert [e.event for e in engine.history(late)].count("drop") == 1


def test_a_deadline_applied_once_is_not_applied_again_after_a_reopening(engine: Engine) -> None:
    """Reopened by the organiser, a dropped participant is not dropped again by the next tick."""
    _cohort(engine, DROP_AFTER_5)
    late = reach(engine, "laboratory", 1)
    engine.tick(CODE, AFTER_THE_SEMINAR, apply=True, actor="cron")
    engine.fire(CODE, late, "reopen", reason="hasil sudah diserahkan terlambat, diterima")
    report = engine.tick(CODE, date(2019, 7, 9), apply=True, actor="cron")
    assert [(a.nip, a.outcome) for a in report.actions] == [(late, TickOutcome.ALREADY_APPLIED)]
    assert report.already_applied == report.actions
    assert engine.state(CODE, late) == "laboratory"
    assert [e.event for e in engine.history(late)].count("drop") == 1


def test_a_flag_only_timeout_is_reported_and_fires_nothing(engine: Engine) -> None:
    """A timeout without an event flags the overdue participant and writes nothing."""
    _cohort(engine, Timeout(deadline="approval", after_working_days=0))
    waiting = reach(engine, "proposal", 1)
    before = len(engine.history(cohort=CODE))
    report = engine.tick(CODE, date(2019, 4, 30), apply=True)
    assert [(a.nip, a.deadline, a.event) for a in report.flagged] == [(waiting, "approval", None)]
    assert engine.state(CODE, waiting) == "proposal"
    assert len(engine.history(cohort=CODE)) == before


def test_a_timeout_event_the_rules_refuse_is_reported_refused(engine: Engine) -> None:
    """Graduating an unassessed participant is refused: reported with its violations, not moved."""
    _cohort(engine, Timeout(deadline="assessment", after_working_days=0, event="graduate"))
    unassessed = reach(engine, "seminar", 1)
    report = engine.tick(CODE, date(2019, 7, 22), apply=True)
    (action,) = report.actions
    assert (action.nip, action.outcome) == (unassessed, TickOutcome.REFUSED)
    assert action.violations
    assert engine.state(CODE, unassessed) == "seminar"
