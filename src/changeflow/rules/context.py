"""What a rule sees: the :class:`RuleContext` of one attempted move."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import date, datetime

    from changeflow.models import ChangeProject, Cohort, Participant

__all__ = ["Facts", "RuleContext", "Standing"]


@dataclass(frozen=True, slots=True)
class Standing:
    """A person's course record across every cohort the store knows."""

    active_in: str | None = None
    """The cohort the person is currently active in (a non-final state), if any."""
    completed_in: str | None = None
    """A cohort the person graduated from, if any."""


class Facts(Protocol):
    """Counts the store supplies to rules, read inside the same transaction as the write."""

    def seated(self, cohort: str) -> int:
        """Participants holding a seat in the cohort (withdrawn and dropped do not)."""
        ...

    def seated_from_office(self, cohort: str, office: str) -> int:
        """Participants from one office holding a seat in the cohort."""
        ...

    def standing(self, nip: str) -> Standing:
        """The person's course record across cohorts."""
        ...


@dataclass(frozen=True, slots=True)
class RuleContext:
    """Everything a rule may use to judge one attempted move.

    ``source`` is ``None`` for an enrolment (the participant does not exist yet).
    ``scores`` holds the participant's assessment scores by component.
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
