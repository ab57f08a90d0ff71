"""Calendar arithmetic the rules share: whole-year offsets and the retirement date.

Pure functions on :class:`datetime.date`; no clock is read here, so a historical cohort is
judged exactly as it was on its own dates.
"""

from __future__ import annotations

from datetime import date

__all__ = ["add_years", "retirement_date"]


def add_years(day: date, years: int) -> date:
    """Return ``day`` moved by whole ``years``; 29 February becomes 28 February when needed.

    >>> add_years(date(2020, 2, 29), 1)
    datetime.date(2021, 2, 28)
    """
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        # Only 29 February has no twin in a common year.
        return day.replace(year=day.year + years, day=28)


def retirement_date(birth_date: date, retirement_age: int) -> date:
    """Return the day a civil servant's pension (pensiun) takes effect.

    The pension starts on the first day of the month after the month in which the official
    reaches the retirement age (batas usia pensiun, BUP). Only the month matters, so a
    29 February birthday needs no special case.

    >>> retirement_date(date(1970, 3, 15), 58)
    datetime.date(2028, 4, 1)
    >>> retirement_date(date(1961, 12, 31), 58)
    datetime.date(2020, 1, 1)
    """
    year = birth_date.year + retirement_age
    if birth_date.month == 12:
        return date(year + 1, 1, 1)
    return date(year, birth_date.month + 1, 1)
