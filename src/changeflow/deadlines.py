"""Deadlines (tenggat) from a cohort's schedule, and what passing them does.

Each participant in a stage of the default lifecycle owes one event by a day the schedule
fixes: the class starts by the first day of on_class, the proposal is presented and approved
by the end of the proposal window, the results by the seminar, the assessment by the closing.
:data:`DEADLINES` is that table, as data. :func:`due_items` says what each participant owes
next and how late it is; :func:`plan_tick` says which of the rule pack's timeouts apply.

A deadline is *overdue* from the day after its due date (a Saturday included); *working days
late* counts the working days after the due date up to the day asked about, with the
schedule's own calendar (its closures included). A timeout with ``after_working_days = N``
applies once a deadline is overdue and at least ``N`` working days late, so ``N = 0`` means
"the day after the due date". Pure functions of their arguments: no clock, no store.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from changeflow.schedule import ScheduleStage
from changeflow.states.names import Event, Stage

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from changeflow.models import CalendarParameters, Timeout
    from changeflow.records import Enrolment
    from changeflow.schedule import Schedule
    from changeflow.workdays import WorkingDays

__all__ = [
    "DEADLINES",
    "DEADLINE_NAMES",
    "Actor",
    "Deadline",
    "DueItem",
    "Edge",
    "PlannedTimeout",
    "deadline_for",
    "deadline_named",
    "due_items",
    "plan_tick",
    "tick_key",
]


class Actor(StrEnum):
    """Who should act for a deadline to be met."""

    ORGANISER = "organiser"
    """The course organiser (penyelenggara)."""
    PARTICIPANT = "participant"
    """The participant (peserta)."""
    MENTOR = "mentor"
    """The participant's mentor, usually their superior (atasan langsung)."""
    EXAMINER = "examiner"
    """The examiners (penguji) who assess the results."""


class Edge(StrEnum):
    """Which day of a schedule window a deadline falls due on."""

    START = "start"
    END = "end"


@dataclass(frozen=True, slots=True)
class Deadline:
    """One row of the deadline table: in ``state``, ``event`` is due by a window's edge."""

    name: str
    """Stable name, used by rule-pack timeouts and idempotency keys."""
    state: str
    """The state the participant is in while the deadline applies."""
    event: str
    """The event that meets the deadline."""
    window: ScheduleStage
    """The schedule window that fixes the due date."""
    edge: Edge
    """Whether the window's first or last day is the due date."""
    actor: Actor
    """Who should act."""

    def due(self, schedule: Schedule) -> date | None:
        """The due date in ``schedule`` (``None`` if it lacks the window)."""
        window = schedule.window(self.window)
        if window is None:
            return None
        return window.start if self.edge is Edge.START else window.end


DEADLINES: tuple[Deadline, ...] = (
    Deadline(
        "start_class", Stage.ENROLLED, Event.START_CLASS, ScheduleStage.ON_CLASS, Edge.START,
        Actor.ORGANISER,
    ),
    Deadline(
        "proposal", Stage.ON_CLASS, Event.PRESENT_PROPOSAL, ScheduleStage.PROPOSAL, Edge.END,
        Actor.PARTICIPANT,
    ),
    Deadline(
        "approval", Stage.PROPOSAL, Event.APPROVE_PROPOSAL, ScheduleStage.PROPOSAL, Edge.END,
        Actor.MENTOR,
    ),
    Deadline(
        "results", Stage.LABORATORY, Event.PRESENT_RESULTS, ScheduleStage.SEMINAR, Edge.END,
        Actor.PARTICIPANT,
    ),
    Deadline(
        "assessment", Stage.SEMINAR, Event.GRADUATE, ScheduleStage.CLOSING, Edge.END,
        Actor.EXAMINER,
    ),
)  # fmt: skip
"""The deadlines of the default lifecycle, one per active state, in course order."""

DEADLINE_NAMES: frozenset[str] = frozenset(d.name for d in DEADLINES)
"""The names a rule pack's :class:`~changeflow.models.Timeout` may refer to."""

_BY_STATE: Mapping[str, Deadline] = {d.state: d for d in DEADLINES}
_BY_NAME: Mapping[str, Deadline] = {d.name: d for d in DEADLINES}


def deadline_for(state: str) -> Deadline | None:
    """The deadline a participant in ``state`` has (``None``: a final or custom state)."""
    return _BY_STATE.get(state)


def deadline_named(name: str) -> Deadline | None:
    """The deadline called ``name``, if there is one."""
    return _BY_NAME.get(name)


def tick_key(cohort: str, nip: str, deadline: str) -> str:
    """The idempotency key of a timeout's event: one per cohort, participant and deadline.

    >>> tick_key("PKA-1", "197003152000031004", "results")
    'tick:PKA-1:197003152000031004:results'
    """
    return f"tick:{cohort}:{nip}:{deadline}"


@dataclass(frozen=True, slots=True)
class DueItem:
    """What one participant owes next, when, and how late it is on the day asked about."""

    nip: str
    deadline: Deadline
    due: date
    overdue: bool
    """True from the day after the due date on."""
    working_days_late: int
    """Working days after the due date up to the day asked about (0 when not overdue)."""


def due_items(
    schedule: Schedule, days: WorkingDays, members: Iterable[Enrolment], as_of: date
) -> list[DueItem]:
    """The next deadline of every active member with one, in the members' order.

    Members in a final state, in a state without a deadline, or whose deadline's window the
    schedule lacks are left out.
    """
    # A cohort may have 100,000 members but the table has five rows: each row's due date
    # and lateness are computed once, and the members share them.
    by_state = _due_by_state(schedule, days, as_of)
    found = []
    for member in members:
        row = by_state.get(member.state) if member.active else None
        if row is not None:
            deadline, due, late = row
            found.append(DueItem(member.nip, deadline, due, due < as_of, late))
    return found


def _due_by_state(
    schedule: Schedule, days: WorkingDays, as_of: date
) -> dict[str, tuple[Deadline, date, int]]:
    rows = {}
    for deadline in DEADLINES:
        due = deadline.due(schedule)
        if due is not None:
            rows[deadline.state] = (deadline, due, days.count(due + timedelta(days=1), as_of))
    return rows


@dataclass(frozen=True, slots=True)
class PlannedTimeout:
    """A timeout that applies: the participant's overdue deadline and what the pack says."""

    cohort: str
    item: DueItem
    timeout: Timeout

    @property
    def nip(self) -> str:
        """The participant's NIP."""
        return self.item.nip

    @property
    def deadline(self) -> str:
        """The overdue deadline's name."""
        return self.item.deadline.name

    @property
    def event(self) -> str | None:
        """The event to fire; ``None`` when the timeout only flags."""
        return self.timeout.event

    @property
    def key(self) -> str:
        """The idempotency key the event is fired with (see :func:`tick_key`)."""
        return tick_key(self.cohort, self.nip, self.deadline)


def plan_tick(
    cohort: str,
    schedule: Schedule,
    days: WorkingDays,
    parameters: CalendarParameters,
    members: Iterable[Enrolment],
    as_of: date,
) -> list[PlannedTimeout]:
    """The timeouts of ``parameters`` that apply on ``as_of``, one per overdue participant.

    When several timeouts of one deadline apply (flag at once, drop after ten working days),
    the one with the most working days wins, and of equals the one that fires an event: the
    idempotency key allows one event per participant and deadline. Timeouts naming an
    unknown deadline never apply.
    """
    by_deadline = _timeouts_by_deadline(parameters.timeouts)
    if not by_deadline:
        return []
    planned = []
    for item in due_items(schedule, days, members, as_of):
        applicable = [
            t
            for t in by_deadline.get(item.deadline.name, ())
            if item.overdue and t.after_working_days <= item.working_days_late
        ]
        if applicable:
            chosen = max(applicable, key=lambda t: (t.after_working_days, t.event is not None))
            planned.append(PlannedTimeout(cohort, item, chosen))
    return planned


def _timeouts_by_deadline(timeouts: Iterable[Timeout]) -> dict[str, list[Timeout]]:
    grouped: dict[str, list[Timeout]] = {}
    for timeout in timeouts:
        grouped.setdefault(timeout.deadline, []).append(timeout)
    return grouped
