"""Indonesian working days (hari kerja): Monday to Friday, minus holidays and closures.

National public holidays and collective leave (cuti bersama) come from the maintained
``holidays`` package (``country_holidays("ID", categories=("public", "government"))``), never
from a table of our own; an organiser adds regional holidays and office closures as
:class:`Closure` data. Pure arithmetic on :class:`datetime.date`: no clock is read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from changeflow.errors import InvalidInput
from changeflow.models import Text

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

__all__ = ["Closure", "WorkingDays"]

_WEEKEND = frozenset({5, 6})  # Saturday, Sunday
_CATEGORIES = ("public", "government")  # holidays' names for national days and cuti bersama


class Closure(BaseModel):
    """A day without work that the national calendar does not know (a regional holiday)."""

    model_config = ConfigDict(frozen=True, strict=True, extra="forbid", defer_build=True)

    day: date
    name: Text


@dataclass(slots=True)
class WorkingDays:
    """The working days of Indonesian government offices, with extra closures.

    >>> days = WorkingDays()
    >>> days.is_working(date(2019, 4, 17))  # general election day
    False
    >>> days.end_after(date(2019, 4, 4), 15)  # 15 working days from Thursday 4 April 2019
    datetime.date(2019, 4, 26)
    """

    closures: tuple[Closure, ...] = ()
    _closed: dict[date, str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._closed = {c.day: c.name for c in self.closures}

    def with_closures(self, closures: Iterable[Closure]) -> WorkingDays:
        """A calendar with ``closures`` added to this one's."""
        return WorkingDays((*self.closures, *closures))

    def holiday(self, day: date) -> str | None:
        """The name of the holiday or closure on ``day``, if any (weekends are not named)."""
        return self._closed.get(day) or _national_holidays(day.year).get(day)

    def is_working(self, day: date) -> bool:
        """True on a weekday that is neither a holiday, cuti bersama nor a closure."""
        return day.weekday() not in _WEEKEND and self.holiday(day) is None

    def on_or_after(self, day: date) -> date:
        """``day`` if it is a working day, else the next working day."""
        while not self.is_working(day):
            day += timedelta(days=1)
        return day

    def after(self, day: date) -> date:
        """The first working day after ``day``."""
        return self.on_or_after(day + timedelta(days=1))

    def end_after(self, start: date, count: int) -> date:
        """The ``count``-th working day from ``start`` on (``start`` is the first if it works).

        >>> WorkingDays().end_after(date(2019, 6, 3), 1)  # cuti bersama, then Idul Fitri
        datetime.date(2019, 6, 10)
        """
        if count < 1:
            raise InvalidInput("count", f"must be at least 1 working day, not {count}")
        day = self.on_or_after(start)
        for _ in range(count - 1):
            day = self.after(day)
        return day

    def count(self, start: date, end: date) -> int:
        """Working days from ``start`` to ``end``, both included (0 when ``end < start``)."""
        return sum(1 for _ in self.between(start, end))

    def between(self, start: date, end: date) -> Iterator[date]:
        """Every working day from ``start`` to ``end``, both included."""
        day = start
        while day <= end:
            if self.is_working(day):
                yield day
            day += timedelta(days=1)


@cache
def _national_holidays(year: int) -> dict[date, str]:
    # Imported here: the holidays package loads every country's module on first use, and
    # most commands never ask for a working day.
    import holidays  # noqa: PLC0415

    table = holidays.country_holidays("ID", categories=_CATEGORIES, years=year)
    return {day: str(name) for day, name in table.items() if day.year == year}
