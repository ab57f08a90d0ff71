"""Eligibility rules judged at enrolment: rank, retirement horizon, one course at a time."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from changeflow.dates import add_years
from changeflow.rules.verdict import OK, Verdict

if TYPE_CHECKING:
    from datetime import date

    from changeflow.rules.context import RuleContext

__all__ = ["ARTICLE", "AlreadyActive", "Rank", "RetirementHorizon"]

ARTICLE = "BKD Kabupaten Probolinggo, Diklat PIM III angkatan VII 2019 (source article)"
"""Citation for the defaults taken from the 2019 Probolinggo cohort."""


@dataclass(frozen=True, slots=True)
class Rank:
    """Code ``rank``: the participant holds an eligible echelon or post.

    The eligible set is the cohort's ``parameters.eligible_ranks`` (echelon III.a/III.b or
    an administrator post by default).
    """

    def __call__(self, context: RuleContext, /) -> Verdict:
        """Refuse a rank outside the cohort's eligible set."""
        eligible = context.cohort.parameters.eligible_ranks
        echelon = context.participant.echelon
        if echelon in eligible:
            return OK
        return Verdict.refuse(
            "rank",
            f"echelon {echelon} is not eligible; this course admits {', '.join(sorted(eligible))}",
            message_id=f"eselon {echelon} tidak memenuhi syarat peserta",
            source=ARTICLE,
            echelon=echelon,
            eligible=sorted(eligible),
        )


@dataclass(frozen=True, slots=True)
class RetirementHorizon:
    """Code ``retirement_horizon``: strictly more than N years from cohort start to pension.

    N is the cohort's ``min_years_to_retirement`` (4); the pension date is the first day of
    the month after the participant reaches the retirement age (the participant's own, else
    the cohort's, 58 by default). Judged against the cohort's start, never today's date.
    Someone whose pension began on or before the start is told they are already retired
    (fact ``retired``).
    """

    def __call__(self, context: RuleContext, /) -> Verdict:
        """Refuse a participant whose pension comes on or before start + N years."""
        params = context.cohort.parameters
        start = context.cohort.start
        retires = context.participant.retires_on(params.retirement_age)
        horizon = add_years(start, params.min_years_to_retirement)
        if retires > horizon:
            return OK
        if retires <= start:
            return _retired(retires, start, params.min_years_to_retirement)
        return Verdict.refuse(
            "retirement_horizon",
            f"retires on {retires.isoformat()}, not more than "
            f"{params.min_years_to_retirement} years after the cohort starts on "
            f"{start.isoformat()}; the change project would not have time to take root",
            message_id=f"batas usia pensiun ({retires.isoformat()}) tidak lebih dari "
            f"{params.min_years_to_retirement} tahun sejak diklat dimulai",
            source=ARTICLE,
            retirement_date=retires.isoformat(),
            cohort_start=start.isoformat(),
            min_years=params.min_years_to_retirement,
        )


def _retired(retires: date, start: date, min_years: int) -> Verdict:
    """The ``retirement_horizon`` refusal of someone whose pension began by the cohort start."""
    return Verdict.refuse(
        "retirement_horizon",
        f"already retired on {retires.isoformat()}, before the cohort starts on "
        f"{start.isoformat()}",
        message_id=f"sudah pensiun sejak {retires.isoformat()}",
        source=ARTICLE,
        retirement_date=retires.isoformat(),
        cohort_start=start.isoformat(),
        min_years=min_years,
        retired=True,
    )


@dataclass(frozen=True, slots=True)
class AlreadyActive:
    """Code ``already_active``: one course at a time, and a graduate does not enrol again.

    Judged at enrolment and when a reopening makes a participant active again.
    """

    def __call__(self, context: RuleContext, /) -> Verdict:
        """Refuse a person active in any cohort or who has completed the course.

        For a participant already in the cohort (a reopening), only other cohorts count.
        """
        standing = context.facts.standing(context.participant.nip)
        if context.enrolment is not None:
            standing = standing.elsewhere(context.cohort.code)
        if standing.active_in is None and standing.completed_in is None:
            return OK
        if standing.active_in is not None:
            what = f"already active in cohort {standing.active_in}"
            what_id = f"sedang mengikuti angkatan {standing.active_in}"
        else:
            what = f"already graduated from cohort {standing.completed_in}"
            what_id = f"sudah lulus dari angkatan {standing.completed_in}"
        return Verdict.refuse(
            "already_active",
            what,
            message_id=what_id,
            source="common practice",
            active_in=standing.active_in,
            completed_in=standing.completed_in,
        )
