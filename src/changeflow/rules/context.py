"""What a rule sees: the :class:`RuleContext` of one attempted command."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from changeflow.facts import Facts, Standing

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import date, datetime

    from changeflow.models import ChangeProject, Cohort, Participant
    from changeflow.records import Enrolment
    from changeflow.states.machine import Lifecycle

__all__ = ["Facts", "RuleContext", "Standing"]


@dataclass(frozen=True, slots=True)
class RuleContext:
    """Everything a rule may use to judge one attempted command.

    For a move, ``source`` and ``target`` are the states it leaves and reaches; for a data
    command (``register_project``, ``correct_assessment`` ...) both are the state the
    participant is in; for an enrolment ``source`` is ``None``. ``participant``,
    ``project`` and ``scores`` are as they would be *after* the command; ``enrolment`` is
    the participant's record *before* it (``None`` for an enrolment). ``lifecycle`` is the
    cohort's lifecycle, for rules that depend on what a state means (final, seat-freeing,
    its outcome); contexts built outside the engine may leave it ``None``. ``actor`` is
    the actor's id.
    """

    cohort: Cohort
    participant: Participant
    event: str
    source: str | None
    target: str
    facts: Facts
    now: datetime
    project: ChangeProject | None = None
    scores: Mapping[str, float] | None = None
    actor: str | None = None
    reason: str | None = None
    payload: Mapping[str, Any] | None = None
    effective_date: date | None = None
    lifecycle: Lifecycle | None = None
    enrolment: Enrolment | None = None
    roles: frozenset[str] = frozenset()
    """The staff roles the actor holds in the cohort (organiser, coach, examiner), as the
    engine's authorizer gives them; the mentor role is judged from the project."""

    def takes_seat(self) -> bool:
        """Whether the command makes the participant take a seat in the cohort.

        True for an enrolment and for a reopening that returns a withdrawn participant;
        false when the participant already holds a seat or ends up in a seat-freeing state.
        Quota rules judge only commands that take a seat.
        """
        if self.lifecycle is not None and self.target in self.lifecycle.seat_freeing:
            return False
        return self.enrolment is None or not self.enrolment.seated

    def takes_office_seat(self) -> bool:
        """Whether the participant would hold a seat counted for an office it holds none for.

        :meth:`takes_seat`, or a seated participant transferred to another office.
        """
        if self.lifecycle is not None and self.target in self.lifecycle.seat_freeing:
            return False
        current = self.enrolment
        return (
            current is None
            or not current.seated
            or current.participant.office.code != self.participant.office.code
        )
