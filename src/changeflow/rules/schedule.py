"""Judging a schedule: every problem at once, as violations with stable codes.

A schedule (:class:`~changeflow.schedule.Schedule`) is refused when a window runs outside
the cohort, two windows overlap or run out of order, the laboratory is shorter than the rule
pack's minimum, or the benchmarking visit leaves on_class.
"""

from __future__ import annotations

from itertools import combinations
from types import MappingProxyType
from typing import TYPE_CHECKING

from changeflow.records import Violation
from changeflow.schedule import ScheduleStage

if TYPE_CHECKING:
    from datetime import date

    from changeflow.models import CalendarParameters
    from changeflow.schedule import Schedule, StageWindow

__all__ = ["schedule_violations"]

_SOURCE = "the rule pack's calendar (kalender pelatihan)"


def schedule_violations(
    schedule: Schedule, start: date, end: date, parameters: CalendarParameters
) -> list[Violation]:
    """Every reason ``schedule`` cannot be a cohort's running ``start``-``end`` (empty: fine)."""
    found = [_outside(w, start, end) for w in schedule.windows if w.start < start or w.end > end]
    found += _missing(schedule)
    found += [_overlap(a, b) for a, b in combinations(schedule.windows, 2) if b.start <= a.end]
    laboratory = schedule.window(ScheduleStage.LABORATORY)
    if laboratory is not None and laboratory.days() < parameters.laboratory_min_days:
        found.append(_short_laboratory(laboratory, parameters.laboratory_min_days))
    found += _visit(schedule)
    return found


def _outside(window: StageWindow, start: date, end: date) -> Violation:
    return Violation(
        "schedule_outside_cohort",
        f"{window.stage} ({window.start} to {window.end}) runs outside the cohort "
        f"({start} to {end})",
        MappingProxyType(
            {"stage": str(window.stage), "start": str(window.start), "end": str(window.end)}
        ),
        f"jadwal {window.stage} di luar masa angkatan ({start} s.d. {end})",
        _SOURCE,
    )


def _missing(schedule: Schedule) -> list[Violation]:
    present = {w.stage for w in schedule.windows}
    return [
        Violation(
            "schedule_incomplete",
            f"the schedule has no {stage} window",
            MappingProxyType({"stage": str(stage)}),
            f"jadwal tidak memuat tahap {stage}",
            _SOURCE,
        )
        for stage in ScheduleStage
        if stage not in present
    ]


def _overlap(first: StageWindow, then: StageWindow) -> Violation:
    return Violation(
        "schedule_overlap",
        f"{then.stage} starts on {then.start}, before {first.stage} ends on {first.end}",
        MappingProxyType(
            {"stage": str(then.stage), "after": str(first.stage), "start": str(then.start)}
        ),
        f"tahap {then.stage} mulai sebelum tahap {first.stage} selesai",
        _SOURCE,
    )


def _short_laboratory(laboratory: StageWindow, minimum: int) -> Violation:
    return Violation(
        "laboratory_too_short",
        f"the laboratory lasts {laboratory.days()} calendar day(s), less than the pack's "
        f"minimum of {minimum}",
        MappingProxyType({"days": laboratory.days(), "minimum": minimum}),
        f"laboratorium kepemimpinan {laboratory.days()} hari, kurang dari minimum {minimum} hari",
        _SOURCE,
    )


def _visit(schedule: Schedule) -> list[Violation]:
    on_class, visit = schedule.window(ScheduleStage.ON_CLASS), schedule.visit
    if visit is None or on_class is None:
        return []
    if on_class.start <= visit.start and visit.end <= on_class.end:
        return []
    return [
        Violation(
            "visit_outside_on_class",
            f"the benchmarking visit ({visit.start} to {visit.end}) is not inside on_class "
            f"({on_class.start} to {on_class.end})",
            MappingProxyType({"start": str(visit.start), "end": str(visit.end)}),
            "studi lapangan harus berada dalam masa on-class",
            _SOURCE,
        )
    ]
