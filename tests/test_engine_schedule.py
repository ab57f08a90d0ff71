"""The calendar core on every store: a cohort's schedule and its participants' attendance.

``Engine.schedule``, ``Engine.set_schedule`` and ``Engine.record_attendance`` on the memory
store, SQLite and PostgreSQL: the derived schedule stored with the cohort, adjustments
audited (refused with every violation, nothing but the refused attempt written), attendance
on on-class working days only, the ``attendance_minimum`` rule before ``present_proposal``,
and ``verify`` catching a direct edit of the ``schedules`` or ``attendance`` table.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import select, update

from changeflow import (
    Attendance,
    CalendarParameters,
    ChangeProject,
    Engine,
    FixedClock,
    IdempotencyConflict,
    InvalidInput,
    Mentor,
    ParticipantNotFound,
    TransitionRejected,
)
from changeflow.records import COHORT_NIP, Difference
from changeflow.schedule import Schedule, ScheduleStage, StageWindow, Visit, default_schedule
from changeflow.store.sql import SqlStore
from changeflow.store.sql import statements as sql
from changeflow.workdays import Closure
from factories import make_cohort, make_participant, office, trusted_engine

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from changeflow import HistoryEntry
    from changeflow.store.base import Store

CODE = "PKA-III-VII-2019"
PROJECT = ChangeProject(
    title="Aplikasi antrean puskesmas daring",
    theme="pelayanan kesehatan",
    mentor=Mentor(name="dr. Anang Budi Yoelijanto"),
)
WHY = "the visit moved to Kulon Progo"
ON_CLASS_DAYS = tuple(
    date(2019, 4, d) for d in (4, 5, 8, 9, 10, 11, 12, 15, 16, 18, 22, 23, 24, 25, 26)
)
"""The 15 working days of the 2019 on_class (17 April: election day; 19 April: Good Friday)."""
KULON_PROGO = Visit(start=date(2019, 4, 10), end=date(2019, 4, 12), destination="Kulon Progo")
FOUNDING_DAY = Closure(day=date(2019, 4, 9), name="Hari Jadi Kabupaten Probolinggo")


@pytest.fixture
def store(each_store: Store) -> Store:
    """A fresh store of each kind (see ``each_store`` in conftest)."""
    return each_store


@pytest.fixture
def engine(store: Store) -> Engine:
    """An engine on ``store`` holding the 2019 cohort, its clock at the first morning."""
    engine = trusted_engine(store, clock=FixedClock(datetime(2019, 4, 4, 8, tzinfo=UTC)))
    engine.create_cohort(make_cohort(CODE))
    return engine


@pytest.fixture(params=["sqlite", "postgresql"])
def sql_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An engine on an SQL store (SQLite or PostgreSQL) holding the 2019 cohort."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'tamper.db'}"
    else:
        url = str(request.getfixturevalue("pg_url"))
    opened = SqlStore(url)
    engine = trusted_engine(opened, clock=FixedClock(datetime(2019, 4, 4, 8, tzinfo=UTC)))
    engine.create_cohort(make_cohort(CODE))
    yield engine
    opened.close()


def enrolled(engine: Engine, number: int = 0, *, state: str = "on_class") -> str:
    """Enrol a participant (office ``number``), started in class unless ``state`` is enrolled."""
    nip = engine.enrol(CODE, make_participant(office=office(number))).nip
    if state != "enrolled":
        engine.fire(CODE, nip, "start_class")
    return nip


def trail(engine: Engine) -> list[HistoryEntry]:
    """The cohort's whole audit trail, refused attempts included."""
    return engine.history(cohort=CODE)


def assert_verifies(engine: Engine) -> None:
    """The chain is intact and every stored fact equals its replay."""
    [check] = engine.verify(CODE)
    assert (check.ok, check.differences, check.problem) == (True, (), None)


def window(stage: ScheduleStage, start: date, end: date) -> StageWindow:
    """A stage window."""
    return StageWindow(stage=stage, start=start, end=end)


def default_2019() -> Schedule:
    """The schedule derived for the 2019 cohort."""
    return default_schedule(make_cohort(CODE))


def attendance_of(engine: Engine, nip: str) -> dict[str, str]:
    """The participant's attendance the store holds (what the rules read)."""
    with engine.store.unit(CODE) as unit:
        return dict(unit.attendance(CODE, nip))


# -- the schedule ----------------------------------------------------------------------------


def test_a_new_cohort_stores_its_derived_schedule_with_its_first_entry(engine: Engine) -> None:
    """create_cohort derives the 2019 schedule, stores it and records it in its entry."""
    plan = engine.schedule(CODE)
    assert plan == default_2019()
    assert [(w.stage, w.start, w.end) for w in plan.windows] == [
        ("on_class", date(2019, 4, 4), date(2019, 4, 26)),
        ("proposal", date(2019, 4, 29), date(2019, 4, 29)),
        ("laboratory", date(2019, 4, 30), date(2019, 6, 28)),
        ("seminar", date(2019, 7, 1), date(2019, 7, 1)),
        ("closing", date(2019, 7, 19), date(2019, 7, 19)),
    ]
    assert engine.store.schedule(CODE) == plan.to_document()
    [created] = trail(engine)
    assert created.event == "create_cohort"
    assert created.change is not None
    assert created.change["schedule"] == {"before": None, "after": plan.to_document()}
    assert_verifies(engine)


def test_set_schedule_stores_the_adjusted_schedule_audited(engine: Engine) -> None:
    """An organiser's schedule (visit, closure) is stored, with before and after in its entry."""
    before = engine.schedule(CODE)
    adjusted = before.model_copy(update={"visit": KULON_PROGO}).with_closure(FOUNDING_DAY)
    assert engine.set_schedule(CODE, adjusted, reason=WHY, actor="bkd") == adjusted
    assert engine.schedule(CODE) == adjusted
    assert engine.store.schedule(CODE) == adjusted.to_document()
    entry = trail(engine)[-1]
    assert (entry.nip, entry.event, entry.outcome) == (COHORT_NIP, "set_schedule", "accepted")
    assert (entry.actor, entry.reason) == ("bkd", WHY)
    assert entry.change == {
        "schedule": {"before": before.to_document(), "after": adjusted.to_document()}
    }
    assert engine.schedule(CODE).working_days().holiday(FOUNDING_DAY.day) == FOUNDING_DAY.name
    assert_verifies(engine)


def _everything_wrong() -> Schedule:
    """A schedule breaking every rule: outside the cohort, overlapping, short, incomplete."""
    return Schedule(
        windows=(
            window(ScheduleStage.ON_CLASS, date(2019, 4, 1), date(2019, 4, 26)),
            window(ScheduleStage.PROPOSAL, date(2019, 4, 26), date(2019, 4, 26)),
            window(ScheduleStage.LABORATORY, date(2019, 4, 30), date(2019, 5, 31)),
            window(ScheduleStage.SEMINAR, date(2019, 7, 1), date(2019, 7, 1)),
        ),
        visit=Visit(start=date(2019, 4, 29), end=date(2019, 4, 30)),
    )


SCHEDULE_CODES = {
    "reason_required",
    "schedule_outside_cohort",
    "schedule_incomplete",
    "schedule_overlap",
    "laboratory_too_short",
    "visit_outside_on_class",
}


def test_a_refused_schedule_names_every_violation_and_writes_only_its_attempt(
    engine: Engine,
) -> None:
    """Every problem at once, reason included; only the refused entry is written."""
    before, entries = engine.schedule(CODE), len(trail(engine))
    with pytest.raises(TransitionRejected) as refused:
        engine.set_schedule(CODE, _everything_wrong(), reason=" ", actor="bkd")
    assert set(refused.value.codes) == SCHEDULE_CODES
    assert refused.value.codes[0] == "reason_required"
    assert (refused.value.cohort, refused.value.nip, refused.value.event) == (
        CODE,
        COHORT_NIP,
        "set_schedule",
    )
    assert engine.schedule(CODE) == before
    assert engine.store.schedule(CODE) == before.to_document()
    after = trail(engine)
    assert len(after) == entries + 1
    assert (after[-1].event, after[-1].outcome) == ("set_schedule", "refused")
    assert {v.code for v in after[-1].violations} == SCHEDULE_CODES
    assert_verifies(engine)


def _one_problem(how: str) -> Schedule:
    """The derived schedule with one thing wrong."""
    plan = default_2019()
    broken = {
        "outside": window(ScheduleStage.CLOSING, date(2019, 7, 22), date(2019, 7, 22)),
        "overlap": window(ScheduleStage.PROPOSAL, date(2019, 4, 26), date(2019, 4, 26)),
        "short": window(ScheduleStage.LABORATORY, date(2019, 4, 30), date(2019, 6, 27)),
    }
    if how in broken:
        return plan.with_window(broken[how])
    if how == "incomplete":
        windows = tuple(w for w in plan.windows if w.stage != ScheduleStage.SEMINAR)
        return plan.model_copy(update={"windows": windows})
    return plan.model_copy(update={"visit": Visit(start=date(2019, 4, 26), end=date(2019, 4, 29))})


@pytest.mark.parametrize(
    ("how", "code"),
    [
        ("outside", "schedule_outside_cohort"),
        ("overlap", "schedule_overlap"),
        ("short", "laboratory_too_short"),
        ("incomplete", "schedule_incomplete"),
        ("visit", "visit_outside_on_class"),
    ],
)
def test_each_schedule_problem_is_refused_on_its_own(engine: Engine, how: str, code: str) -> None:
    """One broken window gives exactly its violation; the stored schedule stays."""
    before = engine.schedule(CODE)
    with pytest.raises(TransitionRejected) as refused:
        engine.set_schedule(CODE, _one_problem(how), reason=WHY)
    assert refused.value.codes == (code,)
    assert engine.schedule(CODE) == before
    assert_verifies(engine)


def test_a_laboratory_of_exactly_the_minimum_is_accepted(engine: Engine) -> None:
    """Sixty calendar days of laboratory pass; fifty-nine are refused (above)."""
    plan = default_2019().with_window(
        window(ScheduleStage.LABORATORY, date(2019, 4, 30), date(2019, 6, 28))
    )
    assert plan.window(ScheduleStage.LABORATORY).days() == 60  # type: ignore[union-attr]
    engine.set_schedule(CODE, plan, reason=WHY)
    assert engine.schedule(CODE) == plan


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_set_schedule_needs_a_reason(engine: Engine, reason: str | None) -> None:
    """A schedule without a reason is refused with reason_required alone."""
    adjusted = default_2019().model_copy(update={"visit": KULON_PROGO})
    with pytest.raises(TransitionRejected) as refused:
        engine.set_schedule(CODE, adjusted, reason=reason)
    assert refused.value.codes == ("reason_required",)
    assert engine.schedule(CODE) == default_2019()
    assert_verifies(engine)


def test_set_schedule_with_a_key_is_applied_once(engine: Engine) -> None:
    """The same keyed schedule sent twice writes one entry; the key for another conflicts."""
    adjusted = default_2019().model_copy(update={"visit": KULON_PROGO})
    engine.set_schedule(CODE, adjusted, reason=WHY, key="jadwal-1")
    entries = len(trail(engine))
    assert engine.set_schedule(CODE, adjusted, reason=WHY, key="jadwal-1") == adjusted
    assert len(trail(engine)) == entries
    other = adjusted.with_closure(FOUNDING_DAY)
    with pytest.raises(IdempotencyConflict):
        engine.set_schedule(CODE, other, reason=WHY, key="jadwal-1")
    assert engine.schedule(CODE) == adjusted
    assert len(trail(engine)) == entries
    assert_verifies(engine)


def test_a_keyed_refused_schedule_is_refused_again_without_a_second_entry(engine: Engine) -> None:
    """A retry of a refused keyed schedule raises the same refusal and writes nothing."""
    with pytest.raises(TransitionRejected):
        engine.set_schedule(CODE, _one_problem("short"), reason=WHY, key="jadwal-2")
    entries = len(trail(engine))
    with pytest.raises(TransitionRejected) as again:
        engine.set_schedule(CODE, _one_problem("short"), reason=WHY, key="jadwal-2")
    assert again.value.codes == ("laboratory_too_short",)
    assert len(trail(engine)) == entries


def test_set_schedule_refuses_what_is_not_a_schedule(engine: Engine) -> None:
    """A document instead of a Schedule is InvalidInput, and nothing is written."""
    entries = len(trail(engine))
    with pytest.raises(InvalidInput):
        engine.set_schedule(CODE, default_2019().to_document(), reason=WHY)  # type: ignore[arg-type]
    assert len(trail(engine)) == entries


# -- attendance --------------------------------------------------------------------------------


def test_recording_attendance_is_an_audited_entry(engine: Engine) -> None:
    """A day's attendance is stored and audited with its before and after."""
    nip = enrolled(engine)
    entry = engine.record_attendance(CODE, nip, date(2019, 4, 4), Attendance.PRESENT, actor="bkd")
    assert (entry.nip, entry.event, entry.outcome) == (nip, "record_attendance", "accepted")
    assert (entry.source, entry.target) == ("on_class", "on_class")
    assert entry.change == {
        "attendance": {"before": {"2019-04-04": None}, "after": {"2019-04-04": "present"}}
    }
    assert attendance_of(engine, nip) == {"2019-04-04": "present"}
    assert engine.store.projection(CODE).attendance == {nip: {"2019-04-04": "present"}}
    assert_verifies(engine)


def test_recording_a_day_again_replaces_it(engine: Engine) -> None:
    """A second status for the same day replaces the first; the entry keeps both."""
    nip = enrolled(engine)
    engine.record_attendance(CODE, nip, date(2019, 4, 5), "absent")
    entry = engine.record_attendance(CODE, nip, date(2019, 4, 5), "sakit", reason="surat dokter")
    assert entry.change == {
        "attendance": {"before": {"2019-04-05": "absent"}, "after": {"2019-04-05": "sakit"}}
    }
    assert attendance_of(engine, nip) == {"2019-04-05": "sakit"}
    assert_verifies(engine)


def test_every_status_and_every_on_class_day_is_accepted(engine: Engine) -> None:
    """Each Attendance value, on each working day of on_class (the visit's included), is kept."""
    nip = enrolled(engine)
    statuses = list(Attendance)
    for i, day in enumerate(ON_CLASS_DAYS):
        engine.record_attendance(CODE, nip, day, statuses[i % len(statuses)])
    assert attendance_of(engine, nip) == {
        day.isoformat(): statuses[i % len(statuses)].value for i, day in enumerate(ON_CLASS_DAYS)
    }
    assert_verifies(engine)


def test_attendance_may_be_recorded_before_the_class_starts_the_participant(
    engine: Engine,
) -> None:
    """A participant still enrolled (class not started for them) may be marked absent."""
    nip = enrolled(engine, state="enrolled")
    entry = engine.record_attendance(CODE, nip, date(2019, 4, 4), "absent")
    assert (entry.source, entry.outcome) == ("enrolled", "accepted")


def test_a_closed_record_refuses_attendance(engine: Engine) -> None:
    """A withdrawn participant's attendance is refused with record_closed; nothing changes."""
    nip = enrolled(engine)
    engine.record_attendance(CODE, nip, date(2019, 4, 4), "present")
    engine.fire(CODE, nip, "withdraw", reason="mutasi")
    with pytest.raises(TransitionRejected) as refused:
        engine.record_attendance(CODE, nip, date(2019, 4, 4), "absent")
    assert refused.value.codes == ("record_closed",)
    assert (refused.value.nip, refused.value.event) == (nip, "record_attendance")
    assert attendance_of(engine, nip) == {"2019-04-04": "present"}
    last = trail(engine)[-1]
    assert (last.event, last.outcome, last.source) == ("record_attendance", "refused", "withdrawn")
    assert_verifies(engine)


@pytest.mark.parametrize(
    "day",
    [
        date(2019, 4, 3),  # the day before the cohort starts
        date(2019, 4, 29),  # the proposal presentation, after on_class
        date(2019, 5, 15),  # the laboratory
        date(2019, 4, 6),  # a Saturday
        date(2019, 4, 7),  # a Sunday
        date(2019, 4, 17),  # election day
        date(2019, 4, 19),  # Good Friday
    ],
)
def test_a_day_that_is_no_on_class_working_day_is_invalid(engine: Engine, day: date) -> None:
    """Outside on_class, a weekend or a holiday: InvalidInput naming ``day``, nothing written."""
    nip = enrolled(engine)
    entries = len(trail(engine))
    with pytest.raises(InvalidInput) as invalid:
        engine.record_attendance(CODE, nip, day, "present")
    assert invalid.value.field == "day"
    assert str(day) in str(invalid.value)
    assert len(trail(engine)) == entries
    assert attendance_of(engine, nip) == {}


def test_an_organisers_closure_is_no_working_day(engine: Engine) -> None:
    """A closure added to the schedule makes its day invalid for attendance, naming it."""
    nip = enrolled(engine)
    engine.record_attendance(CODE, nip, FOUNDING_DAY.day, "present")
    engine.set_schedule(CODE, engine.schedule(CODE).with_closure(FOUNDING_DAY), reason=WHY)
    with pytest.raises(InvalidInput) as invalid:
        engine.record_attendance(CODE, nip, FOUNDING_DAY.day, "absent")
    assert invalid.value.field == "day"
    assert FOUNDING_DAY.name in str(invalid.value)
    assert attendance_of(engine, nip) == {FOUNDING_DAY.day.isoformat(): "present"}


def test_attendance_follows_a_moved_on_class_window(engine: Engine) -> None:
    """Once on_class ends earlier, a day after it is refused and one inside still accepted."""
    nip = enrolled(engine)
    plan = engine.schedule(CODE)
    shorter = plan.with_window(window(ScheduleStage.ON_CLASS, date(2019, 4, 4), date(2019, 4, 24)))
    shorter = shorter.model_copy(
        update={"visit": Visit(start=date(2019, 4, 22), end=date(2019, 4, 24))}
    )
    engine.set_schedule(CODE, shorter, reason=WHY)
    with pytest.raises(InvalidInput):
        engine.record_attendance(CODE, nip, date(2019, 4, 25), "present")
    engine.record_attendance(CODE, nip, date(2019, 4, 24), "present")


@pytest.mark.parametrize("status", ["hadir", "PRESENT", "", "excused", 1])
def test_an_unknown_status_is_invalid(engine: Engine, status: Any) -> None:
    """A status that is no Attendance value: InvalidInput naming ``status``, nothing written."""
    nip = enrolled(engine)
    entries = len(trail(engine))
    with pytest.raises(InvalidInput) as invalid:
        engine.record_attendance(CODE, nip, date(2019, 4, 4), status)
    assert invalid.value.field == "status"
    assert len(trail(engine)) == entries


@pytest.mark.parametrize("day", ["2019-04-04", None, datetime(2019, 4, 4, 8, tzinfo=UTC)])
def test_a_day_that_is_not_a_date_is_invalid(engine: Engine, day: Any) -> None:
    """A string, None or a datetime for ``day``: InvalidInput, nothing written."""
    nip = enrolled(engine)
    entries = len(trail(engine))
    with pytest.raises(InvalidInput):
        engine.record_attendance(CODE, nip, day, "present")
    assert len(trail(engine)) == entries


@pytest.mark.parametrize("nip", ["197506012000031999", "not a nip", ""])
def test_attendance_for_someone_not_enrolled_is_participant_not_found(
    engine: Engine, nip: str
) -> None:
    """A NIP not enrolled in the cohort (or no NIP at all): ParticipantNotFound, nothing written."""
    enrolled(engine)
    entries = len(trail(engine))
    with pytest.raises(ParticipantNotFound):
        engine.record_attendance(CODE, nip, date(2019, 4, 4), "present")
    assert len(trail(engine)) == entries


def test_keyed_attendance_is_recorded_once(engine: Engine) -> None:
    """The same keyed row twice is one entry; the key for another status conflicts."""
    nip = enrolled(engine)
    first = engine.record_attendance(CODE, nip, date(2019, 4, 4), "present", key="hadir-1")
    again = engine.record_attendance(CODE, nip, date(2019, 4, 4), "present", key="hadir-1")
    assert again == first
    with pytest.raises(IdempotencyConflict):
        engine.record_attendance(CODE, nip, date(2019, 4, 4), "absent", key="hadir-1")
    assert [e.event for e in engine.history(nip, cohort=CODE)].count("record_attendance") == 1


# -- the attendance minimum --------------------------------------------------------------------


def mark(engine: Engine, nip: str, **counts: int) -> None:
    """Record ``counts`` days of each status (present=4, absent=1, ...) on successive days."""
    days = iter(ON_CLASS_DAYS)
    for status, count in counts.items():
        for _ in range(count):
            engine.record_attendance(CODE, nip, next(days), Attendance[status.upper()])


def ready(engine: Engine, number: int = 0) -> str:
    """A participant in class with a mentored change project: only attendance may refuse."""
    nip = enrolled(engine, number)
    engine.register_project(CODE, nip, PROJECT)
    return nip


@pytest.mark.parametrize(
    "counts",
    [
        {"present": 4, "absent": 1},  # 0.8 exactly
        {"present": 9, "absent": 1},
        {"present": 1, "sick": 5, "permitted": 5},  # excused days count neither way
        {},  # nothing recorded: nothing to judge
        {"sick": 2, "permitted": 1},  # only excused days
    ],
    ids=["at-minimum", "above", "excused-ignored", "none", "only-excused"],
)
def test_attendance_at_or_above_the_minimum_lets_the_proposal_through(
    engine: Engine, counts: dict[str, int]
) -> None:
    """present_proposal is accepted from a share of 0.8 up, or with nothing counted."""
    nip = ready(engine)
    mark(engine, nip, **counts)
    assert engine.fire(CODE, nip, "present_proposal").target == "proposal"
    assert_verifies(engine)


@pytest.mark.parametrize(
    ("counts", "share"),
    [
        ({"present": 3, "absent": 1}, 0.75),
        ({"present": 11, "absent": 3, "sick": 1}, 0.7857),
        ({"absent": 1, "permitted": 4}, 0.0),
    ],
)
def test_attendance_below_the_minimum_refuses_the_proposal(
    engine: Engine, counts: dict[str, int], share: float
) -> None:
    """Below 0.8 of counted days present, present_proposal is refused with the share."""
    nip = ready(engine)
    mark(engine, nip, **counts)
    with pytest.raises(TransitionRejected) as refused:
        engine.fire(CODE, nip, "present_proposal")
    [violation] = refused.value.violations
    assert violation.code == "attendance_minimum"
    assert dict(violation.facts) == {"nip": nip, "share": share, "minimum": 0.8}
    assert violation.message_id
    assert engine.state(CODE, nip) == "on_class"
    engine.record_attendance(CODE, nip, ON_CLASS_DAYS[-1], "present")  # still allowed
    assert_verifies(engine)


def test_the_minimum_is_judged_with_the_project_rule(engine: Engine) -> None:
    """No project and too little attendance: both violations, in the lifecycle's order."""
    nip = enrolled(engine)
    mark(engine, nip, present=1, absent=1)
    with pytest.raises(TransitionRejected) as refused:
        engine.fire(CODE, nip, "present_proposal")
    assert refused.value.codes == ("change_project_missing", "attendance_minimum")


def test_the_minimum_is_the_cohorts_parameter(store: Store) -> None:
    """A cohort whose pack sets 0.5 lets 1 of 2 days through and refuses 1 of 3."""
    engine = trusted_engine(store, clock=FixedClock(datetime(2019, 4, 4, 8, tzinfo=UTC)))
    engine.create_cohort(make_cohort(CODE, calendar=CalendarParameters(attendance_minimum=0.5)))
    half, third = ready(engine, 1), ready(engine, 2)
    mark(engine, half, present=1, absent=1)
    mark(engine, third, present=1, absent=2)
    engine.fire(CODE, half, "present_proposal")
    with pytest.raises(TransitionRejected) as refused:
        engine.fire(CODE, third, "present_proposal")
    assert refused.value.codes == ("attendance_minimum",)
    assert refused.value.violations[0].facts["minimum"] == 0.5


def test_a_bulk_advance_judges_each_participants_attendance(engine: Engine) -> None:
    """advance(present_proposal) moves the one who attended and refuses the one who did not."""
    present, absent = ready(engine, 1), ready(engine, 2)
    mark(engine, present, present=5)
    mark(engine, absent, absent=5)
    report = engine.advance(CODE, "present_proposal")
    assert [e.nip for e in report.accepted] == [present]
    assert [(e.nip, e.violations[0].code) for e in report.refused] == [
        (absent, "attendance_minimum")
    ]
    assert_verifies(engine)


def test_attendance_is_per_cohort(store: Store) -> None:
    """Days recorded in one cohort do not count in another the person is enrolled in."""
    engine = trusted_engine(store, clock=FixedClock(datetime(2019, 4, 4, 8, tzinfo=UTC)))
    engine.create_cohort(make_cohort(CODE))
    engine.create_cohort(make_cohort("PKA-OTHER-2019"))
    person = make_participant(office=office(7))
    engine.enrol(CODE, person)
    engine.fire(CODE, person.nip, "start_class")
    engine.record_attendance(CODE, person.nip, date(2019, 4, 4), "absent")
    engine.fire(CODE, person.nip, "withdraw", reason="pindah angkatan")
    engine.enrol("PKA-OTHER-2019", person)
    engine.fire("PKA-OTHER-2019", person.nip, "start_class")
    engine.register_project("PKA-OTHER-2019", person.nip, PROJECT)
    engine.fire("PKA-OTHER-2019", person.nip, "present_proposal")
    assert all(check.ok for check in engine.verify())


# -- tamper evidence ---------------------------------------------------------------------------


def test_a_direct_edit_of_the_schedule_is_named_by_verify(sql_engine: Engine) -> None:
    """An UPDATE of the schedules document is a Difference on schedules/document."""
    store = sql_engine.store
    assert isinstance(store, SqlStore)
    adjusted = sql_engine.schedule(CODE).model_copy(update={"visit": KULON_PROGO})
    sql_engine.set_schedule(CODE, adjusted, reason=WHY)
    assert_verifies(sql_engine)
    forged = adjusted.with_closure(FOUNDING_DAY).to_document()
    with store.engine.begin() as connection:
        connection.execute(update(sql.SCHEDULES).values(document=forged))
    [check] = sql_engine.verify(CODE)
    assert not check.ok
    assert check.differences == (
        Difference("schedules", CODE, "document", forged, adjusted.to_document()),
    )
    assert "schedules" in str(check.problem)


def test_a_deleted_schedule_is_named_by_verify(sql_engine: Engine) -> None:
    """A schedules row deleted behind the engine's back is a Difference (stored: none)."""
    store = sql_engine.store
    assert isinstance(store, SqlStore)
    with store.engine.begin() as connection:
        connection.execute(sql.SCHEDULES.delete())
    [check] = sql_engine.verify(CODE)
    assert check.differences == (
        Difference("schedules", CODE, "document", None, default_2019().to_document()),
    )


def test_a_direct_edit_of_attendance_is_named_by_verify(sql_engine: Engine) -> None:
    """An UPDATE of one attendance status is a Difference naming the NIP and the day."""
    store = sql_engine.store
    assert isinstance(store, SqlStore)
    nip = enrolled(sql_engine)
    sql_engine.record_attendance(CODE, nip, date(2019, 4, 4), "absent")
    sql_engine.record_attendance(CODE, nip, date(2019, 4, 5), "present")
    assert_verifies(sql_engine)
    with store.engine.begin() as connection:
        changed = connection.execute(
            update(sql.ATTENDANCE)
            .where(sql.ATTENDANCE.c.day == date(2019, 4, 4))
            .values(status="present")
        )
        assert changed.rowcount == 1
        days = connection.execute(select(sql.ATTENDANCE.c.day)).scalars().all()
    assert sorted(days) == [date(2019, 4, 4), date(2019, 4, 5)]
    [check] = sql_engine.verify(CODE)
    assert check.differences == (Difference("attendance", nip, "2019-04-04", "present", "absent"),)
    assert not check.ok


def test_an_attendance_row_inserted_directly_is_named_by_verify(sql_engine: Engine) -> None:
    """A day added to the attendance table without an entry is a Difference (replayed: none)."""
    store = sql_engine.store
    assert isinstance(store, SqlStore)
    nip = enrolled(sql_engine)
    with store.engine.begin() as connection:
        cohort_id = connection.execute(
            select(sql.COHORTS.c.id).where(sql.COHORTS.c.code == CODE)
        ).scalar_one()
        connection.execute(
            sql.ATTENDANCE.insert().values(
                cohort_id=cohort_id, nip=nip, day=date(2019, 4, 8), status="present"
            )
        )
    [check] = sql_engine.verify(CODE)
    assert check.differences == (Difference("attendance", nip, "2019-04-08", "present", None),)
