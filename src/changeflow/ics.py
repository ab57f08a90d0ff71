"""A cohort's schedule as an iCalendar file (RFC 5545) that Outlook and Google Calendar import.

Needs the optional ``icalendar`` package (``pip install 'changeflow[calendar]'``); it is
imported only when a file is written. Every event lasts whole days. Each event's UID is
derived from the cohort's code and the stage (or the participant and the deadline), never
from the time of the export, so importing a newer file updates the events instead of
adding copies.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from changeflow.errors import InvalidInput
from changeflow.schedule import ScheduleStage

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import date, datetime

    from changeflow.models import Cohort
    from changeflow.schedule import Schedule

__all__ = ["ICALENDAR_HINT", "DueDate", "schedule_calendar", "stage_uid"]

ICALENDAR_HINT = "pip install 'changeflow[calendar]' (or: pip install 'icalendar>=5')"
"""How to install what :func:`schedule_calendar` needs."""

_DOMAIN = "changeflow"
_TITLES = {
    ScheduleStage.ON_CLASS: "On-class",
    ScheduleStage.PROPOSAL: "Proposal presentation (seminar rancangan)",
    ScheduleStage.LABORATORY: "Leadership laboratory (laboratorium kepemimpinan)",
    ScheduleStage.SEMINAR: "Results seminar (seminar hasil)",
    ScheduleStage.CLOSING: "Closing (penutupan)",
}


@dataclass(frozen=True, slots=True)
class DueDate:
    """One participant's deadline, as a one-day event: who acts, on what, by when."""

    nip: str
    name: str
    deadline: str
    """The deadline's name, e.g. ``proposal``."""
    event: str
    """The event that is due, e.g. ``present_proposal``."""
    due: date
    actor: str
    """Who should act: the participant, the mentor, the organiser, the examiner."""


def stage_uid(cohort: str, stage: str) -> str:
    """The stable UID of a stage's (or the visit's) event.

    >>> stage_uid("PKA-III-VII-2019", "on_class")
    'PKA-III-VII-2019-on_class@changeflow'
    """
    return f"{cohort}-{stage}@{_DOMAIN}"


def schedule_calendar(
    cohort: Cohort, schedule: Schedule, stamp: datetime, due: Iterable[DueDate] = ()
) -> bytes:
    """The iCalendar file of ``schedule``: its windows, the visit and each date in ``due``.

    ``stamp`` (the engine clock's time) is every event's DTSTAMP. :class:`InvalidInput`
    on ``ics`` when the ``icalendar`` package is not installed.
    """
    try:
        import icalendar  # noqa: PLC0415 - an optional dependency, loaded only to export
    except ImportError:
        raise InvalidInput(
            "ics", f"writing iCalendar files needs the icalendar package: {ICALENDAR_HINT}"
        ) from None
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//changeflow//course calendar//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", f"{cohort.code}: {cohort.name}")
    for window in schedule.windows:
        title = _TITLES.get(window.stage, str(window.stage))
        calendar.add_component(
            _event(
                icalendar,
                stage_uid(cohort.code, window.stage),
                stamp,
                (window.start, window.end),
                f"{cohort.code}: {title}",
            )
        )
    if schedule.visit is not None:
        visit = schedule.visit
        where = visit.destination
        summary = f"{cohort.code}: Benchmarking visit" + (f" to {where}" if where else "")
        event = _event(
            icalendar, stage_uid(cohort.code, "visit"), stamp, (visit.start, visit.end), summary
        )
        if where:
            event.add("location", where)
        calendar.add_component(event)
    for item in due:
        calendar.add_component(
            _event(
                icalendar,
                f"{cohort.code}-{item.nip}-{item.deadline}@{_DOMAIN}",
                stamp,
                (item.due, item.due),
                f"{cohort.code}: {item.event} due for {item.name} ({item.nip}); {item.actor} acts",
            )
        )
    result: bytes = calendar.to_ical()
    return result


def _event(icalendar: Any, uid: str, stamp: datetime, days: tuple[date, date], summary: str) -> Any:
    event = icalendar.Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp)
    event.add("dtstart", days[0])
    # An all-day event's DTEND is exclusive: the day after the last day.
    event.add("dtend", days[1] + timedelta(days=1))
    event.add("summary", summary)
    event.add("transp", "TRANSPARENT")
    return event
