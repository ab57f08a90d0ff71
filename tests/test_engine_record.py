"""The record: data commands are audited commands, closed records stay closed, corrections.

Every scenario at the top of issue 10, through the Python API on the in-memory store:
a graduate's score and project cannot be replaced, a withdrawn participant cannot be
assessed, groups are not re-formed after a graduation; corrections, reopening, transfers
and the past reconstructed from the chain.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import structlog
from pydantic import ValidationError

from changeflow import (
    Assessment,
    ChangeProject,
    Engine,
    Grade,
    Group,
    HistoryEntry,
    IdempotencyConflict,
    InvalidInput,
    Mentor,
    TransitionRejected,
    load_definition,
)
from factories import BKD, DINKES, DISPENDUK, make_cohort, make_participant, office

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from changeflow import Cohort, FixedClock

DATA = Path(__file__).parent / "data"
MENTOR = Mentor(name="dr. Anang Budi Yoelijanto")
PROJECT = ChangeProject(
    title="Aplikasi antrean puskesmas daring", theme="pelayanan kesehatan", mentor=MENTOR
)
OTHER_PROJECT = ChangeProject(
    title="Pojok baca desa", theme="literasi", mentor=Mentor(name="Kepala Dinas Pendidikan")
)
ACTIVE = ("enrolled", "on_class", "proposal", "laboratory", "seminar")
TO_SEMINAR = ("start_class", "present_proposal", "approve_proposal", "present_results")
FINALS = ("graduated", "not_passed", "withdrawn", "dropped")
WHY = "the score was typed wrongly"


def walk(engine: Engine, code: str, nip: str, state: str) -> None:
    """Move an enrolled participant along the happy path to the active ``state``."""
    for event in TO_SEMINAR[: ACTIVE.index(state)]:
        if event == "present_proposal":
            engine.register_project(code, nip, PROJECT)
        engine.fire(code, nip, event)


def reach(
    engine: Engine,
    code: str,
    state: str,
    *,
    score: float | None = None,
    via: str = "enrolled",
    **person: Any,
) -> str:
    """Enrol a participant and bring it to ``state``; return the NIP.

    A graduate is scored 85 and a participant not passed 60 unless ``score`` says
    otherwise; ``score`` is recorded at the seminar. Withdrawn and dropped participants
    leave from ``via``.
    """
    participant = make_participant(**person)
    engine.enrol(code, participant)
    nip = participant.nip
    if state in {"withdrawn", "dropped"}:
        walk(engine, code, nip, via)
        event = "withdraw" if state == "withdrawn" else "drop"
        engine.fire(code, nip, event, reason="long-term medical treatment")
    else:
        walk(engine, code, nip, "seminar" if state in FINALS else state)
        if score is None:
            score = {"graduated": 85, "not_passed": 60}.get(state)
        if score is not None:
            engine.record_assessment(code, nip, score)
        if state == "graduated":
            engine.fire(code, nip, "graduate")
        elif state == "not_passed":
            engine.fire(code, nip, "fail")
    assert engine.state(code, nip) == state
    return nip


def trail(engine: Engine, code: str) -> list[HistoryEntry]:
    """The cohort's whole audit trail."""
    return engine.history(cohort=code)


def observe(engine: Engine, code: str) -> tuple[object, ...]:
    """Everything stored about a cohort but its trail: enrolments, counts, seats, offices."""
    with engine.store.unit(code) as uow:
        seats = uow.seated(code)
        per_office = {o.code: uow.seated_from_office(code, o.code) for o in engine.offices()}
    return (
        [e.to_dict() for e in engine.participants(code)],
        engine.status(code).to_dict(),
        seats,
        per_office,
        engine.offices(),
    )


def verified(engine: Engine, code: str) -> bool:
    """Whether the cohort's chain verifies and its stored facts agree with its replay."""
    [check] = engine.verify(code)
    assert check.differences == (), check.problem
    return check.ok


@pytest.fixture
def unconfigured_structlog() -> Iterator[None]:
    """Structlog as in an application that never configured it."""
    structlog.reset_defaults()
    yield
    structlog.reset_defaults()


# -- closed records stay closed ------------------------------------------------------------


def test_graduate_cannot_be_reassessed(engine: Engine, cohort: Cohort) -> None:
    """A graduate scored 85 assessed again at 40 is refused (record_closed), score kept."""
    nip = reach(engine, cohort.code, "graduated", score=85)
    with pytest.raises(TransitionRejected) as caught:
        engine.record_assessment(cohort.code, nip, 40)
    assert caught.value.codes == ("record_closed",)
    assert (caught.value.nip, caught.value.event, caught.value.state) == (
        nip,
        "record_assessment",
        "graduated",
    )
    assert caught.value.violations[0].facts == {"nip": nip, "state": "graduated"}
    assert caught.value.violations[0].message_id
    assert engine.participant(cohort.code, nip).scores == {"overall": 85.0}
    refused = engine.history(nip)[-1]
    assert (refused.event, refused.source, refused.target, refused.outcome) == (
        "record_assessment",
        "graduated",
        "graduated",
        "refused",
    )
    assert verified(engine, cohort.code)


def test_graduate_cannot_get_a_new_project(engine: Engine, cohort: Cohort) -> None:
    """Replacing a graduate's project (and mentor) is refused; the project and mentor stay."""
    nip = reach(engine, cohort.code, "graduated")
    with pytest.raises(TransitionRejected) as caught:
        engine.register_project(cohort.code, nip, OTHER_PROJECT.model_copy(update={"mentor": None}))
    assert caught.value.codes == ("record_closed",)
    assert engine.participant(cohort.code, nip).project == PROJECT
    assert engine.history(nip)[-1].event == "register_project"
    assert verified(engine, cohort.code)


def test_withdrawn_participant_cannot_be_assessed(engine: Engine, cohort: Cohort) -> None:
    """A withdrawn participant assessed at 99 is refused (record_closed) and stays unscored."""
    nip = reach(engine, cohort.code, "withdrawn", via="laboratory")
    with pytest.raises(TransitionRejected) as caught:
        engine.record_assessment(cohort.code, nip, 99)
    assert caught.value.codes == ("record_closed",)
    assert engine.participant(cohort.code, nip).scores is None
    assert verified(engine, cohort.code)


@pytest.mark.parametrize("state", FINALS)
@pytest.mark.parametrize("command", ["register_project", "record_assessment"])
def test_every_final_state_closes_the_record(
    engine: Engine, cohort: Cohort, state: str, command: str
) -> None:
    """In each final state, registering a project and recording a score are record_closed."""
    nip = reach(engine, cohort.code, state)
    before = observe(engine, cohort.code)
    run = {
        "register_project": lambda: engine.register_project(cohort.code, nip, OTHER_PROJECT),
        "record_assessment": lambda: engine.record_assessment(cohort.code, nip, 77),
    }[command]
    with pytest.raises(TransitionRejected) as caught:
        run()
    assert caught.value.codes == ("record_closed",)
    assert observe(engine, cohort.code) == before


def _grouped_cohort(engine: Engine, code: str) -> tuple[list[str], list[str]]:
    """Six participants with projects placed in groups; two then end (graduated, not passed).

    Returns (the ones still active, the two whose record closed).
    """
    nips = [reach(engine, code, "laboratory", office=office(i)) for i in range(6)]
    for i, nip in enumerate(nips):
        theme = ChangeProject(title=f"Proyek {i}", theme=f"tema {i % 3}", mentor=MENTOR)
        engine.register_project(code, nip, theme)
    engine.form_groups(code, 3)
    closed = nips[1:3]
    for nip, score, event in zip(closed, (88, 50), ("graduate", "fail"), strict=True):
        engine.fire(code, nip, "present_results")
        engine.record_assessment(code, nip, score)
        engine.fire(code, nip, event)
    return [n for n in nips if n not in closed], closed


def test_form_groups_after_a_graduation_is_refused_as_a_whole(
    engine: Engine, cohort: Cohort
) -> None:
    """Regrouping once someone's record closed regroups nobody and audits only the refusals."""
    active, closed = _grouped_cohort(engine, cohort.code)
    before = observe(engine, cohort.code)
    seen = len(trail(engine, cohort.code))
    heard: list[HistoryEntry] = []
    engine.subscribe(heard.append)
    with pytest.raises(TransitionRejected) as caught:
        engine.form_groups(cohort.code, 2, actor="coach")
    assert caught.value.codes == ("record_closed", "record_closed")
    assert sorted(v.facts["nip"] for v in caught.value.violations) == sorted(closed)
    assert observe(engine, cohort.code) == before
    added = trail(engine, cohort.code)[seen:]
    assert sorted((e.nip, e.event, e.outcome, e.actor) for e in added) == sorted(
        (nip, "form_groups", "refused", "coach") for nip in closed
    )
    assert (caught.value.event, caught.value.nip) == ("form_groups", added[0].nip)
    assert all(e.source == e.target == engine.state(cohort.code, e.nip) for e in added)
    assert heard == []
    assert all(engine.participant(cohort.code, n).group is not None for n in active)
    assert verified(engine, cohort.code)


def test_form_groups_skips_those_without_a_seat(engine: Engine, cohort: Cohort) -> None:
    """A withdrawn participant holds no seat: not grouped, not judged, no refusal for it."""
    kept = [reach(engine, cohort.code, "on_class", office=office(i)) for i in range(2)]
    gone = reach(engine, cohort.code, "withdrawn", office=office(5))
    seen = len(trail(engine, cohort.code))
    groups = engine.form_groups(cohort.code, 1)
    assert [sorted(g.members) for g in groups] == [sorted(kept)]
    assert {e.nip for e in trail(engine, cohort.code)[seen:]} == set(kept)
    assert engine.participant(cohort.code, gone).group is None


# -- every data command is an audited command -----------------------------------------------


@dataclass(frozen=True)
class Case:
    """A data command run on a participant in ``state``, and the fact it changes."""

    name: str
    state: str
    run: Callable[..., Any]
    fact: str
    expected: Callable[[str], tuple[Any, Any]]
    """(before, after) of ``fact`` in the entry's change, given the NIP."""
    returns: Callable[[HistoryEntry], Any]
    """What the command returns, given its entry."""
    score: float | None = None
    """A score recorded while reaching ``state``."""


def _person(name: str) -> dict[str, Any]:
    """A participant's facts as an entry records them (the factory's defaults, named)."""
    return {"name": name, "echelon": "III.a", "birth_date": "1975-06-01", "retirement_age": None}


CASES = [
    Case(
        "register_project",
        "on_class",
        lambda engine, code, nip, **kw: engine.register_project(code, nip, OTHER_PROJECT, **kw),
        "project",
        lambda _nip: (None, OTHER_PROJECT.model_dump(mode="json")),
        lambda entry: entry,
    ),
    Case(
        "record_assessment",
        "seminar",
        lambda engine, code, nip, **kw: engine.record_assessment(code, nip, 85, **kw),
        "scores",
        lambda _nip: (None, {"overall": 85.0}),
        lambda _entry: Grade(score=85.0, band="memuaskan", passed=True),
    ),
    Case(
        "correct_assessment",
        "seminar",
        lambda engine, code, nip, **kw: engine.correct_assessment(code, nip, 65, **kw),
        "scores",
        lambda _nip: ({"overall": 60.0}, {"overall": 65.0}),
        lambda entry: entry,
        score=60,
    ),
    Case(
        "correct_participant",
        "laboratory",
        lambda engine, code, nip, **kw: engine.correct_participant(
            code, nip, name="Budi Santoso", **kw
        ),
        "participant",
        lambda nip: (_person(f"Peserta {nip[-4:]}"), _person("Budi Santoso")),
        lambda entry: entry,
    ),
    Case(
        "transfer_office",
        "laboratory",
        lambda engine, code, nip, **kw: engine.transfer_office(code, nip, BKD, **kw),
        "office",
        lambda _nip: (
            {"code": DINKES.code, "name": DINKES.name},
            {"code": BKD.code, "name": BKD.name},
        ),
        lambda entry: entry,
    ),
    Case(
        "form_groups",
        "proposal",
        lambda engine, code, _nip, **kw: engine.form_groups(code, 1, **kw),
        "group",
        lambda _nip: (None, 1),
        lambda entry: (Group(number=1, themes=(PROJECT.theme,), members=(entry.nip,)),),
    ),
]
IDS = [c.name for c in CASES]


def _ready(engine: Engine, code: str, case: Case) -> str:
    return reach(engine, code, case.state, score=case.score, office=DINKES)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_data_command_writes_one_audited_entry(
    engine: Engine, cohort: Cohort, clock: FixedClock, case: Case
) -> None:
    """A data command is one entry: its name, actor, reason, state, and the fact before/after."""
    nip = _ready(engine, cohort.code, case)
    version = engine.participant(cohort.code, nip).version
    seen = len(trail(engine, cohort.code))
    clock.advance(hours=1)
    result = case.run(engine, cohort.code, nip, actor="coach", reason="registrar's request")
    [entry] = trail(engine, cohort.code)[seen:]
    assert result == case.returns(entry)
    assert (entry.nip, entry.event, entry.outcome) == (nip, case.name, "accepted")
    assert (entry.source, entry.target) == (case.state, case.state)
    assert (entry.actor, entry.reason, entry.at) == ("coach", "registrar's request", clock.now())
    assert (entry.seq, entry.format) == (seen + 1, 3)
    before, after = case.expected(nip)
    assert dict(entry.change or {}) == {case.fact: {"before": before, "after": after}}
    assert engine.history(nip)[-1] == entry
    enrolment = engine.participant(cohort.code, nip)
    assert (enrolment.state, enrolment.version) == (case.state, version)  # no move: no version
    assert verified(engine, cohort.code)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_data_command_retried_with_its_key_returns_the_first_result(
    engine: Engine, cohort: Cohort, case: Case
) -> None:
    """A retry with the same key returns the first result and writes nothing."""
    nip = _ready(engine, cohort.code, case)
    first = case.run(engine, cohort.code, nip, reason=WHY, key="k-data")
    seen = trail(engine, cohort.code)
    stored = observe(engine, cohort.code)
    again = case.run(engine, cohort.code, nip, reason=WHY, key="k-data")
    assert again == first
    assert trail(engine, cohort.code) == seen
    assert observe(engine, cohort.code) == stored


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_data_command_key_reused_for_another_command_conflicts(
    engine: Engine, cohort: Cohort, case: Case
) -> None:
    """The same key for a different command (or other arguments) conflicts; nothing is written."""
    nip = _ready(engine, cohort.code, case)
    case.run(engine, cohort.code, nip, reason=WHY, key="k-data")
    seen = trail(engine, cohort.code)
    stored = observe(engine, cohort.code)
    for other in (
        lambda: engine.fire(cohort.code, nip, "withdraw", reason="transfer", key="k-data"),
        lambda: case.run(engine, cohort.code, nip, reason="another reason", key="k-data"),
        lambda: engine.register_project(cohort.code, nip, PROJECT, key="k-data"),
    ):
        with pytest.raises(IdempotencyConflict) as caught:
            other()
        assert caught.value.key == "k-data"
    assert trail(engine, cohort.code) == seen
    assert observe(engine, cohort.code) == stored


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_data_command_notifies_listeners_after_commit(
    engine: Engine, cohort: Cohort, case: Case
) -> None:
    """A listener hears the accepted entry once the change is stored."""
    nip = _ready(engine, cohort.code, case)
    heard: list[tuple[HistoryEntry, dict[str, Any]]] = []

    def listener(entry: HistoryEntry) -> None:
        """Record the entry and the participant as the store shows it then."""
        heard.append((entry, engine.participant(entry.cohort, entry.nip).to_dict()))

    engine.subscribe(listener)
    case.run(engine, cohort.code, nip, reason=WHY)
    [(entry, seen)] = heard
    assert entry == engine.history(nip)[-1]
    assert entry.event == case.name
    assert seen == engine.participant(cohort.code, nip).to_dict()
    _, after = case.expected(nip)
    shown = {
        "project": seen["project"],
        "scores": seen["scores"],
        "participant": _person(seen["name"]),
        "office": {"code": seen["office"], "name": seen["office_name"]},
        "group": seen["group"],
    }
    assert shown[case.fact] == after


@pytest.mark.usefixtures("unconfigured_structlog")
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_data_command_is_logged_under_its_name(engine: Engine, cohort: Cohort, case: Case) -> None:
    """A configured structlog receives one event named after the data command."""
    nip = _ready(engine, cohort.code, case)
    with structlog.testing.capture_logs() as logs:
        case.run(engine, cohort.code, nip, actor="coach", reason=WHY)
    [logged] = logs
    assert logged["event"] == logged["trigger"] == case.name
    assert (logged["cohort"], logged["participant"], logged["actor"]) == (
        cohort.code,
        nip,
        "coach",
    )
    assert (logged["from"], logged["to"], logged["outcome"]) == (case.state, case.state, "accepted")
    assert logged["log_level"] == "info"
    assert logged["violations"] is None


@dataclass(frozen=True)
class Refusal:
    """A data command refused for a participant in ``state``, and the codes it is refused with."""

    name: str
    state: str
    run: Callable[[Engine, str, str], Any]
    codes: tuple[str, ...]


REFUSALS = [
    Refusal(
        "register_project",
        "graduated",
        lambda engine, code, nip: engine.register_project(code, nip, OTHER_PROJECT),
        ("record_closed",),
    ),
    Refusal(
        "record_assessment",
        "dropped",
        lambda engine, code, nip: engine.record_assessment(code, nip, 99),
        ("record_closed",),
    ),
    Refusal(
        "correct_assessment",
        "not_passed",
        lambda engine, code, nip: engine.correct_assessment(code, nip, 95, reason=" "),
        ("reason_required", "outcome_would_change"),
    ),
    Refusal(
        "correct_participant",
        "seminar",
        lambda engine, code, nip: engine.correct_participant(code, nip, echelon="III.b"),
        ("reason_required",),
    ),
    Refusal(
        "transfer_office",
        "laboratory",
        lambda engine, code, nip: engine.transfer_office(code, nip, DISPENDUK),
        ("reason_required", "office_quota"),
    ),
    Refusal(
        "form_groups",
        "graduated",
        lambda engine, code, _nip: engine.form_groups(code, 2),
        ("record_closed",),
    ),
]


@pytest.mark.usefixtures("unconfigured_structlog")
@pytest.mark.parametrize("refusal", REFUSALS, ids=[r.name for r in REFUSALS])
def test_refused_data_command_writes_only_its_refused_entry(
    engine: Engine, cohort: Cohort, refusal: Refusal
) -> None:
    """A refused data command changes nothing but its audited refusal; nobody hears it."""
    for i in range(2):  # Dispenduk's seats are both taken
        reach(engine, cohort.code, "enrolled", office=DISPENDUK, name=f"Dispenduk {i}")
    nip = reach(engine, cohort.code, refusal.state, office=DINKES)
    before = observe(engine, cohort.code)
    seen = len(trail(engine, cohort.code))
    heard: list[HistoryEntry] = []
    engine.subscribe(heard.append)
    with structlog.testing.capture_logs() as logs, pytest.raises(TransitionRejected) as caught:
        refusal.run(engine, cohort.code, nip)
    assert caught.value.codes == refusal.codes
    assert (caught.value.nip, caught.value.event) == (nip, refusal.name)
    assert observe(engine, cohort.code) == before
    [entry] = trail(engine, cohort.code)[seen:]
    assert (entry.nip, entry.event, entry.outcome) == (nip, refusal.name, "refused")
    assert tuple(v.code for v in entry.violations) == refusal.codes
    assert heard == []
    [logged] = logs
    assert (logged["event"], logged["outcome"], logged["log_level"]) == (
        refusal.name,
        "refused",
        "warning",
    )
    assert tuple(logged["violations"]) == refusal.codes
    assert verified(engine, cohort.code)


def test_refused_data_command_retried_with_its_key_raises_again(
    engine: Engine, cohort: Cohort
) -> None:
    """A refused data command retried with its key raises the same refusal, audited once."""
    nip = reach(engine, cohort.code, "graduated")
    with pytest.raises(TransitionRejected) as first:
        engine.record_assessment(cohort.code, nip, 40, key="k-late")
    seen = len(trail(engine, cohort.code))
    with pytest.raises(TransitionRejected) as again:
        engine.record_assessment(cohort.code, nip, 40, key="k-late")
    assert again.value.violations == first.value.violations
    assert len(trail(engine, cohort.code)) == seen


def test_form_groups_retried_with_its_key_returns_the_same_groups(
    engine: Engine, cohort: Cohort
) -> None:
    """form_groups with a key answers a retry with the groups it formed, writing nothing."""
    for i in range(4):
        reach(engine, cohort.code, "on_class", office=office(i))
    first = engine.form_groups(cohort.code, 2, key="k-groups")
    seen = len(trail(engine, cohort.code))
    assert engine.form_groups(cohort.code, 2, key="k-groups") == first
    assert len(trail(engine, cohort.code)) == seen
    with pytest.raises(IdempotencyConflict):
        engine.form_groups(cohort.code, 3, key="k-groups")


def test_form_groups_writes_one_entry_per_seated_participant(
    engine: Engine, cohort: Cohort
) -> None:
    """Each placement is an entry whose data names the group and its themes."""
    nips = [reach(engine, cohort.code, "proposal", office=office(i)) for i in range(3)]
    seen = len(trail(engine, cohort.code))
    groups = engine.form_groups(cohort.code, 2)
    placed = {nip: g for g in groups for nip in g.members}
    entries = trail(engine, cohort.code)[seen:]
    assert sorted(e.nip for e in entries) == sorted(nips)
    for entry in entries:
        group = placed[entry.nip]
        assert entry.data == {"group": group.number, "themes": list(group.themes)}
        assert entry.change == {"group": {"before": None, "after": group.number}}


def test_record_assessment_returns_the_grade_and_records_it(engine: Engine, cohort: Cohort) -> None:
    """Recording the last missing score returns the grade and keeps it in the entry's data."""
    nip = reach(engine, cohort.code, "seminar")
    grade = engine.record_assessment(cohort.code, nip, 91)
    assert grade == Grade(score=91.0, band="sangat memuaskan", passed=True)
    assert engine.history(nip)[-1].data == {
        "score": 91.0,
        "grade": "sangat memuaskan",
        "passed": True,
    }


def test_partial_assessment_records_no_grade(clock: FixedClock) -> None:
    """With two weighted components, the first score records no grade; the second does."""
    engine = Engine(clock=clock)
    grading = {"weights": {"paper": 1.0, "seminar": 1.0}}
    code = engine.create_cohort(make_cohort(grading=grading)).code
    nip = reach(engine, code, "seminar")
    assert engine.record_assessment(code, nip, Assessment(score=80, component="paper")) is None
    assert engine.history(nip)[-1].data is None
    grade = engine.record_assessment(code, nip, Assessment(score=90, component="seminar"))
    assert grade == Grade(score=85.0, band="memuaskan", passed=True)
    assert engine.participant(code, nip).scores == {"paper": 80.0, "seminar": 90.0}


# -- correct_assessment -------------------------------------------------------------------


@pytest.mark.parametrize("reason", [None, "", "  "])
def test_correct_assessment_needs_a_reason(
    engine: Engine, cohort: Cohort, reason: str | None
) -> None:
    """A score correction without a non-blank reason is refused (reason_required)."""
    nip = reach(engine, cohort.code, "graduated", score=85)
    with pytest.raises(TransitionRejected) as caught:
        engine.correct_assessment(cohort.code, nip, 86, reason=reason)
    assert caught.value.codes == ("reason_required",)
    assert engine.participant(cohort.code, nip).scores == {"overall": 85.0}


def test_correct_assessment_regrades_a_graduate(engine: Engine, cohort: Cohort) -> None:
    """Correcting a graduate's 85 to 95 stays graduated and records the new band."""
    nip = reach(engine, cohort.code, "graduated", score=85)
    entry = engine.correct_assessment(cohort.code, nip, 95, actor="examiner", reason=WHY)
    assert (entry.event, entry.source, entry.target, entry.outcome) == (
        "correct_assessment",
        "graduated",
        "graduated",
        "accepted",
    )
    assert entry.data == {"score": 95.0, "grade": "sangat memuaskan", "passed": True}
    assert entry.change == {"scores": {"before": {"overall": 85.0}, "after": {"overall": 95.0}}}
    after = engine.participant(cohort.code, nip)
    assert (after.state, after.scores) == ("graduated", {"overall": 95.0})
    assert verified(engine, cohort.code)


@pytest.mark.parametrize(
    ("state", "score", "corrected", "outcome"),
    [("graduated", 85, 40, "passed"), ("not_passed", 60, 90, "failed")],
)
def test_correction_may_not_turn_the_outcome_over(
    engine: Engine, cohort: Cohort, state: str, score: float, corrected: float, outcome: str
) -> None:
    """A correction turning a pass into a fail, or a fail into a pass, is outcome_would_change."""
    nip = reach(engine, cohort.code, state, score=score)
    with pytest.raises(TransitionRejected) as caught:
        engine.correct_assessment(cohort.code, nip, corrected, reason=WHY)
    assert caught.value.codes == ("outcome_would_change",)
    facts = caught.value.violations[0].facts
    assert (facts["state"], facts["outcome"], facts["score"]) == (state, outcome, corrected)
    assert engine.participant(cohort.code, nip).scores == {"overall": float(score)}
    assert engine.state(cohort.code, nip) == state


def test_correction_within_the_outcome_is_accepted_for_a_failure(
    engine: Engine, cohort: Cohort
) -> None:
    """A fail corrected to another failing score is accepted and re-graded."""
    nip = reach(engine, cohort.code, "not_passed", score=60)
    entry = engine.correct_assessment(cohort.code, nip, 65, reason=WHY)
    assert entry.data == {"score": 65.0, "grade": "kurang memuaskan", "passed": False}


def test_correction_is_allowed_after_reopen(engine: Engine, cohort: Cohort) -> None:
    """Once the graduation is reopened, 85 may be corrected to 40 and the participant failed."""
    nip = reach(engine, cohort.code, "graduated", score=85)
    reopened = engine.fire(cohort.code, nip, "reopen", reason="the examiner's sheet was misread")
    assert (reopened.source, reopened.target) == ("graduated", "seminar")
    entry = engine.correct_assessment(cohort.code, nip, 40, reason=WHY)
    assert (entry.source, entry.data) == (
        "seminar",
        {"score": 40.0, "grade": "kurang memuaskan", "passed": False},
    )
    failed = engine.fire(cohort.code, nip, "fail")
    assert failed.data == {"score": 40.0, "grade": "kurang memuaskan", "passed": False}
    assert engine.state(cohort.code, nip) == "not_passed"
    assert verified(engine, cohort.code)


def test_correction_in_an_open_record_may_cross_the_pass_mark(
    engine: Engine, cohort: Cohort
) -> None:
    """At the seminar (no outcome yet) a correction from 60 to 85 is accepted."""
    nip = reach(engine, cohort.code, "seminar", score=60)
    entry = engine.correct_assessment(cohort.code, nip, 85, reason=WHY)
    assert entry.data == {"score": 85.0, "grade": "memuaskan", "passed": True}
    assert engine.fire(cohort.code, nip, "graduate").accepted


def test_correcting_a_score_never_recorded_is_invalid_input(engine: Engine, cohort: Cohort) -> None:
    """correct_assessment of a component with no score is InvalidInput; nothing is audited."""
    nip = reach(engine, cohort.code, "seminar")
    seen = len(trail(engine, cohort.code))
    with pytest.raises(InvalidInput) as caught:
        engine.correct_assessment(cohort.code, nip, 85, reason=WHY)
    assert caught.value.field == "component"
    assert len(trail(engine, cohort.code)) == seen


# -- fail needs grounds -------------------------------------------------------------------


@pytest.mark.parametrize("reason", [None, "the panel disagreed"])
def test_fail_is_refused_against_a_passing_grade(
    engine: Engine, cohort: Cohort, reason: str | None
) -> None:
    """Failing a participant whose recorded grade passes (95) is refused: assessment_passes."""
    nip = reach(engine, cohort.code, "seminar", score=95)
    with pytest.raises(TransitionRejected) as caught:
        engine.fire(cohort.code, nip, "fail", reason=reason)
    assert caught.value.codes == ("assessment_passes",)
    assert caught.value.violations[0].facts == {"score": 95.0, "band": "sangat memuaskan"}
    assert engine.state(cohort.code, nip) == "seminar"
    refused = engine.history(nip)[-1]
    assert (refused.event, refused.outcome, refused.target) == ("fail", "refused", "not_passed")


def test_fail_without_an_assessment_needs_a_reason(engine: Engine, cohort: Cohort) -> None:
    """With no score recorded, fail is refused without a reason and accepted with one."""
    nip = reach(engine, cohort.code, "seminar")
    with pytest.raises(TransitionRejected) as caught:
        engine.fire(cohort.code, nip, "fail", reason="  ")
    assert caught.value.codes == ("reason_required",)
    entry = engine.fire(cohort.code, nip, "fail", reason="absent from the seminar")
    assert (entry.target, entry.reason, entry.data) == (
        "not_passed",
        "absent from the seminar",
        None,
    )


def test_fail_on_a_failing_grade_records_it(engine: Engine, cohort: Cohort) -> None:
    """With a complete failing grade, fail is accepted without a reason and records the grade."""
    nip = reach(engine, cohort.code, "seminar", score=62.5)
    entry = engine.fire(cohort.code, nip, "fail")
    assert (entry.target, entry.data) == (
        "not_passed",
        {"score": 62.5, "grade": "kurang memuaskan", "passed": False},
    )


# -- reopen -------------------------------------------------------------------------------


@pytest.mark.parametrize("state", ["graduated", "not_passed"])
def test_reopen_returns_an_outcome_to_the_seminar(
    engine: Engine, cohort: Cohort, state: str
) -> None:
    """Reopening a graduate or a failure returns it to the seminar, active and not completed."""
    nip = reach(engine, cohort.code, state)
    before = engine.participant(cohort.code, nip)
    entry = engine.fire(cohort.code, nip, "reopen", actor="BKD", reason="outcome recorded twice")
    assert (entry.event, entry.source, entry.target, entry.reason) == (
        "reopen",
        state,
        "seminar",
        "outcome recorded twice",
    )
    after = engine.participant(cohort.code, nip)
    assert (after.state, after.version) == ("seminar", before.version + 1)
    assert (after.active, after.seated, after.completed) == (True, True, False)
    assert after.scores == before.scores
    assert engine.history(nip)[-1] == entry
    assert verified(engine, cohort.code)


@pytest.mark.parametrize(("state", "via"), [("withdrawn", "laboratory"), ("dropped", "proposal")])
def test_reopen_returns_a_leaver_to_the_state_left(
    engine: Engine, cohort: Cohort, state: str, via: str
) -> None:
    """A withdrawal from the laboratory (a drop from the proposal) reopens to that state."""
    nip = reach(engine, cohort.code, state, via=via)
    with engine.store.unit(cohort.code) as uow:
        seats = uow.seated(cohort.code), uow.seated_from_office(cohort.code, DINKES.code)
    assert seats == (0, 0)
    entry = engine.fire(cohort.code, nip, "reopen", reason="withdrawn by mistake")
    assert (entry.source, entry.target) == (state, via)
    after = engine.participant(cohort.code, nip)
    assert (after.state, after.active, after.seated) == (via, True, True)
    with engine.store.unit(cohort.code) as uow:
        seats = uow.seated(cohort.code), uow.seated_from_office(cohort.code, DINKES.code)
    assert seats == (1, 1)
    assert engine.available(cohort.code, nip)  # the course goes on from there
    assert verified(engine, cohort.code)


@pytest.mark.parametrize("reason", [None, " "])
def test_reopen_needs_a_reason(engine: Engine, cohort: Cohort, reason: str | None) -> None:
    """Reopening without a non-blank reason is refused (reason_required); nothing moves."""
    nip = reach(engine, cohort.code, "withdrawn")
    with pytest.raises(TransitionRejected) as caught:
        engine.fire(cohort.code, nip, "reopen", reason=reason)
    assert caught.value.codes == ("reason_required",)
    assert engine.state(cohort.code, nip) == "withdrawn"


def test_reopen_rejudges_the_office_quota(engine: Engine, cohort: Cohort) -> None:
    """A seat taken meanwhile by another of the office refuses the reopening (office_quota)."""
    reach(engine, cohort.code, "on_class", office=DINKES)
    nip = reach(engine, cohort.code, "withdrawn", via="on_class", office=DINKES)
    reach(engine, cohort.code, "enrolled", office=DINKES)  # the freed seat is taken
    before = observe(engine, cohort.code)
    with pytest.raises(TransitionRejected) as caught:
        engine.fire(cohort.code, nip, "reopen", reason="withdrawn by mistake")
    assert caught.value.codes == ("office_quota",)
    assert caught.value.violations[0].facts == {"office": "DINKES", "taken": 2, "limit": 2}
    assert observe(engine, cohort.code) == before
    assert engine.history(nip)[-1].outcome == "refused"


def test_reopen_rejudges_the_cohort_capacity(clock: FixedClock) -> None:
    """A cohort filled meanwhile refuses the reopening (cohort_capacity)."""
    engine = Engine(clock=clock)
    code = engine.create_cohort(make_cohort(capacity=2)).code
    reach(engine, code, "on_class", office=office(1))
    nip = reach(engine, code, "withdrawn", office=office(2))
    reach(engine, code, "enrolled", office=office(3))
    with pytest.raises(TransitionRejected) as caught:
        engine.fire(code, nip, "reopen", reason="withdrawn by mistake")
    assert caught.value.codes == ("cohort_capacity",)
    assert engine.state(code, nip) == "withdrawn"


def test_reopen_of_a_seated_outcome_takes_no_seat(clock: FixedClock) -> None:
    """A graduate keeps its seat, so reopening it in a full cohort is not a capacity question."""
    engine = Engine(clock=clock)
    code = engine.create_cohort(make_cohort(capacity=2)).code
    nip = reach(engine, code, "graduated", office=office(1))
    reach(engine, code, "enrolled", office=office(2))
    assert engine.fire(code, nip, "reopen", reason="misread score").target == "seminar"


def test_reopen_is_refused_when_active_elsewhere(engine: Engine, cohort: Cohort) -> None:
    """Someone who withdrew and enrolled in another cohort cannot be reopened (already_active)."""
    nip = reach(engine, cohort.code, "withdrawn", via="proposal")
    later = engine.create_cohort(
        make_cohort("PKA-III-I-2020", start=date(2020, 2, 3), end=date(2020, 5, 29))
    ).code
    engine.enrol(later, engine.participant(cohort.code, nip).participant)
    with pytest.raises(TransitionRejected) as caught:
        engine.fire(cohort.code, nip, "reopen", reason="withdrawn by mistake")
    assert caught.value.codes == ("already_active",)
    assert caught.value.violations[0].facts["active_in"] == later
    assert engine.state(cohort.code, nip) == "withdrawn"


def test_reopen_finds_no_previous_state(clock: FixedClock) -> None:
    """A withdrawal from a state the new lifecycle lacks, mapped nowhere, returns nowhere."""
    workshop = load_definition(DATA / "workshop.yaml")
    engine = Engine(clock=clock)
    code = engine.create_cohort(make_cohort(), lifecycle=workshop).code
    person = make_participant()
    engine.enrol(code, person)
    engine.fire(code, person.nip, "attend")
    engine.fire(code, person.nip, "withdraw", reason="moved away")
    # Nobody is 'attending' now, so the plan needs no mapping for it: the state left stays
    # unmapped, and the default lifecycle has no such state.
    engine.migrate(code, engine.lifecycle.definition, reason="the workshop became a course")
    with pytest.raises(TransitionRejected) as caught:
        engine.fire(code, person.nip, "reopen", reason="withdrawn by mistake")
    assert caught.value.codes == ("no_previous_state",)
    assert caught.value.violations[0].facts == {"event": "reopen", "state": "withdrawn"}
    refused = engine.history(person.nip)[-1]
    assert (refused.event, refused.outcome, refused.target) == ("reopen", "refused", None)
    assert engine.state(code, person.nip) == "withdrawn"


# -- transfer_office ----------------------------------------------------------------------


def test_transfer_office_moves_the_seat_counters(engine: Engine, cohort: Cohort) -> None:
    """A transfer moves the participant's seat from the old office to the new one."""
    nip = reach(engine, cohort.code, "laboratory", office=DINKES)
    reach(engine, cohort.code, "on_class", office=DINKES)
    assert dict(engine.status(cohort.code).by_office) == {"DINKES": 2}
    entry = engine.transfer_office(cohort.code, nip, BKD, reason="mutasi jabatan")
    assert entry.change == {
        "office": {
            "before": {"code": "DINKES", "name": DINKES.name},
            "after": {"code": "BKD", "name": BKD.name},
        }
    }
    assert dict(engine.status(cohort.code).by_office) == {"DINKES": 1, "BKD": 1}
    with engine.store.unit(cohort.code) as uow:
        counts = (
            uow.seated(cohort.code),
            uow.seated_from_office(cohort.code, "DINKES"),
            uow.seated_from_office(cohort.code, "BKD"),
        )
    assert counts == (2, 1, 1)
    assert engine.participant(cohort.code, nip).participant.office == BKD
    assert BKD in engine.offices()
    assert verified(engine, cohort.code)


def test_transfer_office_rejudges_the_new_office_quota(engine: Engine, cohort: Cohort) -> None:
    """A transfer to an office already holding two seats is refused (office_quota)."""
    for _ in range(2):
        reach(engine, cohort.code, "enrolled", office=BKD)
    nip = reach(engine, cohort.code, "on_class", office=DINKES)
    before = observe(engine, cohort.code)
    with pytest.raises(TransitionRejected) as caught:
        engine.transfer_office(cohort.code, nip, BKD, reason="mutasi jabatan")
    assert caught.value.codes == ("office_quota",)
    assert caught.value.violations[0].facts == {"office": "BKD", "taken": 2, "limit": 2}
    assert observe(engine, cohort.code) == before


def test_transfer_of_someone_without_a_seat_ignores_the_quota(
    engine: Engine, cohort: Cohort
) -> None:
    """A withdrawn participant takes no seat, so it may move to a full office."""
    for _ in range(2):
        reach(engine, cohort.code, "enrolled", office=BKD)
    nip = reach(engine, cohort.code, "withdrawn", office=DINKES)
    engine.transfer_office(cohort.code, nip, BKD, reason="mutasi jabatan")
    assert dict(engine.status(cohort.code).by_office) == {"BKD": 3}
    with engine.store.unit(cohort.code) as uow:
        assert uow.seated_from_office(cohort.code, "BKD") == 2


def test_transfer_office_needs_a_reason(engine: Engine, cohort: Cohort) -> None:
    """A transfer without a reason is refused (reason_required) and creates no office."""
    nip = reach(engine, cohort.code, "on_class", office=DINKES)
    with pytest.raises(TransitionRejected) as caught:
        engine.transfer_office(cohort.code, nip, BKD)
    assert caught.value.codes == ("reason_required",)
    assert BKD not in engine.offices()


def test_transfer_to_the_same_office_is_invalid_input(engine: Engine, cohort: Cohort) -> None:
    """Transferring to the office the participant is in is InvalidInput; nothing is audited."""
    nip = reach(engine, cohort.code, "on_class", office=DINKES)
    seen = len(trail(engine, cohort.code))
    with pytest.raises(InvalidInput) as caught:
        engine.transfer_office(cohort.code, nip, DINKES, reason="mutasi")
    assert caught.value.field == "office"
    with pytest.raises(InvalidInput):
        engine.transfer_office(cohort.code, nip, "BKD", reason="mutasi")  # type: ignore[arg-type]
    assert len(trail(engine, cohort.code)) == seen


def test_transfer_to_an_office_outside_a_closed_registry(clock: FixedClock) -> None:
    """With known_offices, a transfer to an unregistered office is refused (unknown_office)."""
    engine = Engine(clock=clock, known_offices={"DINKES"})
    code = engine.create_cohort(make_cohort()).code
    nip = reach(engine, code, "on_class", office=DINKES)
    with pytest.raises(TransitionRejected) as caught:
        engine.transfer_office(code, nip, BKD, reason="mutasi jabatan")
    assert caught.value.codes == ("unknown_office",)
    assert [o.code for o in engine.offices()] == ["DINKES"]


def test_transfer_to_a_stored_office_uses_the_stored_name(engine: Engine, cohort: Cohort) -> None:
    """An office code already stored refers to the stored office, whatever name is given."""
    reach(engine, cohort.code, "enrolled", office=BKD)
    nip = reach(engine, cohort.code, "on_class", office=DINKES)
    renamed = BKD.model_copy(update={"name": "another name"})
    engine.transfer_office(cohort.code, nip, renamed, reason="mutasi jabatan")
    assert engine.participant(cohort.code, nip).participant.office == BKD


# -- correct_participant ------------------------------------------------------------------


def test_correct_participant_fixes_name_and_echelon(engine: Engine, cohort: Cohort) -> None:
    """A name and an echelon are corrected together, audited before and after."""
    nip = reach(engine, cohort.code, "proposal")
    entry = engine.correct_participant(
        cohort.code, nip, name="Budi Santoso", echelon="III.b", reason="typo in the nomination"
    )
    change = entry.change or {}
    assert change["participant"]["after"]["name"] == "Budi Santoso"
    assert change["participant"]["after"]["echelon"] == "III.b"
    assert change["participant"]["before"]["echelon"] == "III.a"
    person = engine.participant(cohort.code, nip).participant
    assert (person.name, person.echelon) == ("Budi Santoso", "III.b")
    assert verified(engine, cohort.code)


def test_correct_participant_accepts_the_nips_birth_date(engine: Engine, cohort: Cohort) -> None:
    """A birth date agreeing with the NIP is accepted (and recorded)."""
    nip = reach(engine, cohort.code, "enrolled")
    entry = engine.correct_participant(
        cohort.code, nip, birth_date=date(1975, 6, 1), name="Siti", reason="typo"
    )
    assert entry.change["participant"]["after"]["birth_date"] == "1975-06-01"  # type: ignore[index]


def test_birth_date_contradicting_the_nip_is_a_validation_error(
    engine: Engine, cohort: Cohort
) -> None:
    """A corrected birth date the NIP contradicts is pydantic's ValidationError naming it."""
    nip = reach(engine, cohort.code, "enrolled")
    seen = len(trail(engine, cohort.code))
    with pytest.raises(ValidationError) as caught:
        engine.correct_participant(cohort.code, nip, birth_date=date(1980, 1, 1), reason="typo")
    assert caught.value.errors()[0]["loc"] == ("birth_date",)
    assert len(trail(engine, cohort.code)) == seen


def test_correct_participant_needs_a_reason(engine: Engine, cohort: Cohort) -> None:
    """A person's correction without a reason is refused (reason_required); the name stays."""
    nip = reach(engine, cohort.code, "enrolled")
    name = engine.participant(cohort.code, nip).participant.name
    with pytest.raises(TransitionRejected) as caught:
        engine.correct_participant(cohort.code, nip, name="Budi Santoso")
    assert caught.value.codes == ("reason_required",)
    assert engine.participant(cohort.code, nip).participant.name == name


def test_correct_participant_with_nothing_to_correct(engine: Engine, cohort: Cohort) -> None:
    """No field given, or the same values, is InvalidInput; nothing is audited."""
    nip = reach(engine, cohort.code, "enrolled")
    person = engine.participant(cohort.code, nip).participant
    seen = len(trail(engine, cohort.code))
    with pytest.raises(InvalidInput):
        engine.correct_participant(cohort.code, nip, reason="typo")
    with pytest.raises(InvalidInput):
        engine.correct_participant(cohort.code, nip, name=person.name, reason="typo")
    assert len(trail(engine, cohort.code)) == seen


def test_a_closed_record_can_still_be_corrected(engine: Engine, cohort: Cohort) -> None:
    """A graduate's name is corrected: corrections are the way a closed record changes."""
    nip = reach(engine, cohort.code, "graduated")
    engine.correct_participant(cohort.code, nip, name="Budi Santoso", reason="typo")
    assert engine.participant(cohort.code, nip).participant.name == "Budi Santoso"


# -- history --------------------------------------------------------------------------------


def test_history_lists_data_commands_beside_the_moves(engine: Engine, cohort: Cohort) -> None:
    """A participant's history names every command: moves, data commands and corrections."""
    nip = make_participant().nip
    engine.enrol(cohort.code, make_participant(nip=nip))
    engine.fire(cohort.code, nip, "start_class")
    engine.register_project(cohort.code, nip, PROJECT)
    engine.form_groups(cohort.code, 1)
    for event in TO_SEMINAR[1:]:
        engine.fire(cohort.code, nip, event)
    engine.record_assessment(cohort.code, nip, 84)
    engine.fire(cohort.code, nip, "graduate")
    engine.correct_assessment(cohort.code, nip, 86, reason=WHY)
    engine.correct_participant(cohort.code, nip, name="Budi Santoso", reason="typo")
    engine.transfer_office(cohort.code, nip, BKD, reason="mutasi jabatan")
    engine.fire(cohort.code, nip, "reopen", reason="graduated before the seminar ended")
    events = [e.event for e in engine.history(nip)]
    assert events == [
        "enrol",
        "start_class",
        "register_project",
        "form_groups",
        "present_proposal",
        "approve_proposal",
        "present_results",
        "record_assessment",
        "graduate",
        "correct_assessment",
        "correct_participant",
        "transfer_office",
        "reopen",
    ]
    assert [e.to_dict()["event"] for e in engine.history(nip)] == events
    cohort_events = [e.event for e in engine.history(cohort=cohort.code)]
    assert cohort_events == ["create_cohort", *events]
    seqs = [e.seq for e in engine.history(cohort=cohort.code)]
    assert seqs == list(range(1, len(seqs) + 1))
    assert verified(engine, cohort.code)


# -- the record as it was -------------------------------------------------------------------


def test_record_as_of_reconstructs_projects_scores_and_groups(
    engine: Engine, cohort: Cohort, clock: FixedClock
) -> None:
    """record_as_of, states_as_of, participants(as_of=) and status(as_of=) replay the past."""
    first = reach(engine, cohort.code, "on_class", office=DINKES)
    engine.register_project(cohort.code, first, PROJECT)
    enrolled_only = clock.now()
    clock.advance(days=1)
    engine.form_groups(cohort.code, 1)
    grouped = clock.now()
    clock.advance(days=1)
    second = reach(engine, cohort.code, "enrolled", office=BKD)
    engine.register_project(cohort.code, first, OTHER_PROJECT)
    engine.transfer_office(cohort.code, first, DISPENDUK, reason="mutasi")
    for event in TO_SEMINAR[1:]:
        engine.fire(cohort.code, first, event)
    engine.record_assessment(cohort.code, first, 75)
    later = clock.now()
    clock.advance(days=1)
    engine.correct_assessment(cohort.code, first, 88, reason=WHY)
    engine.fire(cohort.code, first, "graduate")

    past = engine.record_as_of(cohort.code, enrolled_only).members
    assert list(past) == [first]
    assert (past[first].state, past[first].project, past[first].group) == (
        "on_class",
        PROJECT,
        None,
    )
    assert engine.record_as_of(cohort.code, grouped).members[first].group == 1

    then = engine.record_as_of(cohort.code, later)
    member = then.members[first]
    assert (member.state, member.project, member.scores) == (
        "seminar",
        OTHER_PROJECT,
        {"overall": 75.0},
    )
    assert member.participant.office.code == "DISPENDUK"
    assert then.seated == 2
    assert then.per_office == {"DISPENDUK": 1, "BKD": 1}
    assert engine.states_as_of(cohort.code, later) == {first: "seminar", second: "enrolled"}
    assert [e.to_dict() for e in engine.participants(cohort.code, as_of=later)] == [
        m.to_dict() for m in then.members.values()
    ]
    status = engine.status(cohort.code, as_of=later)
    assert (status.by_state["seminar"], status.by_state["graduated"]) == (1, 0)
    assert dict(status.by_office) == {"DISPENDUK": 1, "BKD": 1}
    assert dict(status.by_group) == {1: 1, None: 1}

    now = engine.record_as_of(cohort.code, clock.now()).members[first]
    assert (now.state, now.scores) == ("graduated", {"overall": 88.0})
    assert engine.participant(cohort.code, first).to_dict() == now.to_dict()


def test_record_before_the_cohort_existed_is_empty(
    engine: Engine, cohort: Cohort, clock: FixedClock
) -> None:
    """Before the cohort's creation the record holds no cohort and no participant."""
    reach(engine, cohort.code, "enrolled")
    past = engine.record_as_of(cohort.code, clock.now().replace(year=2018))
    assert (past.cohort, past.members, past.lifecycle) == (None, {}, None)
    assert engine.record_as_of(cohort.code, clock.now()).cohort == cohort
    assert engine.status(cohort.code, as_of=clock.now().replace(year=2018)).total == 0


def test_refused_attempts_change_nothing_in_the_past(engine: Engine, cohort: Cohort) -> None:
    """A refused re-assessment of a graduate leaves the replayed score as it was."""
    nip = reach(engine, cohort.code, "graduated", score=85)
    with pytest.raises(TransitionRejected):
        engine.record_assessment(cohort.code, nip, 40)
    when = datetime.now(UTC)
    assert engine.record_as_of(cohort.code, when).members[nip].scores == {"overall": 85.0}


def test_record_as_of_needs_an_aware_datetime(engine: Engine, cohort: Cohort) -> None:
    """A naive datetime or a date is InvalidInput naming 'when'."""
    for when in (datetime(2019, 5, 1), date(2019, 5, 1)):
        with pytest.raises(InvalidInput) as caught:
            engine.record_as_of(cohort.code, when)  # type: ignore[arg-type]
        assert caught.value.field == "when"
