"""Rules that keep the record honest: closed records stay closed, outcomes need grounds."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from changeflow.rules.verdict import OK, Verdict

if TYPE_CHECKING:
    from changeflow.models import Grade
    from changeflow.rules.context import RuleContext

__all__ = ["FailGrounds", "OutcomeUnchanged", "RecordOpen"]

_PRACTICE = "changeflow: a final record changes only through a correction with a reason"


@dataclass(frozen=True, slots=True)
class RecordOpen:
    """Code ``record_closed``: a participant in a final state has a closed record.

    Graduated, not passed, withdrawn and dropped participants take no new project, score or
    group; what was recorded is changed only by a correction (``correct_assessment``,
    ``correct_participant``) or after ``reopen``.
    """

    def __call__(self, context: RuleContext, /) -> Verdict:
        """Refuse a data command on a participant in a final state."""
        lifecycle = context.lifecycle
        if lifecycle is None or context.source not in lifecycle.finals:
            return OK
        return Verdict.refuse(
            "record_closed",
            f"{context.participant.nip} is {context.source}: the record is closed "
            f"({context.event} needs the participant reopened first, or a correction)",
            message_id=f"rekam peserta {context.participant.nip} sudah ditutup ({context.source})",
            source=_PRACTICE,
            nip=context.participant.nip,
            state=context.source,
        )


def _grade(context: RuleContext) -> Grade | None:
    """The grade of the scores in ``context``; ``None`` while a component is missing."""
    scheme = context.cohort.parameters.grading
    scores = dict(context.scores or {})
    return None if scheme.missing(scores) else scheme.grade(scores)


@dataclass(frozen=True, slots=True)
class OutcomeUnchanged:
    """Code ``outcome_would_change``: a score correction may not turn a pass into a fail.

    A participant in a state with an assessment outcome (graduated: passed; not passed:
    failed) keeps it: a correction that would turn it over is refused until the outcome is
    reopened. Any other correction re-grades (the grade is recorded with the correction).
    """

    def __call__(self, context: RuleContext, /) -> Verdict:
        """Refuse corrected scores whose grade contradicts the participant's outcome."""
        lifecycle = context.lifecycle
        outcome = None if lifecycle is None else lifecycle.outcomes.get(context.source or "")
        if outcome is None:
            return OK
        grade = _grade(context)
        passes = grade is not None and grade.passed
        if passes == (outcome == "passed"):
            return OK
        band = None if grade is None else grade.band
        score = None if grade is None else grade.score
        return Verdict.refuse(
            "outcome_would_change",
            f"the corrected score ({score}, {band}) would make a {context.source} participant "
            f"{'pass' if passes else 'fail'}: reopen the outcome first",
            message_id=f"koreksi nilai ({score}) mengubah hasil kelulusan; buka kembali dulu",
            source=_PRACTICE,
            state=context.source,
            outcome=outcome,
            score=score,
            band=band,
        )


@dataclass(frozen=True, slots=True)
class FailGrounds:
    """Codes ``assessment_passes`` / ``reason_required``: failing someone needs grounds.

    A complete assessment that passes forbids ``fail``; a complete one that fails is the
    grounds (its grade is recorded); without a complete assessment, a reason must say why.
    """

    def __call__(self, context: RuleContext, /) -> Verdict:
        """Refuse a fail against a passing grade, or without a grade and without a reason."""
        grade = _grade(context)
        if grade is not None and grade.passed:
            return Verdict.refuse(
                "assessment_passes",
                f"the recorded assessment passes ({grade.score}, {grade.band})",
                message_id=f"nilai yang tercatat lulus ({grade.score}, {grade.band})",
                source=_PRACTICE,
                score=grade.score,
                band=grade.band,
            )
        if grade is not None:
            return Verdict.allow(score=grade.score, grade=grade.band, passed=False)
        if context.reason and context.reason.strip():
            return OK
        return Verdict.refuse(
            "reason_required",
            f"{context.event!r} without a complete assessment needs a reason",
            message_id="tanpa nilai lengkap, alasan wajib diisi",
            source=_PRACTICE,
        )
