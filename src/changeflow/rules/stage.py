"""Stage guards: what a participant must have before moving on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from changeflow.rules.verdict import OK, Verdict

if TYPE_CHECKING:
    from changeflow.rules.context import RuleContext

__all__ = ["ChangeProjectRequired", "MentorRequired", "PassingAssessment", "ReasonRequired"]


@dataclass(frozen=True, slots=True)
class ChangeProjectRequired:
    """Code ``change_project_missing``: a proposal needs a project with a title and a mentor."""

    def __call__(self, context: RuleContext, /) -> Verdict:
        """Refuse when no change project (proyek perubahan) is registered, or it has no mentor."""
        project = context.project
        if project is None:
            return Verdict.refuse(
                "change_project_missing",
                "no change project is registered for this participant",
                message_id="proyek perubahan belum didaftarkan",
            )
        if project.mentor is None:
            return Verdict.refuse(
                "mentor_missing",
                f"change project {project.title!r} has no mentor",
                message_id="proyek perubahan belum memiliki mentor",
                title=project.title,
            )
        return OK


@dataclass(frozen=True, slots=True)
class MentorRequired:
    """Code ``mentor_missing``: the mentor (pimpinan langsung) approves, so one must exist.

    Firing the approval event *is* the mentor's approval; its actor is recorded.
    """

    def __call__(self, context: RuleContext, /) -> Verdict:
        """Refuse when the change project has no mentor."""
        project = context.project
        if project is not None and project.mentor is not None:
            return Verdict.allow(mentor=project.mentor.name)
        return Verdict.refuse(
            "mentor_missing",
            "the change project has no mentor to approve it",
            message_id="proyek perubahan belum memiliki mentor",
        )


@dataclass(frozen=True, slots=True)
class PassingAssessment:
    """Codes ``assessment_missing`` / ``assessment_not_passing``: graduation needs a pass.

    The grade follows the cohort's grading scheme; an accepted graduation records the
    score and grade band.
    """

    def __call__(self, context: RuleContext, /) -> Verdict:
        """Refuse without complete scores or with a failing grade; record the grade otherwise."""
        scheme = context.cohort.parameters.grading
        scores = dict(context.scores or {})
        missing = scheme.missing(scores)
        if missing:
            return Verdict.refuse(
                "assessment_missing",
                f"no score recorded for {', '.join(missing)}",
                message_id="nilai belum lengkap",
                missing=list(missing),
            )
        grade = scheme.grade(scores)
        if not grade.passed:
            return Verdict.refuse(
                "assessment_not_passing",
                f"score {grade.score} ({grade.band}) does not pass",
                message_id=f"nilai {grade.score} ({grade.band}) tidak lulus",
                score=grade.score,
                band=grade.band,
            )
        return Verdict.allow(score=grade.score, grade=grade.band)


@dataclass(frozen=True, slots=True)
class ReasonRequired:
    """Code ``reason_required``: leaving the course (withdraw, drop) must say why."""

    def __call__(self, context: RuleContext, /) -> Verdict:
        """Refuse an empty reason."""
        if context.reason and context.reason.strip():
            return OK
        return Verdict.refuse(
            "reason_required",
            f"{context.event!r} needs a reason",
            message_id="alasan wajib diisi",
        )
