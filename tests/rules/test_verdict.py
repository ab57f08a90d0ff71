"""Verdicts and violations: what a rule answers, in English and Indonesian, with facts."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

import pytest

from changeflow import DEFAULT_LIFECYCLE, ChangeProject, Enrolment, Lifecycle
from changeflow.rules import OK, RuleContext, RuleRegistry, Standing, Verdict, Violation
from changeflow.testing import CountingFacts
from factories import DINKES, make_cohort, make_participant

NOW = datetime(2019, 4, 4, 8, 0, tzinfo=UTC)
CODE = "PKA-III-VII-2019"


# -- Verdict -------------------------------------------------------------------------------


def test_ok_has_no_violations_and_no_facts() -> None:
    """The shared OK verdict is ok, with nothing violated and no facts."""
    assert OK.ok
    assert OK.violations == ()
    assert dict(OK.facts) == {}


def test_allow_without_facts_is_the_shared_ok() -> None:
    """Allowing with no facts returns the shared OK verdict."""
    assert Verdict.allow() is OK


def test_allow_with_facts_carries_them_read_only() -> None:
    """An ok verdict may carry facts for the record, which cannot be altered."""
    verdict = Verdict.allow(score=85.0, grade="memuaskan")
    assert verdict.ok
    assert dict(verdict.facts) == {"score": 85.0, "grade": "memuaskan"}
    with pytest.raises(TypeError):
        verdict.facts["score"] = 100  # type: ignore[index]


def test_refuse_builds_one_complete_violation() -> None:
    """refuse() yields a not-ok verdict with one violation holding every part given."""
    verdict = Verdict.refuse(
        "office_quota",
        "Dinas Kesehatan already has 2 participant(s)",
        message_id="Dinas Kesehatan sudah mengirim 2 peserta",
        source="source article",
        office="DINKES",
        taken=2,
    )
    assert not verdict.ok
    assert verdict.violations == (
        Violation(
            "office_quota",
            "Dinas Kesehatan already has 2 participant(s)",
            {"office": "DINKES", "taken": 2},
            "Dinas Kesehatan sudah mengirim 2 peserta",
            "source article",
        ),
    )
    with pytest.raises(TypeError):
        verdict.violations[0].facts["taken"] = 0  # type: ignore[index]


def test_verdict_with_violations_is_not_ok_even_with_facts() -> None:
    """Any violation makes a verdict not ok."""
    assert not Verdict((Violation("x", "no"),), {"extra": 1}).ok


def test_verdicts_and_violations_are_frozen() -> None:
    """Verdicts and violations cannot be changed after a rule returns them."""
    violation = Violation("rank", "not eligible")
    with pytest.raises(dataclasses.FrozenInstanceError):
        violation.code = "other"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        OK.violations = (violation,)  # type: ignore[misc]


# -- Violation -----------------------------------------------------------------------------


BILINGUAL = Violation("reason_required", "'withdraw' needs a reason", {}, "alasan wajib diisi")
ENGLISH_ONLY = Violation("custom", "custom rule says no")


@pytest.mark.parametrize(
    ("violation", "locale", "text"),
    [
        (BILINGUAL, "en", "'withdraw' needs a reason"),
        (BILINGUAL, "id", "alasan wajib diisi"),
        (BILINGUAL, "fr", "'withdraw' needs a reason"),
        (ENGLISH_ONLY, "id", "custom rule says no"),
        (Violation("c", "english", {}, ""), "id", "english"),
    ],
    ids=["en", "id", "unknown-locale", "id-falls-back", "empty-id-falls-back"],
)
def test_text_picks_the_locale_and_falls_back_to_english(
    violation: Violation, locale: str, text: str
) -> None:
    """text('id') gives the Indonesian message, English when there is none or for other locales."""
    assert violation.text(locale) == text


def test_text_defaults_to_english() -> None:
    """Without a locale, text() is the English message."""
    assert BILINGUAL.text() == BILINGUAL.message


def test_violation_defaults_to_no_facts_message_id_or_source() -> None:
    """A bare violation has empty facts and no Indonesian message or source."""
    assert (dict(ENGLISH_ONLY.facts), ENGLISH_ONLY.message_id, ENGLISH_ONLY.source) == (
        {},
        None,
        None,
    )


def test_to_dict_has_stable_json_keys() -> None:
    """to_dict() gives the documented keys and is JSON-serialisable."""
    violation = Verdict.refuse("rank", "no", message_id="tidak", source="LAN", echelon="IV.a")
    as_dict = violation.violations[0].to_dict()
    assert as_dict == {
        "code": "rank",
        "message": "no",
        "message_id": "tidak",
        "facts": {"echelon": "IV.a"},
        "source": "LAN",
    }
    assert json.loads(json.dumps(as_dict)) == as_dict


def test_to_dict_facts_are_a_copy() -> None:
    """Changing a to_dict() result does not change the violation."""
    violation = Verdict.refuse("rank", "no", echelon="IV.a").violations[0]
    violation.to_dict()["facts"]["echelon"] = "III.a"
    assert violation.facts["echelon"] == "IV.a"


# -- every built-in rule speaks both languages -----------------------------------------------


def context(**overrides: Any) -> RuleContext:
    """A context for the 2019 cohort; ``overrides`` replace any of its parts."""
    base: dict[str, Any] = {
        "cohort": make_cohort(CODE),
        "participant": make_participant(office=DINKES),
        "event": "enrol",
        "source": None,
        "target": "enrolled",
        "facts": CountingFacts(),
        "now": NOW,
    }
    return RuleContext(**{**base, **overrides})


NOMINEE = make_participant(office=DINKES)
LIFECYCLE = Lifecycle(DEFAULT_LIFECYCLE, RuleRegistry.default(entry_points=False))
GRADUATE = {
    "event": "correct_assessment",
    "source": "graduated",
    "target": "graduated",
    "lifecycle": LIFECYCLE,
    "enrolment": Enrolment(CODE, NOMINEE, "graduated", scores={"overall": 85.0}),
    "reason": "typo",
}
"""A score correction on a graduate (the participant as before it)."""
REFUSALS = [
    ("rank", {"participant": make_participant(echelon="IV.a")}, "rank"),
    (
        "retirement_horizon",
        {"participant": make_participant(born=date(1962, 1, 20))},
        "retirement_horizon",
    ),
    (
        "office_quota",
        {"facts": CountingFacts(office_seats={(CODE, DINKES.code): 2})},
        "office_quota",
    ),
    ("cohort_capacity", {"facts": CountingFacts(seats={CODE: 30})}, "cohort_capacity"),
    (
        "already_active",
        {"participant": NOMINEE, "facts": CountingFacts(standings={NOMINEE.nip: Standing("X")})},
        "already_active",
    ),
    ("change_project", {"project": None}, "change_project_missing"),
    (
        "change_project",
        {"project": ChangeProject(title="t", theme="t")},
        "mentor_missing",
    ),
    ("mentor_approval", {"project": None}, "mentor_missing"),
    ("passing_assessment", {"scores": None}, "assessment_missing"),
    ("passing_assessment", {"scores": {"overall": 50}}, "assessment_not_passing"),
    ("reason_required", {"event": "withdraw", "reason": " "}, "reason_required"),
    ("record_open", {**GRADUATE, "event": "register_project"}, "record_closed"),
    ("outcome_unchanged", {**GRADUATE, "scores": {"overall": 40.0}}, "outcome_would_change"),
    (
        "fail_grounds",
        {"event": "fail", "source": "seminar", "scores": {"overall": 95.0}},
        "assessment_passes",
    ),
    ("fail_grounds", {"event": "fail", "source": "seminar", "scores": None}, "reason_required"),
    (
        "attendance_minimum",
        {
            "participant": NOMINEE,
            "event": "present_proposal",
            "facts": CountingFacts(
                attendances={(CODE, NOMINEE.nip): {"2019-04-04": "present", "2019-04-05": "absent"}}
            ),
        },
        "attendance_minimum",
    ),
]


@pytest.mark.parametrize(
    ("rule", "overrides", "code"), REFUSALS, ids=[f"{r}-{c}" for r, _, c in REFUSALS]
)
def test_builtin_refusals_are_complete_and_bilingual(
    rule: str, overrides: dict[str, Any], code: str
) -> None:
    """Each built-in refusal has its stable code, English and Indonesian text and facts."""
    verdict = RuleRegistry.default(entry_points=False)[rule](context(**overrides))
    (violation,) = verdict.violations
    assert violation.code == code
    assert violation.message
    assert violation.message.isascii()
    assert violation.message_id
    assert violation.message_id != violation.message
    assert violation.text("id") == violation.message_id
    assert isinstance(violation.facts, Mapping)
    assert json.loads(json.dumps(violation.to_dict()))["code"] == code


def test_every_builtin_rule_has_a_refusal_case() -> None:
    """The bilingual check above covers every built-in rule."""
    assert {rule for rule, _, _ in REFUSALS} == set(RuleRegistry.default(entry_points=False))
