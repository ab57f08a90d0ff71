"""A cohort's schedule (jadwal): the stage windows on Indonesian working days.

The article's course runs on a calendar: about three weeks on-class with a three-day
benchmarking visit, the proposal presented to the mentors, at least two months of leadership
laboratory at the home office, then the seminar; the 2019 cohort ran 4 April - 19 July.
:func:`derive_schedule` lays the windows out from the cohort's start and the rule pack's
:class:`CalendarParameters`; an organiser adjusts any window (``set_schedule``), and
:mod:`changeflow.rules.schedule` judges the result. Pure values: no clock, no store.
"""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, model_validator

from changeflow.errors import InvalidInput
from changeflow.models import CalendarParameters, Cohort, Text
from changeflow.workdays import Closure, WorkingDays

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "Schedule",
    "ScheduleStage",
    "StageWindow",
    "Visit",
    "default_schedule",
    "derive_schedule",
    "schedule_of",
]


class ScheduleStage(StrEnum):
    """The windows of a schedule, in order."""

    ON_CLASS = "on_class"
    """In class: 15 working days from the cohort's start by default."""
    PROPOSAL = "proposal"
    """The proposal presentation (seminar rancangan): the first working day after on_class."""
    LABORATORY = "laboratory"
    """The leadership laboratory: at least the pack's minimum of calendar days."""
    SEMINAR = "seminar"
    """The results seminar (seminar hasil): the first working day after the laboratory."""
    CLOSING = "closing"
    """The closing (penutupan): the cohort's end date."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, strict=True, extra="forbid", defer_build=True)


class StageWindow(_Frozen):
    """One window of the schedule, both days included."""

    stage: ScheduleStage
    start: date
    end: date

    @model_validator(mode="after")
    def _ordered(self) -> StageWindow:
        if self.end < self.start:
            raise ValueError(f"{self.stage}: ends on {self.end} before it starts on {self.start}")
        return self

    def days(self) -> int:
        """Calendar days in the window."""
        return (self.end - self.start).days + 1


class Visit(_Frozen):
    """The benchmarking visit (studi lapangan / benchmarking) inside on_class."""

    start: date
    end: date
    destination: Text | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Visit:
        if self.end < self.start:
            raise ValueError(f"visit: ends on {self.end} before it starts on {self.start}")
        return self


class Schedule(_Frozen):
    """Every window of a cohort's course, and the visit."""

    windows: tuple[StageWindow, ...]
    visit: Visit | None = None
    closures: tuple[Closure, ...] = ()
    """Days without work the national calendar does not know (regional holidays, closures)."""

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> Schedule:
        """The schedule a stored (JSON) document describes."""
        return cls.model_validate(document, strict=False)

    def closing(self, closure: Closure, cohort: Cohort) -> Schedule:
        """This schedule with ``closure``, for ``cohort``; itself when the day is closed so.

        Windows and the visit still at their defaults are derived again around the closed
        day; what the organiser set is theirs to move. :class:`InvalidInput` (``day``) when
        the day already holds another closure.
        """
        for known in self.closures:
            if known.day == closure.day:
                if known.name == closure.name:
                    return self
                raise InvalidInput("day", f"{closure.day} is already closed ({known.name!r})")
        closures = tuple(sorted((*self.closures, closure), key=lambda c: c.day))
        calendar = cohort.parameters.calendar
        before = derive_schedule(cohort.start, cohort.end, calendar, self.working_days())
        after = derive_schedule(cohort.start, cohort.end, calendar, WorkingDays(closures))
        windows = after.windows if self.windows == before.windows else self.windows
        visit = after.visit if self.visit == before.visit else self.visit
        return self.model_copy(update={"windows": windows, "visit": visit, "closures": closures})

    def class_day_problem(self, day: date) -> str | None:
        """Why ``day`` is not a working day of on_class (the visit included), else ``None``."""
        window = self.window(ScheduleStage.ON_CLASS)
        if window is None or not window.start <= day <= window.end:
            where = "no on_class window" if window is None else f"{window.start} to {window.end}"
            return f"{day} is not in on_class ({where})"
        days = self.working_days()
        if not days.is_working(day):
            return f"{day} is not a working day ({days.holiday(day) or 'weekend'})"
        return None

    def working_days(self) -> WorkingDays:
        """The working days of this schedule: Indonesia's, minus its closures."""
        return WorkingDays(self.closures)

    def with_closure(self, closure: Closure) -> Schedule:
        """This schedule with ``closure`` added (replacing one on the same day)."""
        kept = [c for c in self.closures if c.day != closure.day]
        return self.model_copy(
            update={"closures": tuple(sorted([*kept, closure], key=lambda c: c.day))}
        )

    def window(self, stage: ScheduleStage | str) -> StageWindow | None:
        """The window of ``stage``, if the schedule has one."""
        return next((w for w in self.windows if w.stage == stage), None)

    def with_window(self, window: StageWindow) -> Schedule:
        """This schedule with ``window`` replacing the window of its stage."""
        kept = [w for w in self.windows if w.stage != window.stage]
        ordered = sorted([*kept, window], key=lambda w: list(ScheduleStage).index(w.stage))
        return self.model_copy(update={"windows": tuple(ordered)})

    def to_document(self) -> dict[str, Any]:
        """The JSON-compatible document stored and audited."""
        return self.model_dump(mode="json")


def derive_schedule(
    start: date, end: date, parameters: CalendarParameters, days: WorkingDays
) -> Schedule:
    """The default schedule of a cohort running ``start``-``end``.

    A window that would end on a non-working day moves to the next working day; the
    closing is the cohort's end date as given.

    >>> from changeflow.workdays import WorkingDays
    >>> plan = derive_schedule(date(2019, 4, 4), date(2019, 7, 19), CalendarParameters(),
    ...                        WorkingDays())
    >>> [(w.stage.value, str(w.start), str(w.end)) for w in plan.windows][:3]
    [('on_class', '2019-04-04', '2019-04-26'), ('proposal', '2019-04-29', '2019-04-29'), \
('laboratory', '2019-04-30', '2019-06-28')]
    """
    class_start = days.on_or_after(start)
    class_end = days.end_after(class_start, parameters.on_class_working_days)
    proposal = days.after(class_end)
    lab_start = proposal + timedelta(days=1)
    lab_end = days.on_or_after(lab_start + timedelta(days=parameters.laboratory_min_days - 1))
    seminar = days.after(lab_end)
    windows = (
        StageWindow(stage=ScheduleStage.ON_CLASS, start=class_start, end=class_end),
        StageWindow(stage=ScheduleStage.PROPOSAL, start=proposal, end=proposal),
        StageWindow(stage=ScheduleStage.LABORATORY, start=lab_start, end=lab_end),
        StageWindow(stage=ScheduleStage.SEMINAR, start=seminar, end=seminar),
        StageWindow(stage=ScheduleStage.CLOSING, start=end, end=end),
    )
    return Schedule(windows=windows, visit=_default_visit(class_start, class_end, parameters, days))


def default_schedule(cohort: Cohort) -> Schedule:
    """The schedule :func:`derive_schedule` lays out for ``cohort`` from its pack's calendar."""
    return derive_schedule(cohort.start, cohort.end, cohort.parameters.calendar, WorkingDays())


def schedule_of(document: Mapping[str, Any] | None, cohort: Cohort) -> Schedule:
    """The schedule a stored ``document`` describes, else the cohort's default."""
    return default_schedule(cohort) if document is None else Schedule.from_document(document)


def _default_visit(
    class_start: date, class_end: date, parameters: CalendarParameters, days: WorkingDays
) -> Visit | None:
    # The visit ends the day before the last day in class, which the participants spend
    # preparing their proposals; the organiser sets the real dates and destination.
    if parameters.visit_working_days == 0:
        return None
    in_class = list(days.between(class_start, class_end))
    count = parameters.visit_working_days
    chosen = in_class if len(in_class) <= count else in_class[-count - 1 : -1]
    return Visit(start=chosen[0], end=chosen[-1])
