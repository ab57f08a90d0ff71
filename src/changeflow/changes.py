"""What a data command would make of an enrolment, with the change an audit entry records.

Each function returns a :class:`Proposal`: the enrolment after the command (never edited in
place) and the facts changed, ``{"fact": {"before": ..., "after": ...}}``, in the JSON form
the audit chain keeps (:mod:`changeflow.audit`). The rules then judge the proposal; the
store applies it only when they agree.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any, NamedTuple

from changeflow.audit import office_facts, participant_facts, project_facts
from changeflow.errors import InvalidInput
from changeflow.models import Participant

if TYPE_CHECKING:
    from collections.abc import Mapping

    from changeflow.models import Assessment, ChangeProject, GradingScheme, Office
    from changeflow.records import Enrolment, Violation

__all__ = [
    "Proposal",
    "change_of",
    "corrected_person",
    "new_project",
    "new_score",
    "placed_in_group",
    "transferred",
]


class Proposal(NamedTuple):
    """A data command's outcome for one enrolment, before the rules judge it."""

    after: Enrolment
    change: Mapping[str, Any]
    data: Mapping[str, Any] | None = None
    """Facts to record beside the change (the grade that a score completes)."""
    early: tuple[Violation, ...] = ()
    """Violations found before the rules run (an office the registry lacks)."""
    office: Office | None = None
    """An office to create when the command is accepted."""


def change_of(before: Any, after: Any) -> dict[str, Any]:
    """One changed fact as an entry records it."""
    return {"before": before, "after": after}


def new_project(member: Enrolment, project: ChangeProject) -> Proposal:
    """``register_project``: the project (and mentor) registered or replaced."""
    change = {"project": change_of(project_facts(member.project), project_facts(project))}
    return Proposal(replace(member, project=project), change)


def new_score(member: Enrolment, scored: Assessment, scheme: GradingScheme) -> Proposal:
    """``record_assessment`` / ``correct_assessment``: one component's score set.

    Once every weighted component has a score, the grade is recorded with the change.
    """
    before = dict(member.scores) if member.scores is not None else None
    scores = {**(before or {}), scored.component: scored.score}
    data = None
    if not scheme.missing(scores):
        grade = scheme.grade(scores)
        data = {"score": grade.score, "grade": grade.band, "passed": grade.passed}
    return Proposal(replace(member, scores=scores), {"scores": change_of(before, scores)}, data)


def corrected_person(member: Enrolment, updates: Mapping[str, Any]) -> Proposal:
    """``correct_participant``: the person's facts corrected, validated like a nomination.

    :class:`InvalidInput` when nothing would change; pydantic's ``ValidationError`` names
    a field whose corrected value is invalid (a birth date the NIP contradicts, say).
    """
    person = member.participant
    corrected = Participant.model_validate(
        {**person.model_dump(), **updates, "office": person.office}, strict=False
    )
    if corrected == person:
        raise InvalidInput("correction", f"{person.nip} already has these facts")
    change = {"participant": change_of(participant_facts(person), participant_facts(corrected))}
    return Proposal(replace(member, participant=corrected), change)


def transferred(
    member: Enrolment, moved: Participant, early: tuple[Violation, ...] = ()
) -> Proposal:
    """``transfer_office``: the participant ``moved`` to another office."""
    before = member.participant.office
    change = {"office": change_of(office_facts(before), office_facts(moved.office))}
    return Proposal(replace(member, participant=moved), change, early=early, office=moved.office)


def placed_in_group(member: Enrolment, number: int, themes: tuple[str, ...]) -> Proposal:
    """``form_groups``: the participant placed in group ``number``."""
    return Proposal(
        replace(member, group=number),
        {"group": change_of(member.group, number)},
        {"group": number, "themes": list(themes)},
    )
