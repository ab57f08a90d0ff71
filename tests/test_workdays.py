"""Indonesian working days against a naive day-by-day reference built on `holidays` directly."""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from changeflow.errors import InvalidInput
from changeflow.workdays import Closure, WorkingDays

FIRST, LAST = date(2015, 1, 1), date(2030, 12, 31)
DAYS = st.dates(min_value=FIRST, max_value=LAST)
CLOSED = st.lists(st.dates(min_value=FIRST, max_value=LAST), max_size=3)
"""Closure days (drawn as plain dates: building models per example would dominate the run)."""


@cache
def _off(year: int) -> frozenset[date]:
    table = holidays.country_holidays("ID", categories=("public", "government"), years=year)
    return frozenset(table)


def _works(day: date, closures: tuple[Closure, ...]) -> bool:
    return day.weekday() < 5 and day not in _off(day.year) and all(c.day != day for c in closures)


def _naive_end(start: date, count: int, closures: tuple[Closure, ...]) -> date:
    day, seen = start, 0
    while True:
        if _works(day, closures):
            seen += 1
            if seen == count:
                return day
        day += timedelta(days=1)


def test_the_2019_calendar_knows_the_election_and_cuti_bersama() -> None:
    """2019: election day 17 April and cuti bersama 3, 4 and 7 June are not working days."""
    days = WorkingDays()
    for day in (date(2019, 4, 17), date(2019, 6, 3), date(2019, 6, 4), date(2019, 6, 7)):
        assert not days.is_working(day), day
        assert days.holiday(day)
    assert days.is_working(date(2019, 4, 16))
    assert days.holiday(date(2019, 4, 16)) is None
    assert not days.is_working(date(2019, 4, 6))  # a Saturday


def test_on_class_of_the_2019_cohort_ends_on_friday_26_april() -> None:
    """15 working days from Thursday 4 April 2019 end on Friday 26 April (election, Good Friday)."""
    assert WorkingDays().end_after(date(2019, 4, 4), 15) == date(2019, 4, 26)
    assert WorkingDays().count(date(2019, 4, 4), date(2019, 4, 26)) == 15


def test_a_closure_is_not_a_working_day_and_pushes_the_end() -> None:
    """An organiser's closure (a regional holiday) moves the end of a count by one day."""
    closed = WorkingDays((Closure(day=date(2019, 4, 8), name="Hari Jadi Kabupaten Probolinggo"),))
    assert not closed.is_working(date(2019, 4, 8))
    assert closed.holiday(date(2019, 4, 8)) == "Hari Jadi Kabupaten Probolinggo"
    assert closed.end_after(date(2019, 4, 4), 15) == date(2019, 4, 29)
    assert WorkingDays().with_closures(closed.closures).end_after(date(2019, 4, 4), 15) == date(
        2019, 4, 29
    )


def test_a_count_below_one_is_refused() -> None:
    """end_after needs at least one working day: InvalidInput names the count."""
    with pytest.raises(InvalidInput, match="count"):
        WorkingDays().end_after(date(2019, 4, 4), 0)


@settings(max_examples=10_000, deadline=None)
@given(start=DAYS, count=st.integers(1, 80), closed=CLOSED)
def test_working_day_arithmetic_matches_a_naive_reference(
    start: date, count: int, closed: list[date]
) -> None:
    """end_after, count, is_working and after agree with a day-by-day walk over 2015-2030."""
    closures = tuple(Closure(day=day, name="Hari Jadi Kabupaten") for day in closed)
    days = WorkingDays(closures)
    end = days.end_after(start, count)
    assert end == _naive_end(start, count, closures)
    assert days.count(start, end) == count
    assert days.is_working(start) == _works(start, closures)
    assert days.after(start) == _naive_end(start + timedelta(days=1), 1, closures)
    assert days.on_or_after(start) == _naive_end(start, 1, closures)
