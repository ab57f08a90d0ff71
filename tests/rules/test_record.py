"""Rules that keep the record honest, and the quota rules judging only a seat taken.

Contexts are built by hand: ``lifecycle=`` tells the rules what a state means (final,
seat-freeing, its outcome) and ``enrolment=`` is the participant as before the command.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest

from changeflow import DEFAULT_LIFECYCLE, Enrolment, Lifecycle, LifecycleDefinition
from changeflow.rules import (
    OK,
    AlreadyActive,
    CohortCapacity,
    FailGrounds,
    OfficeQuota,
    OutcomeUnchanged,
    RecordOpen,
    RuleContext,
    RuleRegistry,
    Standing,
)
from changeflow.testing import CountingFacts
from factories import BKD, DINKES, make_cohort, make_participant

if TYPE_CHECKING:
    from changeflow.records import Violation
    from changeflow.rules import Verdict

NOW = datetime(2019, 4, 4, 8, 0, tzinfo=UTC)
CODE = "PKA-III-VII-2019"
RULES = RuleRegistry.default(entry_points=False)
LIFECYCLE = Lifecycle(DEFAULT_LIFECYCLE, RULES)
PERSON = make_participant(office=DINKES)
FINALS = ("graduated", "not_passed", "withdrawn", "dropped")
ACTIVE = ("enrolled", "on_class", "proposal", "laboratory", "seminar")
TWO_PARTS = {"weights": {"paper": 1.0, "seminar": 1.0}}


def member(state: str, **fields: Any) -> Enrolment:
    """The participant's enrolment in ``state``, its flags as the default lifecycle has them."""
    return Enrolment(
        CODE,
        fields.pop("participant", PERSON),
        state,
        active=state not in LIFECYCLE.finals,
        seated=state not in LIFECYCLE.seat_freeing,
        completed=state in LIFECYCLE.completing,
        **fields,
    )


def command(event: str, state: str, target: str | None = None, **overrides: Any) -> RuleContext:
    """The context of ``event`` on a participant in ``state`` (a data command stays there)."""
    base: dict[str, Any] = {
        "cohort": make_cohort(CODE),
        "participant": PERSON,
        "event": event,
        "source": state,
        "target": state if target is None else target,
        "facts": CountingFacts(),
        "now": NOW,
        "lifecycle": LIFECYCLE,
        "enrolment": member(state),
    }
    return RuleContext(**{**base, **overrides})


def only(verdict: Verdict) -> Violation:
    """The single violation of a refusing verdict."""
    assert not verdict.ok
    (violation,) = verdict.violations
    assert violation.message
    assert violation.message_id
    assert violation.message_id != violation.message
    assert violation.source
    return violation


# -- record_open ------------------------------------------------------------------------------


@pytest.mark.parametrize("state", FINALS)
@pytest.mark.parametrize("event", ["register_project", "record_assessment", "form_groups"])
def test_record_open_refuses_a_final_state(state: str, event: str) -> None:
    """In every final state a data command is refused with record_closed, naming the state."""
    violation = only(RecordOpen()(command(event, state)))
    assert violation.code == "record_closed"
    assert dict(violation.facts) == {"nip": PERSON.nip, "state": state}
    assert state in violation.message
    assert event in violation.message


@pytest.mark.parametrize("state", ACTIVE)
def test_record_open_lets_an_active_record_change(state: str) -> None:
    """In an active state the record is open."""
    assert RecordOpen()(command("register_project", state)) is OK


def test_record_open_needs_the_lifecycle_to_judge() -> None:
    """A context without a lifecycle cannot tell a final state: the record counts as open."""
    assert RecordOpen()(command("record_assessment", "graduated", lifecycle=None)) is OK


def test_record_open_follows_the_lifecycle_given() -> None:
    """Final means final in the context's lifecycle: a workshop's 'certified' closes it."""
    workshop = Lifecycle(
        LifecycleDefinition.model_validate(
            {
                "name": "workshop",
                "initial": "registered",
                "states": [{"name": "registered"}, {"name": "certified", "final": True}],
                "transitions": [{"event": "certify", "source": "registered", "dest": "certified"}],
            }
        ),
        RULES,
    )
    closed = command("register_project", "certified", lifecycle=workshop, enrolment=None)
    assert only(RecordOpen()(closed)).code == "record_closed"
    # 'graduated' means nothing to the workshop lifecycle
    assert RecordOpen()(command("register_project", "graduated", lifecycle=workshop)) is OK


# -- outcome_unchanged ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "score"), [("graduated", 85.0), ("graduated", 71.0), ("not_passed", 40.0)]
)
def test_outcome_unchanged_accepts_a_correction_keeping_the_outcome(
    state: str, score: float
) -> None:
    """A graduate's corrected score that still passes (a failure's that still fails) is ok."""
    context = command("correct_assessment", state, scores={"overall": score}, reason="typo")
    assert OutcomeUnchanged()(context) is OK


@pytest.mark.parametrize(
    ("state", "score", "outcome", "band"),
    [
        ("graduated", 70.0, "passed", "kurang memuaskan"),
        ("not_passed", 80.5, "failed", "memuaskan"),
    ],
)
def test_outcome_unchanged_refuses_turning_the_outcome_over(
    state: str, score: float, outcome: str, band: str
) -> None:
    """A correction turning a pass into a fail (or back) is outcome_would_change, with facts."""
    context = command("correct_assessment", state, scores={"overall": score})
    violation = only(OutcomeUnchanged()(context))
    assert violation.code == "outcome_would_change"
    assert dict(violation.facts) == {
        "state": state,
        "outcome": outcome,
        "score": score,
        "band": band,
    }


def test_outcome_unchanged_counts_an_incomplete_assessment_as_no_pass() -> None:
    """A graduate's scores missing a weighted component do not pass: refused, no grade."""
    cohort = make_cohort(CODE, grading=TWO_PARTS)
    context = command("correct_assessment", "graduated", cohort=cohort, scores={"paper": 90.0})
    violation = only(OutcomeUnchanged()(context))
    assert (violation.facts["score"], violation.facts["band"]) == (None, None)


@pytest.mark.parametrize("state", [*ACTIVE, "withdrawn", "dropped"])
def test_outcome_unchanged_ignores_states_without_an_outcome(state: str) -> None:
    """Where the state stands for no outcome, any corrected score is ok."""
    for score in (10.0, 99.0):
        assert (
            OutcomeUnchanged()(command("correct_assessment", state, scores={"overall": score}))
            is OK
        )


def test_outcome_unchanged_needs_the_lifecycle_to_judge() -> None:
    """Without a lifecycle no state has an outcome to protect."""
    context = command("correct_assessment", "graduated", scores={"overall": 10.0}, lifecycle=None)
    assert OutcomeUnchanged()(context) is OK


def test_outcome_unchanged_reads_outcomes_from_the_definition() -> None:
    """A custom lifecycle's own 'passed' state keeps its pass."""
    course = Lifecycle(
        LifecycleDefinition.model_validate(
            {
                "name": "short_course",
                "initial": "open",
                "states": [
                    {"name": "open"},
                    {"name": "passed", "final": True, "outcome": "passed"},
                ],
                "transitions": [{"event": "pass", "source": "open", "dest": "passed"}],
            }
        ),
        RULES,
    )
    failing = command("correct_assessment", "passed", scores={"overall": 50.0}, lifecycle=course)
    assert only(OutcomeUnchanged()(failing)).facts["outcome"] == "passed"


# -- fail_grounds -----------------------------------------------------------------------------


@pytest.mark.parametrize("reason", [None, "the panel disagreed"])
def test_fail_grounds_refuses_against_a_passing_grade(reason: str | None) -> None:
    """A complete passing grade forbids fail, reason or not (assessment_passes)."""
    context = command("fail", "seminar", "not_passed", scores={"overall": 95.0}, reason=reason)
    violation = only(FailGrounds()(context))
    assert violation.code == "assessment_passes"
    assert dict(violation.facts) == {"score": 95.0, "band": "sangat memuaskan"}


def test_fail_grounds_records_a_failing_grade() -> None:
    """A complete failing grade is the grounds: allowed, recording the score and band."""
    verdict = FailGrounds()(command("fail", "seminar", "not_passed", scores={"overall": 70.0}))
    assert verdict.ok
    assert dict(verdict.facts) == {"score": 70.0, "grade": "kurang memuaskan", "passed": False}


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_fail_grounds_without_a_grade_needs_a_reason(reason: str | None) -> None:
    """With no complete assessment, failing without a non-blank reason is reason_required."""
    context = command("fail", "seminar", "not_passed", scores=None, reason=reason)
    assert only(FailGrounds()(context)).code == "reason_required"


def test_fail_grounds_without_a_grade_accepts_a_reason() -> None:
    """With no complete assessment, a reason is the grounds."""
    context = command("fail", "seminar", "not_passed", reason="absent from the seminar")
    assert FailGrounds()(context) is OK


def test_fail_grounds_counts_a_partial_assessment_as_none() -> None:
    """One of two weighted components scored (even passing) is no grade: a reason decides."""
    cohort = make_cohort(CODE, grading=TWO_PARTS)
    partial = {"paper": 99.0}
    context = command("fail", "seminar", "not_passed", cohort=cohort, scores=partial)
    assert only(FailGrounds()(context)).code == "reason_required"
    assert FailGrounds()(replace(context, reason="did not present")) is OK


# -- which commands take a seat ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("enrolment", "target", "seat", "office_seat"),
    [
        (None, "enrolled", True, True),
        (member("laboratory"), "laboratory", False, False),
        (member("withdrawn"), "laboratory", True, True),
        (member("dropped"), "proposal", True, True),
        (member("graduated"), "seminar", False, False),
        (member("seminar"), "withdrawn", False, False),
        (member("withdrawn"), "withdrawn", False, False),
    ],
    ids=[
        "enrol",
        "data",
        "reopen-withdrawn",
        "reopen-dropped",
        "reopen-graduated",
        "withdraw",
        "data-withdrawn",
    ],
)
def test_takes_seat(
    enrolment: Enrolment | None, target: str, seat: bool, office_seat: bool
) -> None:
    """Only an enrolment, or a return from a seat-freeing state, takes a seat."""
    context = command(
        "x", None if enrolment is None else enrolment.state, target, enrolment=enrolment
    )
    assert (context.takes_seat(), context.takes_office_seat()) == (seat, office_seat)


def test_takes_office_seat_on_a_transfer() -> None:
    """A seated participant moved to another office takes a seat there, not in the cohort."""
    moved = PERSON.model_copy(update={"office": BKD})
    transfer = command("transfer_office", "laboratory", participant=moved)
    assert (transfer.takes_seat(), transfer.takes_office_seat()) == (False, True)
    gone = command("transfer_office", "withdrawn", participant=moved, enrolment=member("withdrawn"))
    assert (gone.takes_seat(), gone.takes_office_seat()) == (False, False)


def test_without_a_lifecycle_only_the_enrolment_tells() -> None:
    """A context built without a lifecycle judges from the enrolment alone."""
    context = command(
        "reopen", "withdrawn", "laboratory", lifecycle=None, enrolment=member("withdrawn")
    )
    assert context.takes_seat()
    assert not command("x", "seminar", lifecycle=None).takes_seat()


FULL = CountingFacts(seats={CODE: 30}, office_seats={(CODE, DINKES.code): 2, (CODE, BKD.code): 2})
"""A full cohort whose two offices fill their quota."""


@pytest.mark.parametrize(
    "context",
    [
        command("correct_participant", "laboratory", facts=FULL),
        command("reopen", "graduated", "seminar", facts=FULL),
        command("withdraw", "seminar", "withdrawn", facts=FULL),
        command(
            "transfer_office",
            "withdrawn",
            facts=FULL,
            enrolment=member("withdrawn"),
            participant=PERSON.model_copy(update={"office": BKD}),
        ),
    ],
    ids=["data-command", "reopen-seated", "leaving", "transfer-without-seat"],
)
def test_quota_rules_do_not_judge_a_seat_already_held(context: RuleContext) -> None:
    """A full cohort and office do not refuse commands that take no seat."""
    assert OfficeQuota()(context) is OK
    assert CohortCapacity()(context) is OK


def test_quota_rules_judge_a_seat_taken_back() -> None:
    """Reopening a withdrawal in a full cohort and office is refused by both quota rules."""
    context = command(
        "reopen", "withdrawn", "laboratory", facts=FULL, enrolment=member("withdrawn")
    )
    assert only(OfficeQuota()(context)).facts["taken"] == 2
    assert only(CohortCapacity()(context)).facts["taken"] == 30


def test_office_quota_judges_the_new_office_of_a_transfer() -> None:
    """A seated participant transferred into a full office is refused; the cohort seat is kept."""
    moved = PERSON.model_copy(update={"office": BKD})
    context = command("transfer_office", "laboratory", participant=moved, facts=FULL)
    violation = only(OfficeQuota()(context))
    assert (violation.code, violation.facts["office"]) == ("office_quota", "BKD")
    assert CohortCapacity()(context) is OK
    room = CountingFacts(office_seats={(CODE, BKD.code): 1})
    assert OfficeQuota()(replace(context, facts=room)) is OK


# -- already_active ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "standing",
    [Standing(active_in=CODE), Standing(completed_in=CODE), Standing(CODE, CODE)],
    ids=["active-here", "graduated-here", "both-here"],
)
def test_already_active_ignores_the_participants_own_cohort(standing: Standing) -> None:
    """For a participant already in the cohort (a reopening), only other cohorts count."""
    facts = CountingFacts(standings={PERSON.nip: standing})
    context = command("reopen", "graduated", "seminar", facts=facts)
    assert AlreadyActive()(context) is OK


@pytest.mark.parametrize(
    ("standing", "active_in", "completed_in"),
    [
        (Standing(active_in="PKA-2020"), "PKA-2020", None),
        (Standing(completed_in="PKA-2018"), None, "PKA-2018"),
        (Standing(active_in="PKA-2020", completed_in=CODE), "PKA-2020", None),
    ],
    ids=["active-elsewhere", "graduated-elsewhere", "active-elsewhere-graduated-here"],
)
def test_already_active_refuses_what_other_cohorts_say(
    standing: Standing, active_in: str | None, completed_in: str | None
) -> None:
    """A reopening is refused while the person is active in, or graduated from, another cohort."""
    facts = CountingFacts(standings={PERSON.nip: standing})
    context = command(
        "reopen", "withdrawn", "laboratory", facts=facts, enrolment=member("withdrawn")
    )
    violation = only(AlreadyActive()(context))
    assert violation.code == "already_active"
    assert (violation.facts["active_in"], violation.facts["completed_in"]) == (
        active_in,
        completed_in,
    )


def test_already_active_at_enrolment_counts_every_cohort() -> None:
    """Without an enrolment (a nomination), being active in this very cohort counts too."""
    facts = CountingFacts(standings={PERSON.nip: Standing(active_in=CODE)})
    context = command("enrol", "enrolled", facts=facts, enrolment=None, source=None)
    assert only(AlreadyActive()(context)).facts["active_in"] == CODE


def test_standing_elsewhere_drops_only_the_given_cohort() -> None:
    """Standing.elsewhere(cohort) forgets that cohort and keeps every other."""
    both = Standing(active_in=CODE, completed_in="PKA-2018")
    assert both.elsewhere(CODE) == Standing(None, "PKA-2018")
    assert both.elsewhere("PKA-2018") == Standing(CODE, None)
    assert both.elsewhere("OTHER") is both
