"""Stage guards: a project before the proposal, a mentor to approve, a pass to graduate."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest

from changeflow import (
    ChangeProject,
    GradeBand,
    GradingScheme,
    Mentor,
    TransitionRejected,
)
from changeflow.rules import (
    OK,
    ChangeProjectRequired,
    MentorRequired,
    PassingAssessment,
    ReasonRequired,
    RuleContext,
)
from changeflow.testing import CountingFacts
from factories import make_cohort, make_participant

if TYPE_CHECKING:
    from collections.abc import Mapping

    from changeflow import Cohort, Engine
    from changeflow.rules import Verdict, Violation

NOW = datetime(2019, 5, 1, 8, 0, tzinfo=UTC)
MENTOR = Mentor(name="dr. Anang Budi, Kepala Dinas Kesehatan")
PROJECT = ChangeProject(title="Puskesmas ramah anak", theme="kesehatan", mentor=MENTOR)
UNMENTORED = ChangeProject(title="Puskesmas ramah anak", theme="kesehatan")


def move(
    event: str,
    source: str,
    target: str,
    *,
    cohort: Cohort | None = None,
    project: ChangeProject | None = None,
    scores: Mapping[str, float] | None = None,
    reason: str | None = None,
) -> RuleContext:
    """The context of one participant's attempted move."""
    return RuleContext(
        cohort or make_cohort(),
        make_participant(),
        event,
        source,
        target,
        CountingFacts(),
        NOW,
        project=project,
        scores=scores,
        reason=reason,
    )


def only_violation(verdict: Verdict) -> Violation:
    """The single violation of a refusing verdict."""
    assert not verdict.ok
    (violation,) = verdict.violations
    return violation


# -- change project --------------------------------------------------------------------------


def proposing(project: ChangeProject | None) -> Verdict:
    """Judge presenting the proposal with ``project`` registered."""
    return ChangeProjectRequired()(
        move("present_proposal", "on_class", "proposal", project=project)
    )


def test_proposal_without_a_project_is_refused() -> None:
    """No registered change project: ``change_project_missing``."""
    violation = only_violation(proposing(None))
    assert violation.code == "change_project_missing"
    assert violation.message == "no change project is registered for this participant"
    assert violation.message_id == "proyek perubahan belum didaftarkan"


def test_proposal_without_a_mentor_is_refused() -> None:
    """A project with no mentor: ``mentor_missing``, naming the project's title."""
    violation = only_violation(proposing(UNMENTORED))
    assert violation.code == "mentor_missing"
    assert dict(violation.facts) == {"title": "Puskesmas ramah anak"}
    assert violation.message_id == "proyek perubahan belum memiliki mentor"


def test_proposal_with_a_mentored_project_is_accepted() -> None:
    """A registered project with a mentor may be presented."""
    assert proposing(PROJECT) is OK


# -- mentor approval -------------------------------------------------------------------------


@pytest.mark.parametrize("project", [None, UNMENTORED], ids=["no-project", "no-mentor"])
def test_approval_without_a_mentor_is_refused(project: ChangeProject | None) -> None:
    """Nobody can approve without a mentor: ``mentor_missing``."""
    violation = only_violation(
        MentorRequired()(move("approve_proposal", "proposal", "laboratory", project=project))
    )
    assert violation.code == "mentor_missing"
    assert violation.message_id == "proyek perubahan belum memiliki mentor"


def test_approval_records_the_mentor() -> None:
    """An accepted approval carries the approving mentor's name as a fact."""
    verdict = MentorRequired()(move("approve_proposal", "proposal", "laboratory", project=PROJECT))
    assert verdict.ok
    assert dict(verdict.facts) == {"mentor": MENTOR.name}


# -- passing assessment ----------------------------------------------------------------------


def graduating(scores: Mapping[str, float] | None, **parameters: Any) -> Verdict:
    """Judge graduation with ``scores`` under a cohort with ``parameters``."""
    cohort = make_cohort(**parameters)
    return PassingAssessment()(
        move("graduate", "seminar", "graduated", cohort=cohort, scores=scores)
    )


@pytest.mark.parametrize("scores", [None, {}], ids=["none", "empty"])
def test_graduation_without_scores_is_refused(scores: Mapping[str, float] | None) -> None:
    """No score yet: ``assessment_missing`` naming the missing component."""
    violation = only_violation(graduating(scores))
    assert violation.code == "assessment_missing"
    assert dict(violation.facts) == {"missing": ["overall"]}
    assert violation.message == "no score recorded for overall"
    assert violation.message_id == "nilai belum lengkap"


def test_graduation_with_some_components_missing_is_refused() -> None:
    """Under a weighted scheme every weighted component needs a score."""
    scheme = GradingScheme(weights={"proposal": 1, "seminar": 2, "attitude": 1})
    violation = only_violation(graduating({"seminar": 90}, grading=scheme))
    assert violation.facts["missing"] == ["proposal", "attitude"]


@pytest.mark.parametrize("score", [0, 69.99, 70])
def test_graduation_with_a_failing_score_is_refused(score: float) -> None:
    """A score of 70 or less does not pass: ``assessment_not_passing`` with score and band."""
    violation = only_violation(graduating({"overall": score}))
    assert violation.code == "assessment_not_passing"
    assert dict(violation.facts) == {"score": score, "band": "kurang memuaskan"}
    assert violation.message == f"score {float(score)} (kurang memuaskan) does not pass"
    assert violation.message_id == f"nilai {float(score)} (kurang memuaskan) tidak lulus"


@pytest.mark.parametrize(
    ("score", "grade"),
    [(70.01, "cukup memuaskan"), (85, "memuaskan"), (90, "memuaskan"), (95.5, "sangat memuaskan")],
)
def test_passing_graduation_carries_score_and_grade(score: float, grade: str) -> None:
    """An accepted graduation's verdict carries the score and grade band as facts."""
    verdict = graduating({"overall": score})
    assert verdict.ok
    assert dict(verdict.facts) == {"score": score, "grade": grade}


def test_graduation_follows_the_cohorts_grading_scheme() -> None:
    """A cohort's own bands decide: a non-passing named band refuses with that band."""
    deferred = GradingScheme(
        bands=(
            GradeBand(name="lulus", above=75),
            GradeBand(name="lulus tertunda", above=60, passing=False),
        )
    )
    assert graduating({"overall": 80}, grading=deferred).facts["grade"] == "lulus"
    violation = only_violation(graduating({"overall": 65}, grading=deferred))
    assert violation.facts["band"] == "lulus tertunda"


# -- reasons for leaving ---------------------------------------------------------------------


@pytest.mark.parametrize("reason", [None, "", " ", "\t\n  "], ids=["none", "empty", "space", "ws"])
@pytest.mark.parametrize(("event", "target"), [("withdraw", "withdrawn"), ("drop", "dropped")])
def test_leaving_without_a_reason_is_refused(event: str, target: str, reason: str | None) -> None:
    """Withdrawing or dropping with no reason, or only whitespace: ``reason_required``."""
    violation = only_violation(ReasonRequired()(move(event, "on_class", target, reason=reason)))
    assert violation.code == "reason_required"
    assert violation.message == f"{event!r} needs a reason"
    assert violation.message_id == "alasan wajib diisi"


def test_leaving_with_a_reason_is_accepted() -> None:
    """Any non-blank reason is enough."""
    assert ReasonRequired()(move("withdraw", "on_class", "withdrawn", reason="sakit")) is OK


# -- end to end through the engine -----------------------------------------------------------


def test_engine_guards_each_stage_and_records_the_grade(engine: Engine, cohort: Cohort) -> None:
    """Each guard refuses until its need is met; the graduation entry records score and grade."""
    nip = engine.enrol(cohort.code, make_participant()).nip
    engine.fire(cohort.code, nip, "start_class")

    with pytest.raises(TransitionRejected) as refused:
        engine.fire(cohort.code, nip, "present_proposal")
    assert refused.value.codes == ("change_project_missing",)
    engine.register_project(cohort.code, nip, UNMENTORED)
    with pytest.raises(TransitionRejected) as refused:
        engine.fire(cohort.code, nip, "present_proposal")
    assert refused.value.codes == ("mentor_missing",)
    engine.register_project(cohort.code, nip, PROJECT)
    engine.fire(cohort.code, nip, "present_proposal")

    approved = engine.fire(cohort.code, nip, "approve_proposal", actor=MENTOR.name)
    assert approved.data is not None
    assert dict(approved.data) == {"mentor": MENTOR.name}
    engine.fire(cohort.code, nip, "present_results")

    with pytest.raises(TransitionRejected) as refused:
        engine.fire(cohort.code, nip, "graduate")
    assert refused.value.codes == ("assessment_missing",)
    engine.record_assessment(cohort.code, nip, 70)
    with pytest.raises(TransitionRejected) as refused:
        engine.fire(cohort.code, nip, "graduate")
    assert refused.value.codes == ("assessment_not_passing",)
    assert engine.state(cohort.code, nip) == "seminar"

    engine.record_assessment(cohort.code, nip, 85)
    graduated = engine.fire(cohort.code, nip, "graduate")
    assert graduated.target == "graduated"
    assert graduated.data is not None
    assert dict(graduated.data) == {"score": 85.0, "grade": "memuaskan"}


@pytest.mark.parametrize("reason", [None, "   "])
def test_engine_refuses_withdrawal_without_a_reason(
    engine: Engine, cohort: Cohort, reason: str | None
) -> None:
    """A withdrawal without a real reason is refused and the participant stays put."""
    person = make_participant()
    engine.enrol(cohort.code, person)
    with pytest.raises(TransitionRejected) as refused:
        engine.fire(cohort.code, person.nip, "withdraw", reason=reason)
    assert refused.value.codes == ("reason_required",)
    assert engine.state(cohort.code, person.nip) == "enrolled"
