"""Quota rules judged at enrolment: seats per office and seats per cohort."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from changeflow.rules.eligibility import ARTICLE
from changeflow.rules.verdict import OK, Verdict

if TYPE_CHECKING:
    from changeflow.rules.context import RuleContext

__all__ = ["CohortCapacity", "OfficeQuota"]


@dataclass(frozen=True, slots=True)
class OfficeQuota:
    """Code ``office_quota``: at most ``max_per_office`` seats per office, so it keeps working.

    Withdrawn and dropped participants free their seat.
    """

    def __call__(self, context: RuleContext, /) -> Verdict:
        """Refuse when the office already fills its quota in this cohort.

        Judged only when the participant would take a seat for the office: at enrolment,
        when a reopening takes a freed seat back, and on a transfer to another office.
        """
        if not context.takes_office_seat():
            return OK
        limit = context.cohort.parameters.max_per_office
        office = context.participant.office
        taken = context.facts.seated_from_office(context.cohort.code, office.code)
        if taken < limit:
            return OK
        return Verdict.refuse(
            "office_quota",
            f"{office.name} already has {taken} participant(s) in this cohort (at most {limit})",
            message_id=f"{office.name} sudah mengirim {taken} peserta (maksimal {limit})",
            source=ARTICLE,
            office=office.code,
            taken=taken,
            limit=limit,
        )


@dataclass(frozen=True, slots=True)
class CohortCapacity:
    """Code ``cohort_capacity``: a cohort seats at most ``capacity`` participants (30)."""

    def __call__(self, context: RuleContext, /) -> Verdict:
        """Refuse when every seat of the cohort is taken.

        Judged only when the participant would take a seat (enrolment, or a reopening that
        takes a freed seat back).
        """
        if not context.takes_seat():
            return OK
        capacity = context.cohort.capacity
        taken = context.facts.seated(context.cohort.code)
        if taken < capacity:
            return OK
        return Verdict.refuse(
            "cohort_capacity",
            f"cohort {context.cohort.code} is full ({taken} of {capacity} seats)",
            message_id=f"angkatan {context.cohort.code} sudah penuh ({taken}/{capacity})",
            source=ARTICLE,
            taken=taken,
            capacity=capacity,
        )
