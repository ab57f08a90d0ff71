"""Calendar arithmetic: whole-year offsets and the civil-service retirement (pension) date."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from changeflow.dates import add_years, retirement_date

BIRTHS = st.dates(min_value=date(1900, 1, 1), max_value=date(2010, 12, 31))
AGES = st.integers(min_value=30, max_value=80)


@pytest.mark.parametrize(
    ("day", "years", "expected"),
    [
        pytest.param(date(2019, 4, 4), 4, date(2023, 4, 4), id="forward"),
        pytest.param(date(2019, 4, 4), -4, date(2015, 4, 4), id="backward"),
        pytest.param(date(2019, 4, 4), 0, date(2019, 4, 4), id="zero"),
        pytest.param(date(2020, 2, 29), 1, date(2021, 2, 28), id="leap-day-to-common-year"),
        pytest.param(date(2020, 2, 29), 4, date(2024, 2, 29), id="leap-day-to-leap-year"),
        pytest.param(date(2020, 2, 29), -1, date(2019, 2, 28), id="leap-day-backward"),
        pytest.param(date(2096, 2, 29), 4, date(2100, 2, 28), id="century-is-not-leap"),
        pytest.param(date(1996, 2, 29), 4, date(2000, 2, 29), id="400-year-is-leap"),
        pytest.param(date(2019, 2, 28), 1, date(2020, 2, 28), id="28-feb-stays"),
        pytest.param(date(2019, 12, 31), 1, date(2020, 12, 31), id="year-end"),
    ],
)
def test_add_years(day: date, years: int, expected: date) -> None:
    """Whole years keep month and day; 29 February becomes 28 February in a common year."""
    assert add_years(day, years) == expected


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)), st.integers(-100, 100))
def test_add_years_moves_only_the_year(day: date, years: int) -> None:
    """The result has the shifted year and the same month; only 29 February loses a day."""
    moved = add_years(day, years)
    assert moved.year == day.year + years
    assert moved.month == day.month
    if (day.month, day.day) == (2, 29) and moved.day != 29:
        assert moved.day == 28
    else:
        assert moved.day == day.day


@pytest.mark.parametrize(
    ("born", "age", "expected"),
    [
        pytest.param(date(1970, 3, 15), 58, date(2028, 4, 1), id="mid-month"),
        pytest.param(date(1970, 3, 1), 58, date(2028, 4, 1), id="first-of-month"),
        pytest.param(date(1970, 3, 31), 58, date(2028, 4, 1), id="last-of-month"),
        pytest.param(date(1961, 12, 31), 58, date(2020, 1, 1), id="december-rolls-into-january"),
        pytest.param(date(1961, 12, 1), 58, date(2020, 1, 1), id="december-first"),
        pytest.param(date(1964, 2, 29), 58, date(2022, 3, 1), id="leap-day-birthday"),
        pytest.param(date(1962, 2, 28), 58, date(2020, 3, 1), id="28-february"),
        pytest.param(date(1975, 1, 31), 58, date(2033, 2, 1), id="january"),
        pytest.param(date(1970, 3, 15), 60, date(2030, 4, 1), id="senior-leadership-60"),
        pytest.param(date(1970, 11, 30), 65, date(2035, 12, 1), id="november-to-december"),
    ],
)
def test_retirement_date(born: date, age: int, expected: date) -> None:
    """The pension starts on the first day of the month after the month the age is reached."""
    assert retirement_date(born, age) == expected


def _reference_retirement(born: date, age: int) -> date:
    """Independent computation on a month count: the month after the birthday's month."""
    months = (born.year + age) * 12 + (born.month - 1) + 1
    return date(months // 12, months % 12 + 1, 1)


@given(BIRTHS, AGES)
def test_retirement_date_matches_month_arithmetic(born: date, age: int) -> None:
    """retirement_date agrees with a reference computed on (year * 12 + month)."""
    assert retirement_date(born, age) == _reference_retirement(born, age)


@given(BIRTHS, AGES)
def test_retirement_follows_the_birthday_within_a_month(born: date, age: int) -> None:
    """The pension date is a first of month, after the birthday reaching the age, within 31 days."""
    retires = retirement_date(born, age)
    birthday = add_years(born, age)
    assert retires.day == 1
    assert birthday < retires <= birthday + timedelta(days=31)
