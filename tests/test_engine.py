"""The engine: every move of the lifecycle, refusals, dry runs, audit, keys, rollback, listeners."""

from __future__ import annotations

import json
import logging
import math
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import structlog

from changeflow import (
    DEFAULT_LIFECYCLE,
    AlreadyExists,
    ChangeProject,
    CohortNotFound,
    Engine,
    HistoryEntry,
    IdempotencyConflict,
    IllegalTransition,
    InvalidInput,
    Lifecycle,
    LifecycleDefinition,
    MemoryStore,
    Mentor,
    NotFound,
    ParticipantNotFound,
    RuleError,
    RuleRegistry,
    StoreError,
    TransitionRejected,
    UnknownEvent,
    Verdict,
    load_definition,
)
from changeflow.states import PREVIOUS
from factories import BKD, DINKES, make_cohort, make_participant, office, trusted_engine

if TYPE_CHECKING:
    from collections.abc import Iterator

    from changeflow import Cohort, FixedClock, RuleContext

DATA = Path(__file__).parent / "data"
LIFECYCLE = Lifecycle(DEFAULT_LIFECYCLE, RuleRegistry.default())
MENTOR = Mentor(name="dr. Anang Budi Yoelijanto")
PROJECT = ChangeProject(
    title="Aplikasi antrean puskesmas daring", theme="pelayanan kesehatan", mentor=MENTOR
)
REASONS = {
    "withdraw": "long-term medical treatment",
    "drop": "missed a week of class",
    "fail": "did not present at the seminar",
    "reopen": "the ending was recorded by mistake",
}
_TO_SEMINAR = ("start_class", "present_proposal", "approve_proposal", "present_results")
ROUTE: dict[str, tuple[str, ...]] = {
    "enrolled": (),
    "on_class": _TO_SEMINAR[:1],
    "proposal": _TO_SEMINAR[:2],
    "laboratory": _TO_SEMINAR[:3],
    "seminar": _TO_SEMINAR,
    "graduated": (*_TO_SEMINAR, "graduate"),
    "not_passed": (*_TO_SEMINAR, "fail"),
    "withdrawn": ("withdraw",),
    "dropped": ("drop",),
}
"""How the happy path reaches each state of the default lifecycle from enrolment."""


def _left(state: str) -> str:
    """The state the happy path to ``state`` leaves last (where a reopening returns)."""
    route = ROUTE[state]
    return next(s for s, r in ROUTE.items() if r == route[:-1])


LEGAL = [
    pytest.param(
        m.source,
        m.event,
        _left(m.source) if m.dest == PREVIOUS else m.dest,
        id=f"{m.event}-from-{m.source}",
    )
    for by_source in LIFECYCLE.table.values()
    for m in by_source.values()
]
ILLEGAL = [
    pytest.param(state, event, id=f"{event}-from-{state}")
    for state in LIFECYCLE.states
    for event in LIFECYCLE.events
    if LIFECYCLE.move(event, state) is None
]


def prepare(engine: Engine, code: str, nip: str, event: str) -> None:
    """Give the participant what ``event``'s guard needs: a project, a passing score.

    A closed record (a final state) takes neither, so nothing is given there.
    """
    if engine.participant(code, nip).state in LIFECYCLE.finals:
        return
    if event == "present_proposal":
        engine.register_project(code, nip, PROJECT)
    elif event == "graduate":
        engine.record_assessment(code, nip, 85)


def drive(engine: Engine, code: str, state: str, **person: Any) -> str:
    """Enrol a fresh participant and walk the happy path to ``state``; return the NIP."""
    participant = make_participant(**person)
    engine.enrol(code, participant)
    for event in ROUTE[state]:
        prepare(engine, code, participant.nip, event)
        engine.fire(code, participant.nip, event, reason=REASONS.get(event))
    assert engine.state(code, participant.nip) == state
    return participant.nip


def codes(entry: HistoryEntry) -> list[str]:
    """The violation codes of an audit entry."""
    return [v.code for v in entry.violations]


@pytest.fixture
def unconfigured_structlog() -> Iterator[None]:
    """Structlog as in an application that never configured it."""
    structlog.reset_defaults()
    yield
    structlog.reset_defaults()


def test_route_covers_every_state() -> None:
    """The happy-path table used below reaches every state of the default lifecycle."""
    assert set(ROUTE) == set(LIFECYCLE.states)
    assert (len(LEGAL), len(ILLEGAL)) == (21, 69)


# -- every move, legal and illegal -------------------------------------------------------


@pytest.mark.parametrize(("source", "event", "dest"), LEGAL)
def test_legal_event_moves_to_its_dest(
    engine: Engine, cohort: Cohort, source: str, event: str, dest: str
) -> None:
    """Each legal event moves the participant to its dest, bumps the version and is audited."""
    nip = drive(engine, cohort.code, source)
    prepare(engine, cohort.code, nip, event)
    before = engine.participant(cohort.code, nip)
    entry = engine.fire(cohort.code, nip, event, actor="bkd", reason=REASONS.get(event))
    after = engine.participant(cohort.code, nip)
    assert (entry.event, entry.source, entry.target, entry.outcome) == (
        event,
        source,
        dest,
        "accepted",
    )
    assert after.state == dest
    assert after.version == before.version + 1
    assert engine.history(nip)[-1] == entry


@pytest.mark.parametrize(("state", "event"), ILLEGAL)
def test_illegal_event_is_refused_and_changes_nothing(
    engine: Engine, cohort: Cohort, state: str, event: str
) -> None:
    """An event that does not leave the state raises IllegalTransition and only audits it."""
    nip = drive(engine, cohort.code, state)
    prepare(engine, cohort.code, nip, event)
    before = engine.participant(cohort.code, nip)
    seen = len(engine.history(nip))
    with pytest.raises(IllegalTransition) as caught:
        engine.fire(cohort.code, nip, event, reason=REASONS.get(event))
    assert isinstance(caught.value, TransitionRejected)
    assert caught.value.codes == ("illegal_transition",)
    assert (caught.value.event, caught.value.state, caught.value.nip) == (event, state, nip)
    after = engine.participant(cohort.code, nip)
    assert (after.state, after.version, after.revisions) == (
        before.state,
        before.version,
        before.revisions,
    )
    history = engine.history(nip)
    assert len(history) == seen + 1
    refused = history[-1]
    assert (refused.event, refused.source, refused.target, refused.outcome) == (
        event,
        state,
        None,
        "refused",
    )
    facts = refused.violations[0].facts
    assert facts["allowed"] == [m.event for m in LIFECYCLE.leaving[state]]


@pytest.mark.parametrize("state", sorted(LIFECYCLE.finals))
def test_final_states_are_left_only_by_reopen(engine: Engine, cohort: Cohort, state: str) -> None:
    """From a final state only reopen (with a reason) is available; every other event is illegal."""
    nip = drive(engine, cohort.code, state)
    assert engine.available(cohort.code, nip) == ()
    assert engine.available(cohort.code, nip, reason="any reason") == ("reopen",)
    for event in LIFECYCLE.events:
        found = engine.check(cohort.code, nip, event, reason="any reason")
        if event == "reopen":
            assert found == ()
            continue
        assert [v.code for v in found] == ["illegal_transition"]
        assert found[0].facts["allowed"] == ["reopen"]


def test_revise_proposal_stays_and_counts_revisions(engine: Engine, cohort: Cohort) -> None:
    """revise_proposal keeps the state 'proposal', counting revisions and versions."""
    nip = drive(engine, cohort.code, "proposal")
    version = engine.participant(cohort.code, nip).version
    first = engine.fire(cohort.code, nip, "revise_proposal", reason="stakeholder map missing")
    engine.fire(cohort.code, nip, "revise_proposal")
    now = engine.participant(cohort.code, nip)
    assert (first.source, first.target) == ("proposal", "proposal")
    assert (now.state, now.revisions, now.version) == ("proposal", 2, version + 2)
    assert engine.fire(cohort.code, nip, "approve_proposal").target == "laboratory"
    assert engine.participant(cohort.code, nip).revisions == 2


def test_approve_proposal_records_the_actor(engine: Engine, cohort: Cohort) -> None:
    """The approval's actor (the mentor) and the project's mentor are recorded."""
    nip = drive(engine, cohort.code, "proposal")
    entry = engine.fire(cohort.code, nip, "approve_proposal", actor="Kepala Dinas Kesehatan")
    assert entry.actor == "Kepala Dinas Kesehatan"
    assert entry.data == {"mentor": MENTOR.name}
    assert engine.history(nip)[-1].actor == "Kepala Dinas Kesehatan"


def test_proposal_needs_a_project_with_a_mentor(engine: Engine, cohort: Cohort) -> None:
    """present_proposal is refused without a project, then without its mentor."""
    nip = drive(engine, cohort.code, "on_class")
    with pytest.raises(TransitionRejected) as caught:
        engine.fire(cohort.code, nip, "present_proposal")
    assert not isinstance(caught.value, IllegalTransition)
    assert caught.value.codes == ("change_project_missing",)
    engine.register_project(cohort.code, nip, PROJECT.model_copy(update={"mentor": None}))
    with pytest.raises(TransitionRejected) as caught:
        engine.fire(cohort.code, nip, "present_proposal")
    assert caught.value.codes == ("mentor_missing",)
    assert engine.state(cohort.code, nip) == "on_class"


@pytest.mark.parametrize(
    ("score", "code"), [(None, "assessment_missing"), (70, "assessment_not_passing")]
)
def test_refused_graduation_changes_nothing(
    engine: Engine, cohort: Cohort, score: float | None, code: str
) -> None:
    """Graduating with no score, or 70, is refused and changes nothing; failing is then accepted."""
    nip = drive(engine, cohort.code, "seminar")
    if score is not None:
        assert engine.record_assessment(cohort.code, nip, score) is not None
    before = engine.participant(cohort.code, nip)
    with pytest.raises(TransitionRejected) as caught:
        engine.fire(cohort.code, nip, "graduate")
    assert caught.value.codes == (code,)
    after = engine.participant(cohort.code, nip)
    assert (after.state, after.version) == ("seminar", before.version)
    refused = engine.history(nip)[-1]
    assert (refused.outcome, refused.target, refused.data) == ("refused", "graduated", None)
    assert codes(refused) == [code]
    reason = REASONS["fail"] if score is None else None
    assert engine.fire(cohort.code, nip, "fail", reason=reason).target == "not_passed"


@pytest.mark.parametrize(
    ("score", "band"),
    [(95, "sangat memuaskan"), (85, "memuaskan"), (70.5, "cukup memuaskan")],
)
def test_graduation_records_score_and_band(
    engine: Engine, cohort: Cohort, score: float, band: str
) -> None:
    """An accepted graduation records the score and its grade band."""
    nip = drive(engine, cohort.code, "seminar")
    engine.record_assessment(cohort.code, nip, score)
    entry = engine.fire(cohort.code, nip, "graduate")
    assert entry.data == {"score": score, "grade": band}
    assert engine.history(nip)[-1].data == {"score": score, "grade": band}


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_leaving_needs_a_reason(engine: Engine, cohort: Cohort, reason: str | None) -> None:
    """Withdraw and drop are refused without a non-blank reason."""
    nip = drive(engine, cohort.code, "laboratory")
    for event in ("withdraw", "drop"):
        with pytest.raises(TransitionRejected) as caught:
            engine.fire(cohort.code, nip, event, reason=reason)
        assert caught.value.codes == ("reason_required",)
    assert engine.state(cohort.code, nip) == "laboratory"


def test_every_rule_of_a_move_is_judged(clock: FixedClock) -> None:
    """A move guarded by two rules reports both violations, from fire and from check."""
    data = DEFAULT_LIFECYCLE.model_dump()
    for spec in data["transitions"]:
        if spec["event"] == "present_proposal":
            spec["rules"] = ("change_project", "reason_required")
    engine = trusted_engine(lifecycle=LifecycleDefinition.model_validate(data), clock=clock)
    code = engine.create_cohort(make_cohort()).code
    nip = drive(engine, code, "on_class")
    assert [v.code for v in engine.check(code, nip, "present_proposal")] == [
        "change_project_missing",
        "reason_required",
    ]
    with pytest.raises(TransitionRejected) as caught:
        engine.fire(code, nip, "present_proposal")
    assert caught.value.codes == ("change_project_missing", "reason_required")


# -- unknown names ------------------------------------------------------------------------


def test_unknown_event_raises_and_audits_nothing(engine: Engine, cohort: Cohort) -> None:
    """An event the lifecycle lacks raises UnknownEvent (a NotFound, a LookupError)."""
    nip = drive(engine, cohort.code, "on_class")
    seen = len(engine.history(cohort=cohort.code))
    with pytest.raises(UnknownEvent) as caught:
        engine.fire(cohort.code, nip, "teleport")
    assert isinstance(caught.value, NotFound)
    assert isinstance(caught.value, LookupError)
    assert caught.value.key == "teleport"
    assert "start_class" in str(caught.value)
    with pytest.raises(UnknownEvent):
        engine.check(cohort.code, nip, "teleport")
    with pytest.raises(UnknownEvent):
        engine.advance(cohort.code, "teleport")
    assert len(engine.history(cohort=cohort.code)) == seen
    assert engine.participant(cohort.code, nip).version == 2


def test_unknown_nip_raises_participant_not_found(engine: Engine, cohort: Cohort) -> None:
    """Every command naming a NIP not enrolled in the cohort raises ParticipantNotFound."""
    stranger = make_participant().nip
    calls = [
        lambda: engine.fire(cohort.code, stranger, "start_class"),
        lambda: engine.check(cohort.code, stranger, "start_class"),
        lambda: engine.available(cohort.code, stranger),
        lambda: engine.register_project(cohort.code, stranger, PROJECT),
        lambda: engine.record_assessment(cohort.code, stranger, 85),
        lambda: engine.correct_assessment(cohort.code, stranger, 85, reason="typo"),
        lambda: engine.correct_participant(cohort.code, stranger, name="X", reason="typo"),
        lambda: engine.transfer_office(cohort.code, stranger, BKD, reason="moved"),
        lambda: engine.participant(cohort.code, stranger),
        lambda: engine.state(cohort.code, stranger),
    ]
    for call in calls:
        with pytest.raises(ParticipantNotFound) as caught:
            call()
        assert caught.value.key == stranger
    assert engine.history(stranger) == []


def test_unknown_cohort_raises_cohort_not_found(engine: Engine) -> None:
    """Every command naming an unknown cohort raises CohortNotFound."""
    person = make_participant()
    calls = [
        lambda: engine.enrol("NOPE", person),
        lambda: engine.check_enrolment("NOPE", person),
        lambda: engine.fire("NOPE", person.nip, "start_class"),
        lambda: engine.fire("NOPE", person.nip, "teleport"),  # the cohort is looked up first
        lambda: engine.check("NOPE", person.nip, "teleport"),
        lambda: engine.advance("NOPE", "start_class"),
        lambda: engine.advance("NOPE", "teleport"),
        lambda: engine.register_project("NOPE", person.nip, PROJECT),
        lambda: engine.correct_assessment("NOPE", person.nip, 85, reason="typo"),
        lambda: engine.correct_participant("NOPE", person.nip, name="X", reason="typo"),
        lambda: engine.transfer_office("NOPE", person.nip, BKD, reason="moved"),
        lambda: engine.migrate("NOPE", DEFAULT_LIFECYCLE, dry_run=True),
        lambda: engine.record_assessment("NOPE", person.nip, 85),
        lambda: engine.form_groups("NOPE", 3),
        lambda: engine.status("NOPE"),
        lambda: engine.participants("NOPE"),
        lambda: engine.history(cohort="NOPE"),
        lambda: engine.cohort("NOPE"),
    ]
    for call in calls:
        with pytest.raises(CohortNotFound) as caught:
            call()
        assert caught.value.key == "NOPE"
    assert engine.history(person.nip) == []


# -- enrolment --------------------------------------------------------------------------


def test_accepted_enrolment(engine: Engine, cohort: Cohort) -> None:
    """An accepted nomination creates the participant in the initial state, version 1."""
    person = make_participant()
    entry = engine.enrol(cohort.code, person, actor="BKD", reason="nominated")
    assert (entry.event, entry.source, entry.target, entry.outcome) == (
        "enrol",
        None,
        "enrolled",
        "accepted",
    )
    assert (entry.seq, entry.actor, entry.reason) == (2, "BKD", "nominated")  # 1: the cohort
    enrolment = engine.participant(cohort.code, person.nip)
    assert (enrolment.state, enrolment.version, enrolment.revisions) == ("enrolled", 1, 0)
    assert enrolment.participant == person


def test_enrolment_from_a_mapping(engine: Engine, cohort: Cohort) -> None:
    """A nomination may come as JSON-like data; anything else is InvalidInput."""
    person = make_participant()
    engine.enrol(cohort.code, person.model_dump(mode="json"))
    assert engine.participant(cohort.code, person.nip).participant == person
    with pytest.raises(InvalidInput) as caught:
        engine.enrol(cohort.code, ["not", "a", "participant"])  # type: ignore[arg-type]
    assert caught.value.field == "participant"


def test_refused_enrolment_lists_every_violation(engine: Engine, cohort: Cohort) -> None:
    """A refused nomination creates nobody, audits every violation and raises them all."""
    drive(engine, cohort.code, "enrolled")
    drive(engine, cohort.code, "enrolled")
    person = make_participant(born=date(1962, 1, 20), echelon="IV.a")
    with pytest.raises(TransitionRejected) as caught:
        engine.enrol(cohort.code, person, actor="BKD")
    expected = ("rank", "retirement_horizon", "office_quota")
    assert caught.value.codes == expected
    assert (caught.value.event, caught.value.state) == ("enrol", None)
    with pytest.raises(ParticipantNotFound):
        engine.participant(cohort.code, person.nip)
    assert engine.status(cohort.code).total == 2
    [refused] = engine.history(person.nip)
    assert (refused.event, refused.outcome, refused.actor) == ("enrol", "refused", "BKD")
    assert tuple(codes(refused)) == expected


def test_check_enrolment_is_a_dry_run(engine: Engine, cohort: Cohort) -> None:
    """check_enrolment returns every violation and writes nothing, not even the office."""
    unfit = make_participant(born=date(1962, 1, 20), echelon="IV.a", office=BKD)
    assert [v.code for v in engine.check_enrolment(cohort.code, unfit)] == [
        "rank",
        "retirement_horizon",
    ]
    fit = make_participant()
    assert engine.check_enrolment(cohort.code, fit.model_dump(mode="json")) == ()
    assert [e.event for e in engine.history(cohort=cohort.code)] == ["create_cohort"]
    assert engine.store.offices() == []
    assert engine.participants(cohort.code) == []


def test_closed_office_registry_refuses_other_offices(clock: FixedClock) -> None:
    """With known_offices, an office outside the registry is refused 'unknown_office'."""
    engine = trusted_engine(known_offices={"DINKES"}, clock=clock)
    code = engine.create_cohort(make_cohort()).code
    outsider = make_participant(office=BKD)
    with pytest.raises(TransitionRejected) as caught:
        engine.enrol(code, outsider)
    assert caught.value.codes == ("unknown_office",)
    assert caught.value.violations[0].facts == {"office": "BKD", "nearest": []}
    assert [v.code for v in engine.check_enrolment(code, outsider)] == ["unknown_office"]
    engine.enrol(code, make_participant(office=DINKES))
    assert [o.code for o in engine.store.offices()] == ["DINKES"]


def test_open_office_registry_creates_offices_on_first_use(engine: Engine, cohort: Cohort) -> None:
    """By default an office is created when its first participant enrols, once."""
    assert engine.store.offices() == []
    drive(engine, cohort.code, "enrolled", office=DINKES)
    drive(engine, cohort.code, "enrolled", office=DINKES)
    drive(engine, cohort.code, "enrolled", office=BKD)
    assert engine.store.offices() == [BKD, DINKES]


def test_refused_enrolment_creates_no_office(engine: Engine, cohort: Cohort) -> None:
    """A refused nomination leaves only its audit entry: its office is not registered."""
    with pytest.raises(TransitionRejected):
        engine.enrol(cohort.code, make_participant(office=BKD, echelon="IV.a"))
    assert engine.store.offices() == []
    assert [(e.event, e.outcome) for e in engine.history(cohort=cohort.code)] == [
        ("create_cohort", "accepted"),
        ("enrol", "refused"),
    ]


def test_reenrolling_after_withdrawal_is_refused(engine: Engine, cohort: Cohort) -> None:
    """Someone who withdrew cannot enrol again in the same cohort ('already_enrolled')."""
    nip = drive(engine, cohort.code, "withdrawn")
    person = engine.participant(cohort.code, nip).participant
    with pytest.raises(TransitionRejected) as caught:
        engine.enrol(cohort.code, person)
    assert caught.value.codes == ("already_enrolled",)
    assert caught.value.violations[0].facts == {"cohort": cohort.code, "state": "withdrawn"}
    assert engine.state(cohort.code, nip) == "withdrawn"


def test_withdrawn_participant_may_enrol_in_another_cohort(engine: Engine, cohort: Cohort) -> None:
    """Withdrawal ends activity, so the person may join a later cohort."""
    nip = drive(engine, cohort.code, "withdrawn")
    later = engine.create_cohort(
        make_cohort("PKA-III-I-2020", start=date(2020, 2, 3), end=date(2020, 5, 29))
    )
    person = engine.participant(cohort.code, nip).participant
    assert engine.enrol(later.code, person).accepted
    assert engine.state(later.code, nip) == "enrolled"


def test_reenrolling_an_active_participant_keeps_its_progress(
    engine: Engine, cohort: Cohort
) -> None:
    """Enrolling an active participant again is refused and keeps its state and seat."""
    nip = drive(engine, cohort.code, "laboratory")
    person = engine.participant(cohort.code, nip).participant
    with pytest.raises(TransitionRejected) as caught:
        engine.enrol(cohort.code, person)
    assert caught.value.codes == ("already_enrolled", "already_active")
    assert engine.state(cohort.code, nip) == "laboratory"
    with engine.store.unit(cohort.code) as uow:
        assert uow.seated(cohort.code) == 1


def test_custom_lifecycle_never_replaces_an_enrolment(clock: FixedClock) -> None:
    """Without an 'already_active' rule, a second nomination is still refused, seat intact."""
    engine = trusted_engine(lifecycle=load_definition(DATA / "workshop.yaml"), clock=clock)
    code = engine.create_cohort(make_cohort()).code
    person = make_participant()
    engine.enrol(code, person)
    engine.fire(code, person.nip, "attend")
    with pytest.raises(TransitionRejected) as caught:
        engine.enrol(code, person)
    assert caught.value.codes == ("already_enrolled",)
    assert engine.state(code, person.nip) == "attending"
    with engine.store.unit(code) as uow:
        assert uow.seated(code) == 1


def test_custom_lifecycle_from_yaml_runs(clock: FixedClock) -> None:
    """An engine runs a lifecycle loaded from YAML, with its own states and events."""
    engine = trusted_engine(lifecycle=load_definition(DATA / "workshop.yaml"), clock=clock)
    code = engine.create_cohort(make_cohort()).code
    nip = make_participant().nip
    engine.enrol(code, make_participant(nip=nip))
    assert engine.available(code, nip) == ("attend",)
    engine.fire(code, nip, "attend")
    assert engine.fire(code, nip, "certify").target == "certified"
    with pytest.raises(UnknownEvent):
        engine.fire(code, nip, "graduate")
    assert dict(engine.status(code).by_state) == {
        "registered": 0,
        "attending": 0,
        "certified": 1,
        "withdrawn": 0,
    }


# -- dry runs ----------------------------------------------------------------------------


def test_check_is_a_dry_run(engine: Engine, cohort: Cohort) -> None:
    """check() returns what fire would object to and writes nothing."""
    nip = drive(engine, cohort.code, "seminar")
    seen = len(engine.history(cohort=cohort.code))
    assert [v.code for v in engine.check(cohort.code, nip, "graduate")] == ["assessment_missing"]
    assert [v.code for v in engine.check(cohort.code, nip, "withdraw")] == ["reason_required"]
    assert engine.check(cohort.code, nip, "withdraw", reason="transfer") == ()
    assert [v.code for v in engine.check(cohort.code, nip, "fail")] == ["reason_required"]
    assert engine.check(cohort.code, nip, "fail", reason=REASONS["fail"]) == ()
    assert [v.code for v in engine.check(cohort.code, nip, "start_class")] == ["illegal_transition"]
    with pytest.raises(InvalidInput):
        engine.check(cohort.code, nip, "fail", payload={"when": date(2019, 7, 1)})
    assert len(engine.history(cohort=cohort.code)) == seen
    assert engine.participant(cohort.code, nip).state == "seminar"


@pytest.mark.parametrize(
    ("state", "without_reason", "with_reason"),
    [
        ("enrolled", ("start_class",), ()),
        ("on_class", ("present_proposal",), ()),
        ("proposal", ("revise_proposal", "approve_proposal"), ()),
        ("laboratory", ("present_results",), ()),
        ("seminar", (), ("fail",)),
        ("graduated", (), ("reopen",)),
        ("withdrawn", (), ("reopen",)),
    ],
)
def test_available_lists_events_accepted_now(
    engine: Engine,
    cohort: Cohort,
    state: str,
    without_reason: tuple[str, ...],
    with_reason: tuple[str, ...],
) -> None:
    """available() lists events accepted now; withdraw, drop, reopen, fail unscored need reason=."""
    nip = drive(engine, cohort.code, state)
    if state == "on_class":
        engine.register_project(cohort.code, nip, PROJECT)
    assert engine.available(cohort.code, nip) == without_reason
    leaving = ("withdraw", "drop") if state not in LIFECYCLE.finals else ()
    assert (
        engine.available(cohort.code, nip, reason="transfer")
        == without_reason + with_reason + leaving
    )


def test_available_follows_the_guards(engine: Engine, cohort: Cohort) -> None:
    """available() changes as the guards' data arrives: a project, a passing score."""
    nip = drive(engine, cohort.code, "on_class")
    assert engine.available(cohort.code, nip) == ()
    engine.register_project(cohort.code, nip, PROJECT)
    assert engine.available(cohort.code, nip) == ("present_proposal",)
    for event in ("present_proposal", "approve_proposal", "present_results"):
        engine.fire(cohort.code, nip, event)
    engine.record_assessment(cohort.code, nip, 60)
    assert engine.available(cohort.code, nip) == ("fail",)
    engine.record_assessment(cohort.code, nip, 81)
    assert engine.available(cohort.code, nip) == ("graduate",)  # a pass forbids fail


# -- bulk advance -------------------------------------------------------------------------


def test_advance_moves_some_refuses_some_skips_others(engine: Engine, cohort: Cohort) -> None:
    """Advance tries everyone in a source state: accepted commit, refused stay and are audited."""
    ready = [drive(engine, cohort.code, "on_class", office=office(i)) for i in range(2)]
    for nip in ready:
        engine.register_project(cohort.code, nip, PROJECT)
    unready = drive(engine, cohort.code, "on_class", office=office(2))
    waiting = drive(engine, cohort.code, "enrolled", office=office(3))
    gone = drive(engine, cohort.code, "withdrawn", office=office(4))
    lengths = {nip: len(engine.history(nip)) for nip in (*ready, unready, waiting, gone)}
    report = engine.advance(cohort.code, "present_proposal", actor="coach")
    assert report.to_dict() == {
        "cohort": cohort.code,
        "event": "present_proposal",
        "accepted": ready,
        "refused": [
            {
                "nip": unready,
                "violations": [v.to_dict() for v in report.refused[0].violations],
            }
        ],
        "skipped": 2,
    }
    assert codes(report.refused[0]) == ["change_project_missing"]
    assert not report.ok
    assert [engine.state(cohort.code, n) for n in ready] == ["proposal", "proposal"]
    assert engine.state(cohort.code, unready) == "on_class"
    assert engine.history(unready)[-1] == report.refused[0]
    assert [engine.history(n)[-1] for n in ready] == list(report.accepted)
    assert len(engine.history(waiting)) == lengths[waiting]
    assert len(engine.history(gone)) == lengths[gone]
    assert all(e.actor == "coach" for e in (*report.accepted, *report.refused))


def test_advance_with_nobody_to_move(engine: Engine, cohort: Cohort) -> None:
    """Advance with no participant in a source state moves nobody and audits nothing."""
    drive(engine, cohort.code, "enrolled")
    seen = len(engine.history(cohort=cohort.code))
    report = engine.advance(cohort.code, "graduate")
    assert report.to_dict() == {
        "cohort": cohort.code,
        "event": "graduate",
        "accepted": [],
        "refused": [],
        "skipped": 1,
    }
    assert report.ok
    assert len(engine.history(cohort=cohort.code)) == seen


def test_advance_passes_reason_to_everyone(engine: Engine, cohort: Cohort) -> None:
    """Advance withdraws every active participant from any stage when given a reason."""
    nips = [
        drive(engine, cohort.code, state, office=office(i))
        for i, state in enumerate(("enrolled", "proposal", "seminar", "graduated"))
    ]
    report = engine.advance(cohort.code, "withdraw", reason="the course is cancelled")
    assert [e.nip for e in report.accepted] == nips[:3]
    assert report.skipped == 1
    assert {e.reason for e in report.accepted} == {"the course is cancelled"}
    assert engine.status(cohort.code).by_state["withdrawn"] == 3


# -- history ------------------------------------------------------------------------------


def test_history_is_oldest_first_with_increasing_seq(
    engine: Engine, cohort: Cohort, clock: FixedClock
) -> None:
    """Accepted and refused attempts are kept oldest first, seq counting up per cohort."""
    first = drive(engine, cohort.code, "on_class", office=office(1))
    clock.advance(hours=1)
    second = drive(engine, cohort.code, "enrolled", office=office(2))
    with pytest.raises(IllegalTransition):
        engine.fire(cohort.code, first, "graduate")
    clock.advance(hours=1)
    engine.fire(cohort.code, second, "start_class")
    trail = engine.history(cohort=cohort.code)
    assert [e.seq for e in trail] == [1, 2, 3, 4, 5, 6]
    assert [(e.nip, e.event, e.outcome) for e in trail] == [
        ("", "create_cohort", "accepted"),
        (first, "enrol", "accepted"),
        (first, "start_class", "accepted"),
        (second, "enrol", "accepted"),
        (first, "graduate", "refused"),
        (second, "start_class", "accepted"),
    ]
    assert [e.event for e in engine.history(first)] == ["enrol", "start_class", "graduate"]
    assert [e.seq for e in engine.history(second)] == [4, 6]
    assert engine.history(first, cohort=cohort.code) == engine.history(first)
    assert engine.history(first, cohort="ANOTHER") == []
    times = [e.at for e in trail]
    assert times == sorted(times)


def test_each_cohort_has_its_own_sequence(engine: Engine, cohort: Cohort) -> None:
    """Seq starts at 1 (the cohort's creation) in every cohort; history() holds both trails."""
    other = engine.create_cohort(make_cohort("PKA-III-VIII-2019")).code
    drive(engine, cohort.code, "on_class", office=office(1))
    drive(engine, other, "enrolled", office=office(2))
    assert [e.seq for e in engine.history(cohort=cohort.code)] == [1, 2, 3]
    assert [e.seq for e in engine.history(cohort=other)] == [1, 2]
    assert [e.event for e in engine.history(cohort=other)] == ["create_cohort", "enrol"]
    assert len(engine.history()) == 5
    assert {e.cohort for e in engine.history()} == {cohort.code, other}


def test_effective_date_is_recorded(engine: Engine, cohort: Cohort) -> None:
    """The effective date given to fire is kept on the entry and in its dict."""
    nip = drive(engine, cohort.code, "enrolled")
    entry = engine.fire(cohort.code, nip, "start_class", effective_date=date(2019, 4, 8))
    assert entry.effective_date == date(2019, 4, 8)
    assert engine.history(nip)[-1].to_dict()["effective_date"] == "2019-04-08"


# -- idempotency keys --------------------------------------------------------------------


def test_retry_with_key_returns_the_original_entry(engine: Engine, cohort: Cohort) -> None:
    """A retried command with the same key returns its first entry and writes nothing."""
    nip = drive(engine, cohort.code, "enrolled")
    first = engine.fire(cohort.code, nip, "start_class", actor="bkd", key="k-start")
    seen = len(engine.history(cohort=cohort.code))
    again = engine.fire(cohort.code, nip, "start_class", actor="bkd", key="k-start")
    assert again == first
    assert len(engine.history(cohort=cohort.code)) == seen
    assert engine.participant(cohort.code, nip).version == 2


def test_refused_command_retried_with_key_raises_again(engine: Engine, cohort: Cohort) -> None:
    """A refused command retried with its key re-raises the same rejection, audited once."""
    nip = drive(engine, cohort.code, "enrolled")
    with pytest.raises(IllegalTransition) as first:
        engine.fire(cohort.code, nip, "graduate", key="k-grad")
    seen = len(engine.history(cohort=cohort.code))
    with pytest.raises(IllegalTransition) as again:
        engine.fire(cohort.code, nip, "graduate", key="k-grad")
    assert again.value.violations == first.value.violations
    assert len(engine.history(cohort=cohort.code)) == seen


def test_key_reused_for_another_command_conflicts(engine: Engine, cohort: Cohort) -> None:
    """The same key with a different command raises IdempotencyConflict and writes nothing."""
    nip = drive(engine, cohort.code, "enrolled")
    engine.fire(cohort.code, nip, "start_class", key="k-1")
    seen = len(engine.history(cohort=cohort.code))
    for retry in (
        lambda: engine.fire(cohort.code, nip, "withdraw", reason="transfer", key="k-1"),
        lambda: engine.fire(cohort.code, nip, "start_class", actor="someone", key="k-1"),
        lambda: engine.advance(cohort.code, "start_class", key="k-1"),
        lambda: engine.enrol(cohort.code, make_participant(office=BKD), key="k-1"),
    ):
        with pytest.raises(IdempotencyConflict) as caught:
            retry()
        assert isinstance(caught.value, StoreError)
        assert caught.value.key == "k-1"
    assert len(engine.history(cohort=cohort.code)) == seen
    assert engine.state(cohort.code, nip) == "on_class"


def test_key_is_not_shared_across_cohorts(engine: Engine, cohort: Cohort) -> None:
    """A key names one command: the same key for another cohort conflicts."""
    other = engine.create_cohort(make_cohort("PKA-III-VIII-2019")).code
    engine.enrol(cohort.code, make_participant(), key="nominate")
    with pytest.raises(IdempotencyConflict):
        engine.enrol(other, make_participant(office=BKD), key="nominate")
    assert engine.participants(other) == []


def test_payload_key_order_does_not_change_the_command(engine: Engine, cohort: Cohort) -> None:
    """A retry whose payload lists the same keys in another order is the same command."""
    nip = drive(engine, cohort.code, "enrolled")
    first = engine.fire(
        cohort.code, nip, "start_class", payload={"room": "A", "day": 1}, key="k-pay"
    )
    again = engine.fire(
        cohort.code, nip, "start_class", payload={"day": 1, "room": "A"}, key="k-pay"
    )
    assert again == first
    with pytest.raises(IdempotencyConflict):
        engine.fire(cohort.code, nip, "start_class", payload={"day": 2, "room": "A"}, key="k-pay")


def test_enrolment_retried_with_key(engine: Engine, cohort: Cohort) -> None:
    """Enrolment retries with a key: accepted ones return the entry, refused ones re-raise."""
    person = make_participant()
    first = engine.enrol(cohort.code, person, key="n-1")
    assert engine.enrol(cohort.code, person, key="n-1") == first
    unfit = make_participant(echelon="IV.a", office=BKD)
    with pytest.raises(TransitionRejected) as refused:
        engine.enrol(cohort.code, unfit, key="n-2")
    seen = len(engine.history(cohort=cohort.code))
    with pytest.raises(TransitionRejected) as again:
        engine.enrol(cohort.code, unfit, key="n-2")
    assert again.value.codes == refused.value.codes == ("rank",)
    assert not isinstance(again.value, IllegalTransition)
    assert len(engine.history(cohort=cohort.code)) == seen == 3  # creation, enrol, refusal


def test_advance_retried_with_key(engine: Engine, cohort: Cohort) -> None:
    """A retried bulk advance returns the same report and writes nothing."""
    for i in range(3):
        drive(engine, cohort.code, "enrolled", office=office(i))
    first = engine.advance(cohort.code, "start_class", key="bulk-1")
    seen = len(engine.history(cohort=cohort.code))
    again = engine.advance(cohort.code, "start_class", key="bulk-1")
    assert again.to_dict() == first.to_dict()
    assert len(first.accepted) == 3
    assert len(engine.history(cohort=cohort.code)) == seen


# -- rollback ----------------------------------------------------------------------------


def _snapshot(engine: Engine, code: str) -> tuple[object, ...]:
    """Everything observable about a cohort: enrolments, history, counts and offices."""
    with engine.store.unit(code) as uow:
        seats = uow.seated(code)
    return (
        [e.to_dict() for e in engine.participants(code)],
        engine.history(cohort=code),
        engine.status(code).to_dict(),
        seats,
        engine.store.offices(),
    )


def _boom(context: RuleContext) -> Verdict:
    """A rule that crashes."""
    raise ZeroDivisionError(context.event)


def _engine_with(clock: FixedClock, name: str, rule: Any) -> Engine:
    """An engine whose rule ``name`` is replaced by ``rule``."""
    rules = RuleRegistry.default().copy()
    rules.register(name, rule, replace=True)
    return trusted_engine(rules=rules, clock=clock)


def test_crashing_rule_changes_nothing(clock: FixedClock) -> None:
    """A rule that raises becomes RuleError and nothing changes: state, version, history."""
    engine = _engine_with(clock, "change_project", _boom)
    code = engine.create_cohort(make_cohort()).code
    nip = drive(engine, code, "on_class")
    before = _snapshot(engine, code)
    with pytest.raises(RuleError) as caught:
        engine.fire(code, nip, "present_proposal")
    assert caught.value.rule == "change_project"
    assert isinstance(caught.value.cause, ZeroDivisionError)
    assert _snapshot(engine, code) == before
    with pytest.raises(RuleError):
        engine.check(code, nip, "present_proposal")


def test_crashing_enrolment_rule_changes_nothing(clock: FixedClock) -> None:
    """A crashing enrolment rule leaves no participant, no audit entry and no new office."""
    engine = _engine_with(clock, "cohort_capacity", _boom)
    code = engine.create_cohort(make_cohort()).code
    before = _snapshot(engine, code)
    with pytest.raises(RuleError) as caught:
        engine.enrol(code, make_participant())
    assert caught.value.rule == "cohort_capacity"
    assert _snapshot(engine, code) == before
    assert engine.store.offices() == []


def test_rule_returning_a_non_verdict_is_a_rule_error(clock: FixedClock) -> None:
    """A rule that returns anything but a Verdict raises RuleError and changes nothing."""
    engine = _engine_with(clock, "reason_required", lambda _context: True)
    code = engine.create_cohort(make_cohort()).code
    nip = drive(engine, code, "laboratory")
    before = _snapshot(engine, code)
    with pytest.raises(RuleError, match="not a Verdict") as caught:
        engine.fire(code, nip, "withdraw", reason="transfer")
    assert caught.value.rule == "reason_required"
    assert isinstance(caught.value.cause, TypeError)
    assert _snapshot(engine, code) == before


def test_crash_midway_through_advance_undoes_the_whole_batch(clock: FixedClock) -> None:
    """When a rule crashes for one participant of a bulk advance, nobody moves."""
    victims: set[str] = set()

    def picky(context: RuleContext) -> Verdict:
        """Crash for the chosen participant only."""
        if context.participant.nip in victims:
            raise RuntimeError("disk on fire")
        return Verdict()

    engine = _engine_with(clock, "reason_required", picky)
    code = engine.create_cohort(make_cohort()).code
    nips = [drive(engine, code, "on_class", office=office(i)) for i in range(3)]
    victims.add(nips[1])
    before = _snapshot(engine, code)
    with pytest.raises(RuleError):
        engine.advance(code, "drop", reason="cohort cancelled")
    assert _snapshot(engine, code) == before


# -- listeners ---------------------------------------------------------------------------


def test_listeners_see_accepted_entries_after_commit(engine: Engine, cohort: Cohort) -> None:
    """A listener gets each accepted entry once it is committed, never refused ones."""
    seen: list[tuple[HistoryEntry, str]] = []

    def listener(entry: HistoryEntry) -> None:
        """Record the entry and the state the store shows at that moment."""
        seen.append((entry, engine.state(entry.cohort, entry.nip)))

    engine.subscribe(listener)
    person = make_participant()
    enrolled = engine.enrol(cohort.code, person)
    started = engine.fire(cohort.code, person.nip, "start_class")
    with pytest.raises(IllegalTransition):
        engine.fire(cohort.code, person.nip, "graduate")
    with pytest.raises(TransitionRejected):
        engine.enrol(cohort.code, make_participant(echelon="IV.a", office=BKD))
    assert seen == [(enrolled, "enrolled"), (started, "on_class")]


@pytest.mark.usefixtures("unconfigured_structlog")
def test_failing_listener_does_not_undo_the_transition(
    engine: Engine, cohort: Cohort, caplog: pytest.LogCaptureFixture
) -> None:
    """A listener that raises is logged; the move stands and later listeners still run."""
    later: list[str] = []

    def broken(entry: HistoryEntry) -> None:
        """Fail on every entry."""
        raise RuntimeError(f"mail server down for {entry.nip}")

    nip = drive(engine, cohort.code, "enrolled")
    engine.subscribe(broken)
    engine.subscribe(lambda entry: later.append(entry.event))
    with caplog.at_level(logging.ERROR, logger="changeflow"):
        entry = engine.fire(cohort.code, nip, "start_class")
    assert entry.accepted
    assert engine.state(cohort.code, nip) == "on_class"
    assert later == ["start_class"]
    [record] = [r for r in caplog.records if "listener_failed" in r.getMessage()]
    assert record.name == "changeflow"
    assert record.levelno == logging.ERROR
    assert "mail server down" in record.getMessage()
    assert nip in record.getMessage()


def test_unsubscribe_stops_notifications(engine: Engine, cohort: Cohort) -> None:
    """The function subscribe returns removes the listener."""
    seen: list[str] = []
    unsubscribe = engine.subscribe(lambda entry: seen.append(entry.event))
    nip = drive(engine, cohort.code, "enrolled")
    unsubscribe()
    engine.fire(cohort.code, nip, "start_class")
    assert seen == ["enrol"]


def test_unsubscribing_twice_is_harmless(engine: Engine, cohort: Cohort) -> None:
    """Calling the unsubscriber again neither raises nor removes another listener."""
    seen: list[str] = []
    unsubscribe = engine.subscribe(lambda _entry: None)
    engine.subscribe(lambda entry: seen.append(entry.event))
    unsubscribe()
    unsubscribe()
    drive(engine, cohort.code, "enrolled")
    assert seen == ["enrol"]


def test_constructor_listeners_and_bulk_notifications(clock: FixedClock) -> None:
    """Listeners given to the constructor hear every accepted entry of a bulk advance."""
    seen: list[str] = []
    engine = trusted_engine(clock=clock, listeners=[lambda entry: seen.append(entry.nip)])
    code = engine.create_cohort(make_cohort()).code
    nips = [drive(engine, code, "enrolled", office=office(i)) for i in range(3)]
    seen.clear()
    engine.advance(code, "start_class")
    assert seen == nips


# -- logging -----------------------------------------------------------------------------


@pytest.mark.usefixtures("unconfigured_structlog")
def test_nothing_is_printed_when_logging_is_not_configured(
    engine: Engine, cohort: Cohort, capsys: pytest.CaptureFixture[str]
) -> None:
    """With structlog unconfigured, enrol and fire (accepted or refused) print nothing."""
    assert not structlog.is_configured()
    person = make_participant()
    engine.enrol(cohort.code, person)
    engine.fire(cohort.code, person.nip, "start_class")
    with pytest.raises(IllegalTransition):
        engine.fire(cohort.code, person.nip, "graduate")
    assert capsys.readouterr().out == ""


@pytest.mark.usefixtures("unconfigured_structlog")
def test_each_transition_is_logged_through_stdlib(
    engine: Engine, cohort: Cohort, caplog: pytest.LogCaptureFixture
) -> None:
    """With 'changeflow' at INFO, each accepted or refused attempt logs one 'transition' record."""
    person = make_participant()
    with caplog.at_level(logging.INFO, logger="changeflow"):
        engine.enrol(cohort.code, person, actor="BKD")
        engine.fire(cohort.code, person.nip, "start_class", actor="coach")
        with pytest.raises(IllegalTransition):
            engine.fire(cohort.code, person.nip, "graduate", actor="examiner")
    records = [r for r in caplog.records if "event='transition'" in r.getMessage()]
    assert len(records) == 3
    expected = [
        ("enrol", "from=None", "to='enrolled'", "BKD", logging.INFO),
        ("start_class", "from='enrolled'", "to='on_class'", "coach", logging.INFO),
        ("graduate", "from='on_class'", "to=None", "examiner", logging.WARNING),
    ]
    for record, (event, source, target, actor, level) in zip(records, expected, strict=True):
        message = record.getMessage()
        assert record.name == "changeflow"
        assert record.levelno == level
        for part in (f"cohort='{cohort.code}'", f"participant='{person.nip}'", source, target):
            assert part in message
        assert f"'{event}'" in message
        assert f"actor='{actor}'" in message


@pytest.mark.usefixtures("unconfigured_structlog")
def test_configured_structlog_receives_the_transitions(engine: Engine, cohort: Cohort) -> None:
    """Once the application configures structlog, transitions go through its pipeline."""
    person = make_participant()
    with structlog.testing.capture_logs() as logs:
        engine.enrol(cohort.code, person)
        engine.fire(cohort.code, person.nip, "start_class", actor="coach")
    moves = [log for log in logs if log["event"] == "transition"]
    assert [(m["trigger"], m["from"], m["to"], m["outcome"]) for m in moves] == [
        ("enrol", None, "enrolled", "accepted"),
        ("start_class", "enrolled", "on_class", "accepted"),
    ]
    assert moves[1]["participant"] == person.nip
    assert moves[1]["cohort"] == cohort.code
    assert moves[1]["actor"] == "coach"


# -- groups, status, payload ---------------------------------------------------------------


def _with_theme(engine: Engine, code: str, number: int, theme: str) -> str:
    """Enrol a participant from office ``number`` with a project on ``theme``."""
    nip = drive(engine, code, "on_class", office=office(number))
    project = PROJECT.model_copy(update={"title": f"Proyek {number}", "theme": theme})
    engine.register_project(code, nip, project)
    return nip


def test_groups_keep_themes_together(engine: Engine, cohort: Cohort) -> None:
    """Three themes of four make three single-theme groups of four, stored on enrolments."""
    themes = ("kesehatan", "kependudukan", "perizinan")
    by_theme = {
        t: [_with_theme(engine, cohort.code, 10 * k + i, t) for i in range(4)]
        for k, t in enumerate(themes)
    }
    groups = engine.form_groups(cohort.code, 3)
    assert [g.number for g in groups] == [1, 2, 3]
    assert {frozenset(g.members) for g in groups} == {frozenset(m) for m in by_theme.values()}
    for group in groups:
        assert len(group.themes) == 1
        assert set(group.members) == set(by_theme[group.themes[0]])
        for nip in group.members:
            assert engine.participant(cohort.code, nip).group == group.number
    assert dict(engine.status(cohort.code).by_group) == {1: 4, 2: 4, 3: 4}


def test_groups_are_balanced_without_splitting_themes(engine: Engine, cohort: Cohort) -> None:
    """Six themes of two fill three groups of four, each theme in one group."""
    theme_of = {
        _with_theme(engine, cohort.code, i, f"tema {i // 2}"): f"tema {i // 2}" for i in range(12)
    }
    groups = engine.form_groups(cohort.code, 3)
    assert [len(g.members) for g in groups] == [4, 4, 4]
    for group in groups:
        assert {theme_of[n] for n in group.members} == set(group.themes)
    placed = [theme for g in groups for theme in g.themes]
    assert sorted(placed) == sorted(set(theme_of.values()))


def test_group_sizes_stay_within_one(engine: Engine, cohort: Cohort) -> None:
    """Seven participants of one-person themes make groups of sizes 3, 2 and 2."""
    for i in range(7):
        _with_theme(engine, cohort.code, i, f"tema {i}")
    sizes = sorted(len(g.members) for g in engine.form_groups(cohort.code, 3))
    assert sizes == [2, 2, 3]


def test_groups_leave_out_those_who_left(engine: Engine, cohort: Cohort) -> None:
    """Withdrawn and dropped participants hold no seat and are not grouped."""
    kept = [_with_theme(engine, cohort.code, i, "kesehatan") for i in range(2)]
    gone = drive(engine, cohort.code, "dropped", office=office(9))
    groups = engine.form_groups(cohort.code, 2)
    assert sorted(n for g in groups for n in g.members) == sorted(kept)
    assert engine.participant(cohort.code, gone).group is None


@pytest.mark.parametrize("count", [0, -1])
def test_group_count_must_be_positive(engine: Engine, cohort: Cohort, count: int) -> None:
    """form_groups refuses a count below one with InvalidInput naming 'count'."""
    with pytest.raises(InvalidInput) as caught:
        engine.form_groups(cohort.code, count)
    assert caught.value.field == "count"
    assert isinstance(caught.value, ValueError)


def test_status_counts_states_offices_and_groups(engine: Engine, cohort: Cohort) -> None:
    """status() lists every state (zeros too), counts per office and per group."""
    drive(engine, cohort.code, "enrolled", office=DINKES)
    drive(engine, cohort.code, "seminar", office=DINKES)
    drive(engine, cohort.code, "withdrawn", office=BKD)
    status = engine.status(cohort.code)
    assert dict(status.by_state) == {
        "enrolled": 1,
        "on_class": 0,
        "proposal": 0,
        "laboratory": 0,
        "seminar": 1,
        "graduated": 0,
        "not_passed": 0,
        "withdrawn": 1,
        "dropped": 0,
    }
    assert dict(status.by_office) == {"DINKES": 2, "BKD": 1}
    assert dict(status.by_group) == {None: 3}
    assert status.total == 3
    shown = status.to_dict()
    assert shown["counts"] == dict(status.by_state)
    assert shown["by_group"] == {"none": 3}
    assert json.loads(json.dumps(shown)) == shown


@pytest.mark.parametrize(
    "payload",
    [{"when": date(2019, 7, 1)}, {"ids": {1, 2}}, {"score": math.nan}, ["not", "a", "mapping"]],
    ids=["date", "set", "nan", "list"],
)
def test_payload_must_be_json_compatible(engine: Engine, cohort: Cohort, payload: Any) -> None:
    """A payload that is not a JSON-compatible mapping is InvalidInput; nothing is audited."""
    nip = drive(engine, cohort.code, "enrolled")
    seen = len(engine.history(cohort=cohort.code))
    with pytest.raises(InvalidInput) as caught:
        engine.fire(cohort.code, nip, "start_class", payload=payload)
    assert caught.value.field == "payload"
    with pytest.raises(InvalidInput):
        engine.enrol(cohort.code, make_participant(office=BKD), payload=payload)
    assert len(engine.history(cohort=cohort.code)) == seen
    assert engine.state(cohort.code, nip) == "enrolled"


def test_payload_is_copied(engine: Engine, cohort: Cohort) -> None:
    """Changing the caller's payload after fire changes nothing in the history."""
    nip = drive(engine, cohort.code, "enrolled")
    payload: dict[str, Any] = {"room": "Aula BKD", "visits": ["Kulon Progo"]}
    entry = engine.fire(cohort.code, nip, "start_class", payload=payload)
    payload["room"] = "changed"
    payload["visits"].append("changed")
    stored = engine.history(nip)[-1].payload
    assert stored == entry.payload == {"room": "Aula BKD", "visits": ["Kulon Progo"]}
    with pytest.raises(TypeError):
        entry.payload["room"] = "x"  # type: ignore[index]


def test_cohorts_are_listed_and_duplicates_refused(engine: Engine, cohort: Cohort) -> None:
    """Cohorts are listed by code; creating a taken code again raises AlreadyExists."""
    other = engine.create_cohort(make_cohort("AAA-1"))
    assert [c.code for c in engine.cohorts()] == ["AAA-1", cohort.code]
    assert engine.cohort(other.code) == other
    with pytest.raises(AlreadyExists):
        engine.create_cohort(make_cohort())


def test_engine_defaults_work_without_arguments() -> None:
    """Engine() runs on a memory store and the system clock with the default lifecycle."""
    engine = trusted_engine()
    assert isinstance(engine.store, MemoryStore)
    assert engine.lifecycle.name == "change_project"
    code = engine.create_cohort(make_cohort()).code
    nip = drive(engine, code, "on_class")
    assert engine.history(nip)[-1].at.tzinfo is not None
    assert "change_project" in repr(engine)
