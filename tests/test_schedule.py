"""The default schedule from a cohort's start, and judging adjusted schedules."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from changeflow.models import CalendarParameters
from changeflow.rules.schedule import schedule_violations
from changeflow.schedule import Schedule, ScheduleStage, StageWindow, Visit, derive_schedule
from changeflow.workdays import WorkingDays

START, END = date(2019, 4, 4), date(2019, 7, 19)
DAYS = WorkingDays()


def _plan() -> Schedule:
    return derive_schedule(START, END, CalendarParameters(), DAYS)


def test_the_2019_schedule_is_computed_exactly() -> None:
    """The 2019 cohort: on_class 4-26 April, proposal 29 April, lab to 28 June, seminar 1 July."""
    plan = _plan()
    assert [(w.stage, w.start, w.end) for w in plan.windows] == [
        (ScheduleStage.ON_CLASS, date(2019, 4, 4), date(2019, 4, 26)),
        (ScheduleStage.PROPOSAL, date(2019, 4, 29), date(2019, 4, 29)),
        (ScheduleStage.LABORATORY, date(2019, 4, 30), date(2019, 6, 28)),
        (ScheduleStage.SEMINAR, date(2019, 7, 1), date(2019, 7, 1)),
        (ScheduleStage.CLOSING, date(2019, 7, 19), date(2019, 7, 19)),
    ]
    assert plan.visit == Visit(start=date(2019, 4, 23), end=date(2019, 4, 25))
    assert DAYS.count(plan.visit.start, plan.visit.end) == 3
    assert schedule_violations(plan, START, END, CalendarParameters()) == []


def test_a_laboratory_ending_on_a_holiday_moves_to_the_next_working_day() -> None:
    """A laboratory whose 60th day is a Saturday ends on the Monday after."""
    plan = derive_schedule(date(2019, 4, 1), date(2019, 8, 30), CalendarParameters(), DAYS)
    lab = plan.window(ScheduleStage.LABORATORY)
    assert lab is not None
    naive_end = lab.start + timedelta(days=59)
    assert lab.end == DAYS.on_or_after(naive_end)
    assert DAYS.is_working(lab.end)
    assert lab.days() >= 60


def test_every_problem_of_an_adjusted_schedule_is_reported_at_once() -> None:
    """Overlap, a short laboratory, a window past the end and a stray visit: four violations."""
    plan = _plan()
    plan = plan.with_window(
        StageWindow(stage=ScheduleStage.LABORATORY, start=date(2019, 4, 26), end=date(2019, 5, 31))
    )
    plan = plan.with_window(
        StageWindow(stage=ScheduleStage.CLOSING, start=date(2019, 7, 19), end=date(2019, 7, 22))
    )
    plan = plan.model_copy(update={"visit": Visit(start=date(2019, 5, 2), end=date(2019, 5, 3))})
    codes = sorted(v.code for v in schedule_violations(plan, START, END, CalendarParameters()))
    assert codes == [
        "laboratory_too_short",
        "schedule_outside_cohort",
        "schedule_overlap",
        "schedule_overlap",
        "visit_outside_on_class",
    ]


def test_a_schedule_without_a_window_is_incomplete() -> None:
    """A schedule that lacks the seminar is refused naming the missing stage."""
    plan = _plan()
    without = plan.model_copy(
        update={"windows": tuple(w for w in plan.windows if w.stage != ScheduleStage.SEMINAR)}
    )
    (violation,) = schedule_violations(without, START, END, CalendarParameters())
    assert (violation.code, violation.facts["stage"]) == ("schedule_incomplete", "seminar")
    assert violation.message_id


def test_a_window_ending_before_it_starts_is_refused_by_the_model() -> None:
    """StageWindow and Visit refuse an end before the start, naming the stage."""
    with pytest.raises(ValidationError, match="seminar"):
        StageWindow(stage=ScheduleStage.SEMINAR, start=date(2019, 7, 2), end=date(2019, 7, 1))
    with pytest.raises(ValidationError, match="visit"):
        Visit(start=date(2019, 4, 25), end=date(2019, 4, 23))
    with pytest.raises(ValidationError):
        StageWindow(stage="nosuch", start=date(2019, 7, 1), end=date(2019, 7, 1))  # type: ignore[arg-type]


@settings(max_examples=300, deadline=None)
@given(
    start=st.dates(min_value=date(2015, 1, 1), max_value=date(2030, 6, 30)),
    class_days=st.integers(5, 30),
    lab_days=st.integers(30, 120),
)
def test_a_derived_schedule_always_passes_its_own_judgement(
    start: date, class_days: int, lab_days: int
) -> None:
    """Any start and pack durations: the derived schedule passes when the cohort ends after it."""
    parameters = CalendarParameters(on_class_working_days=class_days, laboratory_min_days=lab_days)
    first = derive_schedule(start, start, parameters, DAYS)
    seminar = first.window(ScheduleStage.SEMINAR)
    assert seminar is not None
    end = seminar.end + timedelta(days=1)
    plan = derive_schedule(start, end, parameters, DAYS)
    assert schedule_violations(plan, start, end, parameters) == []
    for window in plan.windows[:-1]:
        assert DAYS.is_working(window.end), window
