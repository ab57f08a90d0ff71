"""Deadlines from the 2019 schedule: what is due next, how late, and which timeouts apply."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from changeflow.deadlines import (
    DEADLINE_NAMES,
    DEADLINES,
    Actor,
    deadline_for,
    deadline_named,
    due_items,
    plan_tick,
)
from changeflow.models import CalendarParameters, Timeout
from changeflow.records import Enrolment
from changeflow.schedule import Schedule, derive_schedule
from changeflow.states.default import DEFAULT_LIFECYCLE
from changeflow.workdays import Closure, WorkingDays
from factories import END_2019, START_2019, make_nip, make_participant

CODE = "PKA-III-VII-2019"
DAYS = WorkingDays()
FINAL = frozenset(s.name for s in DEFAULT_LIFECYCLE.states if s.final)


def _plan() -> Schedule:
    return derive_schedule(START_2019, END_2019, CalendarParameters(), DAYS)


PLAN = _plan()


def member(state: str, sequence: int = 1) -> Enrolment:
    """A member of the 2019 cohort in ``state`` (inactive when the state is final)."""
    person = make_participant(nip=make_nip(sequence=sequence))
    return Enrolment(CODE, person, state, active=state not in FINAL)


def _timeouts(*timeouts: Timeout) -> CalendarParameters:
    return CalendarParameters(timeouts=timeouts)


DROP_AFTER_5 = Timeout(deadline="results", after_working_days=5, event="drop", reason="no results")


def test_every_active_state_of_the_default_lifecycle_has_its_deadline_on_the_2019_dates() -> None:
    """Enrolled to seminar: the event due, its day in the 2019 schedule and who acts."""
    found = {
        d.state: (d.name, d.event, d.due(PLAN), d.actor)
        for d in (deadline_for(s.name) for s in DEFAULT_LIFECYCLE.states)
        if d is not None
    }
    assert found == {
        "enrolled": ("start_class", "start_class", date(2019, 4, 4), Actor.ORGANISER),
        "on_class": ("proposal", "present_proposal", date(2019, 4, 29), Actor.PARTICIPANT),
        "proposal": ("approval", "approve_proposal", date(2019, 4, 29), Actor.MENTOR),
        "laboratory": ("results", "present_results", date(2019, 7, 1), Actor.PARTICIPANT),
        "seminar": ("assessment", "graduate", date(2019, 7, 19), Actor.EXAMINER),
    }
    assert all(deadline_for(state) is None for state in FINAL)


def test_every_deadline_event_is_an_event_of_the_default_lifecycle_from_its_state() -> None:
    """Each deadline's event leaves the deadline's state in the default lifecycle."""
    moves = {(t.event, source) for t in DEFAULT_LIFECYCLE.transitions for source in t.source}
    assert all((d.event, d.state) in moves for d in DEADLINES)
    assert {d.name for d in DEADLINES} == DEADLINE_NAMES
    assert deadline_named("results") is deadline_for("laboratory")
    assert deadline_named("no_such_deadline") is None


def test_a_schedule_without_the_window_gives_no_due_date() -> None:
    """A deadline whose window the schedule lacks has no due date, and no due item."""
    without = PLAN.model_copy(
        update={"windows": tuple(w for w in PLAN.windows if w.stage != "seminar")}
    )
    results = deadline_named("results")
    assert results is not None
    assert results.due(without) is None
    assert due_items(without, DAYS, [member("laboratory")], date(2019, 7, 10)) == []


def test_a_deadline_is_not_overdue_on_its_due_date() -> None:
    """On the proposal's due date nothing is late; the next working day is 1 day late."""
    (on_day,) = due_items(PLAN, DAYS, [member("on_class")], date(2019, 4, 29))
    (after,) = due_items(PLAN, DAYS, [member("on_class")], date(2019, 4, 30))
    assert (on_day.due, on_day.overdue, on_day.working_days_late) == (date(2019, 4, 29), False, 0)
    assert (after.overdue, after.working_days_late) == (True, 1)


def test_working_days_late_skip_labour_day_and_weekends() -> None:
    """Due 29 April 2019, on 6 May the proposal is 4 working days late (1 May is a holiday)."""
    (item,) = due_items(PLAN, DAYS, [member("on_class")], date(2019, 5, 6))
    assert (item.overdue, item.working_days_late) == (True, 4)


def test_a_deadline_passed_over_a_weekend_is_overdue_by_zero_working_days() -> None:
    """The assessment is due Friday 19 July: on Saturday it is overdue, 0 working days late."""
    (item,) = due_items(PLAN, DAYS, [member("seminar")], date(2019, 7, 20))
    assert (item.deadline.name, item.overdue, item.working_days_late) == ("assessment", True, 0)


def test_the_schedules_closures_count_against_lateness() -> None:
    """An office closure after the due date is not a working day late."""
    closed = DAYS.with_closures([Closure(day=date(2019, 4, 30), name="Hari jadi kabupaten")])
    (item,) = due_items(PLAN, closed, [member("on_class")], date(2019, 5, 6))
    assert item.working_days_late == 3


def test_due_items_leave_out_finished_and_custom_states_and_keep_the_members_order() -> None:
    """Graduated, dropped and unknown states have no deadline; the rest keep their order."""
    members = [
        member("laboratory", 1),
        member("graduated", 2),
        member("dropped", 3),
        member("field_study", 4),
        member("enrolled", 5),
    ]
    items = due_items(PLAN, DAYS, members, date(2019, 4, 10))
    assert [(i.nip, i.deadline.name) for i in items] == [
        (members[0].nip, "results"),
        (members[4].nip, "start_class"),
    ]


def test_an_inactive_member_in_an_active_state_has_no_deadline() -> None:
    """A member the store marks inactive is left out whatever its state's name."""
    person = make_participant(nip=make_nip(sequence=9))
    assert (
        due_items(PLAN, DAYS, [Enrolment(CODE, person, "laboratory", active=False)], END_2019) == []
    )


COURSE_DAYS = st.dates(min_value=date(2019, 3, 1), max_value=date(2019, 9, 30))


@given(as_of=COURSE_DAYS)
def test_lateness_counts_each_working_day_after_the_due_date(as_of: date) -> None:
    """Working days late grow by one exactly on each working day after the due date."""
    (today,) = due_items(PLAN, DAYS, [member("laboratory")], as_of)
    (yesterday,) = due_items(PLAN, DAYS, [member("laboratory")], as_of - timedelta(days=1))
    assert today.overdue == (as_of > today.due)
    grew = today.working_days_late - yesterday.working_days_late
    assert grew == (1 if today.overdue and DAYS.is_working(as_of) else 0)
    if not today.overdue:
        assert today.working_days_late == 0


def test_no_timeouts_plan_nothing() -> None:
    """The default pack has no timeouts: a tick plans nothing even for very late deadlines."""
    assert plan_tick(CODE, PLAN, DAYS, CalendarParameters(), [member("on_class")], END_2019) == []


def test_a_timeout_applies_after_its_working_days() -> None:
    """Drop after 5 working days: not on the 4th working day late, on the 5th, with its key."""
    lab = member("laboratory")
    # Due Monday 1 July 2019: Tuesday 2 July is 1 working day late, Monday 8 July 5.
    assert plan_tick(CODE, PLAN, DAYS, _timeouts(DROP_AFTER_5), [lab], date(2019, 7, 5)) == []
    (planned,) = plan_tick(CODE, PLAN, DAYS, _timeouts(DROP_AFTER_5), [lab], date(2019, 7, 8))
    assert (planned.nip, planned.deadline, planned.event) == (lab.nip, "results", "drop")
    assert planned.key == f"tick:{CODE}:{lab.nip}:results"
    assert planned.item.working_days_late == 5
    assert planned.timeout == DROP_AFTER_5


def test_a_timeout_of_zero_working_days_applies_the_day_after_the_due_date() -> None:
    """A flag after 0 working days applies on the Saturday after a Friday due date."""
    flag = Timeout(deadline="assessment", after_working_days=0)
    seminar = member("seminar")
    assert plan_tick(CODE, PLAN, DAYS, _timeouts(flag), [seminar], date(2019, 7, 19)) == []
    (planned,) = plan_tick(CODE, PLAN, DAYS, _timeouts(flag), [seminar], date(2019, 7, 20))
    assert (planned.deadline, planned.event) == ("assessment", None)


def test_a_timeout_applies_only_to_members_owing_its_deadline() -> None:
    """A results timeout plans nothing for members in other states, or finished."""
    members = [member("on_class", 1), member("seminar", 2), member("dropped", 3)]
    assert plan_tick(CODE, PLAN, DAYS, _timeouts(DROP_AFTER_5), members, date(2019, 7, 19)) == []


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        (date(2019, 7, 1), None),  # the due date: nothing applies
        (date(2019, 7, 2), (0, None)),  # the flag at once
        (date(2019, 7, 12), (0, None)),  # 9 working days late: still only the flag
        (date(2019, 7, 15), (10, "drop")),  # 10 working days late: the drop wins
    ],
)
def test_of_several_timeouts_of_a_deadline_the_furthest_reached_applies(
    as_of: date, expected: tuple[int, str | None] | None
) -> None:
    """Flag at once, drop after 10 working days: one planned timeout, the furthest reached."""
    flag = Timeout(deadline="results", after_working_days=0)
    drop = Timeout(deadline="results", after_working_days=10, event="drop", reason="no results")
    planned = plan_tick(CODE, PLAN, DAYS, _timeouts(drop, flag), [member("laboratory")], as_of)
    assert [(p.timeout.after_working_days, p.event) for p in planned] == (
        [] if expected is None else [expected]
    )


def test_of_equal_timeouts_the_one_firing_an_event_applies() -> None:
    """A flag and a drop after the same working days: the drop is planned."""
    flag = Timeout(deadline="results", after_working_days=5)
    planned = plan_tick(
        CODE, PLAN, DAYS, _timeouts(flag, DROP_AFTER_5), [member("laboratory")], END_2019
    )
    assert [p.event for p in planned] == ["drop"]


def test_a_timeout_naming_an_unknown_deadline_never_applies() -> None:
    """A timeout for a deadline the table lacks plans nothing."""
    stray = Timeout(deadline="thesis", after_working_days=0, event="drop")
    assert plan_tick(CODE, PLAN, DAYS, _timeouts(stray), [member("laboratory")], END_2019) == []


@given(as_of=COURSE_DAYS, after=st.integers(min_value=0, max_value=30), later=st.integers(0, 60))
def test_once_a_timeout_applies_it_keeps_applying(as_of: date, after: int, later: int) -> None:
    """Planning is monotone in time: applied on a day, applied on every later day."""
    timeout = _timeouts(Timeout(deadline="results", after_working_days=after, event="drop"))
    lab = [member("laboratory")]
    now = plan_tick(CODE, PLAN, DAYS, timeout, lab, as_of)
    then = plan_tick(CODE, PLAN, DAYS, timeout, lab, as_of + timedelta(days=later))
    if now:
        assert [p.key for p in then] == [p.key for p in now]
        assert now[0].item.working_days_late >= after
        assert as_of > now[0].item.due
    if as_of <= date(2019, 7, 1):
        assert now == []
