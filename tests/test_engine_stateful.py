"""Model-based test: the real engine and a tiny hand-written reference, step by step.

Hypothesis drives random nominations (eligible or not: wrong echelon, too close to
retirement, repeated NIPs, crowded offices, full cohorts), single events (legal or not, with
and without reason), project registrations, scores, withdrawals and bulk advances through
:class:`changeflow.Engine` on a :class:`changeflow.MemoryStore`, and mirrors each one in
:class:`Reference`: plain dictionaries, the transition table written out from the domain
brief, and the default rules re-implemented from it. After every step the two must agree
on every state, outcome, violation code, seat count and history, and the engine's own data
must keep the lifecycle's invariants.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    MultipleResults,
    RuleBasedStateMachine,
    invariant,
    multiple,
    precondition,
    rule,
    run_state_machine_as_test,
)

from changeflow import (
    ChangeProject,
    Cohort,
    CohortParameters,
    Engine,
    FixedClock,
    HistoryEntry,
    IllegalTransition,
    MemoryStore,
    Mentor,
    Office,
    Participant,
    ParticipantNotFound,
    TransitionRejected,
    UnknownEvent,
)
from changeflow.testing import eligible_participants, participants

if TYPE_CHECKING:
    from collections.abc import Callable

# -- the reference: the domain brief written out by hand ------------------------------------

ACTIVE = ("enrolled", "on_class", "proposal", "laboratory", "seminar")
FINAL = frozenset({"graduated", "not_passed", "withdrawn", "dropped"})
FREES_SEAT = frozenset({"withdrawn", "dropped"})
TRANSITIONS: dict[str, dict[str, str]] = {
    "start_class": {"enrolled": "on_class"},
    "present_proposal": {"on_class": "proposal"},
    "revise_proposal": {"proposal": "proposal"},
    "approve_proposal": {"proposal": "laboratory"},
    "present_results": {"laboratory": "seminar"},
    "graduate": {"seminar": "graduated"},
    "fail": {"seminar": "not_passed"},
    "withdraw": dict.fromkeys(ACTIVE, "withdrawn"),
    "drop": dict.fromkeys(ACTIVE, "dropped"),
}
EVENTS = (*TRANSITIONS, "graduate_early")  # the last one is not an event of the lifecycle
ELIGIBLE_RANKS = frozenset({"III.a", "III.b", "administrator"})
RETIREMENT_AGE = 58
YEARS_TO_RETIREMENT = 4
MAX_PER_OFFICE = 2
CAPACITY = 6
FORWARD = {
    "enrolled": "start_class",
    "on_class": "present_proposal",
    "proposal": "approve_proposal",
    "laboratory": "present_results",
    "seminar": "graduate",
}
BANDS = ((90, "sangat memuaskan"), (80, "memuaskan"), (70, "cukup memuaskan"))

COHORT_STARTS = {"PKA-A-2019": date(2019, 4, 4), "PKA-B-2021": date(2021, 1, 18)}
OFFICES = tuple(
    Office(code=code, name=name)
    for code, name in (
        ("DINKES", "Dinas Kesehatan"),
        ("BKD", "Badan Kepegawaian Daerah"),
        ("DISDIK", "Dinas Pendidikan"),
        ("DINSOS", "Dinas Sosial"),
    )
)
# Around the retirement-horizon boundaries of both cohorts, for the default age and for 60:
# A (2019-04-04) admits births from 1965-04-01 (age 58) or 1963-04-01 (age 60);
# B (2021-01-18) admits births from 1967-01-01 (age 58) or 1965-01-01 (age 60).
BOUNDARY_BIRTHS = tuple(
    date(*ymd)
    for ymd in (
        (1965, 3, 31),
        (1965, 4, 1),
        (1963, 3, 31),
        (1963, 4, 1),
        (1966, 12, 31),
        (1967, 1, 1),
        (1964, 12, 31),
        (1965, 1, 1),
    )
)
COHORTS = {
    code: Cohort(
        code=code,
        name=f"Diklat PIM III {code}",
        start=start,
        end=start.replace(month=start.month + 3),
        capacity=CAPACITY,
        parameters=CohortParameters(max_per_office=MAX_PER_OFFICE),
    )
    for code, start in COHORT_STARTS.items()
}
FAR_FROM_RETIREMENT = st.dates(date(1970, 1, 1), date(1990, 12, 31))
BIRTHS = st.one_of(
    st.sampled_from(BOUNDARY_BIRTHS),
    st.dates(date(1963, 1, 1), date(1967, 12, 31)),
    FAR_FROM_RETIREMENT,
    FAR_FROM_RETIREMENT,
)
ECHELONS = st.sampled_from(("III.a", "III.a", "III.b", "administrator", "IV.a", "II.b", "pengawas"))
REASONS = st.sampled_from((None, "", "   ", "sakit"))
SCORES = st.sampled_from((0.0, 55.0, 69.99, 70.0, 70.01, 80.0, 80.5, 90.0, 95.0, 100.0))
PROJECT = ChangeProject(
    title="Layanan antar jemput akta", theme="kependudukan", mentor=Mentor(name="Kepala Dinas")
)
UNMENTORED = ChangeProject(title="Aplikasi antrean daring", theme="kesehatan")

Attempt = tuple[str, str, str | None, str | None, tuple[str, ...]]
"""One audited attempt: event, outcome, source, target (where it led or would have), codes."""


def pension_day(born: date, age: int) -> date:
    """First day of the month after the month the official turns ``age``."""
    year, month = born.year + age, born.month + 1
    if month == 13:
        year, month = year + 1, 1
    return date(year, month, 1)


def band(score: float) -> str | None:
    """The passing band of a score, or None when it does not pass."""
    return next((name for floor, name in BANDS if score > floor), None)


@dataclass
class Member:
    """The reference's view of one enrolment."""

    person: Participant
    state: str = "enrolled"
    version: int = 1
    revisions: int = 0
    project: ChangeProject | None = None
    score: float | None = None


@dataclass
class Reference:
    """Plain dictionaries and the brief's rules; no changeflow code but the models."""

    members: dict[str, dict[str, Member]] = field(
        default_factory=lambda: {code: {} for code in COHORT_STARTS}
    )
    history: dict[tuple[str, str], list[Attempt]] = field(default_factory=dict)
    active: dict[str, str] = field(default_factory=dict)
    completed: dict[str, str] = field(default_factory=dict)

    def seated(self, code: str, office: str | None = None) -> int:
        """Seats held in the cohort, optionally by one office."""
        return sum(
            1
            for m in self.members[code].values()
            if m.state not in FREES_SEAT and office in {None, m.person.office.code}
        )

    def enrolment_codes(self, code: str, person: Participant) -> tuple[str, ...]:
        """Why the nomination would be refused (empty: accepted)."""
        codes = []
        if person.nip in self.members[code]:
            codes.append("already_enrolled")
        if person.echelon not in ELIGIBLE_RANKS:
            codes.append("rank")
        start = COHORT_STARTS[code]  # no cohort starts on 29 February
        horizon = start.replace(year=start.year + YEARS_TO_RETIREMENT)
        if pension_day(person.born, person.retirement_age or RETIREMENT_AGE) <= horizon:
            codes.append("retirement_horizon")
        if person.nip in self.active or person.nip in self.completed:
            codes.append("already_active")
        if self.seated(code, person.office.code) >= MAX_PER_OFFICE:
            codes.append("office_quota")
        if self.seated(code) >= CAPACITY:
            codes.append("cohort_capacity")
        return tuple(sorted(codes))

    def enrol(self, code: str, person: Participant) -> Attempt:
        """Judge and apply a nomination; returns the audited attempt."""
        codes = self.enrolment_codes(code, person)
        if not codes:
            self.members[code][person.nip] = Member(person)
            self.active[person.nip] = code
        attempt = ("enrol", "refused" if codes else "accepted", None, "enrolled", codes)
        self.history.setdefault((code, person.nip), []).append(attempt)
        return attempt

    def guard_codes(self, event: str, member: Member, reason: str | None) -> tuple[str, ...]:
        """The stage guards of an event the member's state allows."""
        project = member.project
        if event == "present_proposal" and project is None:
            return ("change_project_missing",)
        if event in {"present_proposal", "approve_proposal"} and (
            project is None or project.mentor is None
        ):
            return ("mentor_missing",)
        if event == "graduate" and member.score is None:
            return ("assessment_missing",)
        if event == "graduate" and band(member.score or 0) is None:
            return ("assessment_not_passing",)
        if event in {"withdraw", "drop"} and not (reason and reason.strip()):
            return ("reason_required",)
        return ()

    def fire(self, code: str, nip: str, event: str, reason: str | None) -> Attempt:
        """Judge and apply an event for a member; returns the audited attempt."""
        member = self.members[code][nip]
        source = member.state
        dest = TRANSITIONS[event].get(source)
        codes = ("illegal_transition",) if dest is None else self.guard_codes(event, member, reason)
        if not codes and dest is not None:
            member.state = dest
            member.version += 1
            if dest == source:
                member.revisions += 1
            if dest in FINAL:
                del self.active[nip]
            if dest == "graduated":
                self.completed[nip] = code
        attempt = (event, "refused" if codes else "accepted", source, dest, codes)
        self.history[code, nip].append(attempt)
        return attempt


# -- reading the engine ---------------------------------------------------------------------


def attempt_of(entry: HistoryEntry) -> Attempt:
    """An engine history entry in the reference's shape."""
    return (
        entry.event,
        entry.outcome,
        entry.source,
        entry.target,
        tuple(sorted(v.code for v in entry.violations)),
    )


def attempt(call: Callable[[], HistoryEntry]) -> HistoryEntry | TransitionRejected:
    """The accepted entry a command returns, or the refusal it raises."""
    try:
        return call()
    except TransitionRejected as refused:
        return refused


def observe(engine: Engine, nips: set[str]) -> dict[str, object]:
    """Everything a refused attempt must leave untouched, read from the engine."""
    seen: dict[str, object] = {}
    for code in COHORT_STARTS:
        for e in engine.participants(code):
            seen[f"{code}/{e.nip}"] = (e.state, e.version, e.revisions, e.project, e.scores)
        with engine.store.unit(code) as unit:
            seen[code] = unit.seated(code)
            for office in OFFICES:
                seen[f"{code}/{office.code}"] = unit.seated_from_office(code, office.code)
            for nip in nips:
                seen[f"standing/{nip}"] = unit.standing(nip)
    return seen


# -- the machine ----------------------------------------------------------------------------


class EngineVersusReference(RuleBasedStateMachine):
    """Runs the engine and the reference side by side and compares them after every step."""

    people = Bundle("people")

    def __init__(self) -> None:
        super().__init__()
        self.engine = Engine(MemoryStore(), clock=FixedClock(datetime(2019, 4, 4, 8, tzinfo=UTC)))
        for cohort in COHORTS.values():
            self.engine.create_cohort(cohort)
        self.ref = Reference()
        self.nips: set[str] = set()

    # -- helpers --

    def _member_keys(self) -> list[tuple[str, str]]:
        return [(code, nip) for code, members in self.ref.members.items() for nip in members]

    def _pick(self, index: int) -> tuple[str, str]:
        keys = self._member_keys()
        return keys[index % len(keys)]

    def _has_members(self) -> bool:
        return bool(self._member_keys())

    def _compare(
        self,
        code: str,
        nip: str,
        expected: Attempt,
        before: dict[str, object],
        result: HistoryEntry | TransitionRejected,
    ) -> None:
        """Compare one attempt's outcome, codes and audit entry; refused ones change nothing."""
        audited = self.engine.history(nip, cohort=code)[-1]
        assert attempt_of(audited) == expected
        if isinstance(result, TransitionRejected):
            assert expected[1] == "refused"
            assert tuple(sorted(result.codes)) == expected[4]
            illegal = expected[4] == ("illegal_transition",)
            assert isinstance(result, IllegalTransition) == illegal
            assert observe(self.engine, self.nips) == before, "a refused attempt changed something"
        else:
            assert result == audited

    def _fire(self, code: str, nip: str, event: str, reason: str | None) -> None:
        """Fire through the engine and the reference and compare them."""
        before = observe(self.engine, self.nips)
        expected = self.ref.fire(code, nip, event, reason)
        result = attempt(lambda: self.engine.fire(code, nip, event, reason=reason, actor="bkd"))
        self._compare(code, nip, expected, before, result)
        if expected[1] == "accepted" and event == "graduate":
            assert isinstance(result, HistoryEntry)
            assert result.data is not None
            assert result.data["grade"] == band(self.ref.members[code][nip].score or 0)

    # -- rules --

    @rule(
        target=people,
        person=participants(
            office=st.sampled_from(OFFICES),
            echelon=ECHELONS,
            born=BIRTHS,
            retirement_age=st.sampled_from((None, None, 60)),
        ),
    )
    def nominate(self, person: Participant) -> Participant:
        """A new person, eligible or not, joins the pool of nominees."""
        self.nips.add(person.nip)
        return person

    @rule(target=people, person=people, office=st.sampled_from(OFFICES), echelon=ECHELONS)
    def renominate(self, person: Participant, office: Office, echelon: str) -> Participant:
        """The same NIP comes back, perhaps from another office or with another rank."""
        return Participant(
            nip=person.nip,
            name=person.name,
            office=office,
            echelon=echelon,
            retirement_age=person.retirement_age,
        )

    @rule(
        target=people,
        nomination=st.one_of(
            *[
                st.tuples(
                    st.just(code),
                    st.lists(
                        eligible_participants(cohort, office=st.sampled_from(OFFICES)),
                        min_size=1,
                        max_size=4,
                    ),
                )
                for code, cohort in COHORTS.items()
            ]
        ),
    )
    def enrol_eligible_people(
        self, nomination: tuple[str, list[Participant]]
    ) -> MultipleResults[Participant]:
        """New, eligible people are nominated together; only quotas can refuse them."""
        code, people = nomination
        for person in people:
            self.nips.add(person.nip)
            self._enrol(person, code)
        return multiple(*people)

    @rule(person=people, code=st.sampled_from(tuple(COHORT_STARTS)))
    def enrol(self, person: Participant, code: str) -> None:
        """A nomination is accepted or refused exactly as the reference judges it."""
        self._enrol(person, code)

    def _enrol(self, person: Participant, code: str) -> None:
        before = observe(self.engine, self.nips)
        expected = self.ref.enrol(code, person)
        result = attempt(lambda: self.engine.enrol(code, person, actor="bkd"))
        self._compare(code, person.nip, expected, before, result)

    @precondition(_has_members)
    @rule(pick=st.integers(0, 63), event=st.sampled_from(EVENTS), reason=REASONS)
    def fire_any_event(self, pick: int, event: str, reason: str | None) -> None:
        """Any event, legal or not, for an enrolled participant."""
        code, nip = self._pick(pick)
        if event not in TRANSITIONS:
            before = observe(self.engine, self.nips)
            with pytest.raises(UnknownEvent):
                self.engine.fire(code, nip, event, reason=reason)
            assert observe(self.engine, self.nips) == before
            return
        self._fire(code, nip, event, reason)

    @precondition(_has_members)
    @rule(pick=st.integers(0, 63), steps=st.integers(1, 6), prepared=st.booleans(), score=SCORES)
    def walk(self, pick: int, steps: int, prepared: bool, score: float) -> None:
        """A participant goes forward until refused; prepared, with a project and a score."""
        code, nip = self._pick(pick)
        for _ in range(steps):
            member = self.ref.members[code][nip]
            if member.state in FINAL:
                return
            if prepared and member.state == "on_class" and member.project is None:
                self._register(code, nip, PROJECT)
            if prepared and member.state == "seminar" and member.score is None:
                self._score(code, nip, score)
            self._fire(code, nip, FORWARD[member.state], None)
            if self.ref.history[code, nip][-1][1] == "refused":
                return

    @precondition(_has_members)
    @rule(pick=st.integers(0, 63), choice=st.integers(0, 8), reason=REASONS)
    def fire_a_legal_event(self, pick: int, choice: int, reason: str | None) -> None:
        """An event the member's state allows (guards may still refuse), to get far along."""
        code, nip = self._pick(pick)
        state = self.ref.members[code][nip].state
        legal = [e for e, moves in TRANSITIONS.items() if state in moves] or list(TRANSITIONS)
        self._fire(code, nip, legal[choice % len(legal)], reason)

    @precondition(_has_members)
    @rule(pick=st.integers(0, 63), event=st.sampled_from(("withdraw", "drop")), reason=REASONS)
    def leave(self, pick: int, event: str, reason: str | None) -> None:
        """A withdrawal or a drop, with or without a reason."""
        code, nip = self._pick(pick)
        self._fire(code, nip, event, reason)

    @rule(person=people, code=st.sampled_from(tuple(COHORT_STARTS)), event=st.sampled_from(EVENTS))
    def fire_for_anyone(self, person: Participant, code: str, event: str) -> None:
        """An event for someone perhaps not enrolled in the cohort is refused unaudited."""
        if person.nip in self.ref.members[code] and event in TRANSITIONS:
            self._fire(code, person.nip, event, "mutasi")
            return
        before = observe(self.engine, self.nips)
        raised = UnknownEvent if event not in TRANSITIONS else ParticipantNotFound
        with pytest.raises(raised):
            self.engine.fire(code, person.nip, event, reason="mutasi")
        assert observe(self.engine, self.nips) == before

    @precondition(_has_members)
    @rule(pick=st.integers(0, 63), mentored=st.booleans())
    def register_project(self, pick: int, mentored: bool) -> None:
        """A change project, with or without a mentor, is registered or replaced."""
        code, nip = self._pick(pick)
        self._register(code, nip, PROJECT if mentored else UNMENTORED)

    def _register(self, code: str, nip: str, project: ChangeProject) -> None:
        self.engine.register_project(code, nip, project)
        self.ref.members[code][nip].project = project

    @precondition(_has_members)
    @rule(pick=st.integers(0, 63), score=SCORES)
    def record_score(self, pick: int, score: float) -> None:
        """An overall score is recorded; the grade returned has the reference's band."""
        code, nip = self._pick(pick)
        self._score(code, nip, score)

    def _score(self, code: str, nip: str, score: float) -> None:
        grade = self.engine.record_assessment(code, nip, score)
        self.ref.members[code][nip].score = score
        assert grade is not None
        assert grade.passed == (band(score) is not None)
        assert grade.band == (band(score) or "kurang memuaskan")

    @rule(code=st.sampled_from(tuple(COHORT_STARTS)), event=st.sampled_from(EVENTS), reason=REASONS)
    def advance(self, code: str, event: str, reason: str | None) -> None:
        """A bulk advance tries everyone its event leaves from, in enrolment order."""
        before = observe(self.engine, self.nips)
        if event not in TRANSITIONS:
            with pytest.raises(UnknownEvent):
                self.engine.advance(code, event, reason=reason)
            assert observe(self.engine, self.nips) == before
            return
        accepted: list[tuple[str, Attempt]] = []
        refused: list[tuple[str, Attempt]] = []
        skipped = 0
        for nip, member in list(self.ref.members[code].items()):
            if member.state not in TRANSITIONS[event]:
                skipped += 1
                continue
            tried = self.ref.fire(code, nip, event, reason)
            (accepted if tried[1] == "accepted" else refused).append((nip, tried))
        report = self.engine.advance(code, event, reason=reason, actor="bkd")
        assert [(e.nip, attempt_of(e)) for e in report.accepted] == accepted
        assert [(e.nip, attempt_of(e)) for e in report.refused] == refused
        assert report.skipped == skipped
        after = observe(self.engine, self.nips)
        moved = {nip for nip, _ in accepted}
        for nip in self.ref.members[code]:
            if nip not in moved:
                assert after[f"{code}/{nip}"] == before[f"{code}/{nip}"], "refused or skipped moved"

    # -- invariants: agreement with the reference --

    @invariant()
    def states_and_versions_agree(self) -> None:
        """Every enrolment has the reference's state, version, revisions, project and score."""
        for code, members in self.ref.members.items():
            engine_view = {
                e.nip: (e.state, e.version, e.revisions, e.project, (e.scores or {}).get("overall"))
                for e in self.engine.participants(code)
            }
            ref_view = {
                nip: (m.state, m.version, m.revisions, m.project, m.score)
                for nip, m in members.items()
            }
            assert engine_view == ref_view
            assert list(engine_view) == list(ref_view), "enrolment order differs"

    @invariant()
    def seats_agree(self) -> None:
        """Seat counts per cohort and per office agree, from the store's counters and its list."""
        for code in COHORT_STARTS:
            status = self.engine.status(code)
            with self.engine.store.unit(code) as unit:
                assert unit.seated(code) == self.ref.seated(code)
                for office in OFFICES:
                    expected = self.ref.seated(code, office.code)
                    assert unit.seated_from_office(code, office.code) == expected
            assert status.total == len(self.ref.members[code])
            assert sum(n for s, n in status.by_state.items() if s not in FREES_SEAT) == (
                self.ref.seated(code)
            )

    @invariant()
    def standings_agree(self) -> None:
        """Every person's active and completed cohorts agree with the reference."""
        code = next(iter(COHORT_STARTS))
        with self.engine.store.unit(code) as unit:
            for nip in self.nips:
                standing = unit.standing(nip)
                assert standing.active_in == self.ref.active.get(nip)
                assert standing.completed_in == self.ref.completed.get(nip)

    @invariant()
    def histories_agree(self) -> None:
        """Each person's audited attempts per cohort match the reference, one for one."""
        for (code, nip), attempts in self.ref.history.items():
            entries = self.engine.history(nip, cohort=code)
            assert len(entries) == len(attempts)
            assert [attempt_of(e) for e in entries] == attempts
        for nip in self.nips:
            total = sum(len(a) for (_, n), a in self.ref.history.items() if n == nip)
            assert len(self.engine.history(nip)) == total

    # -- invariants: the engine's own data, whatever the reference says --

    @invariant()
    def no_office_over_quota_and_no_cohort_over_capacity(self) -> None:
        """No office holds more than its quota of seats, no cohort more than its capacity."""
        for code in COHORT_STARTS:
            seated = [e for e in self.engine.participants(code) if e.state not in FREES_SEAT]
            assert len(seated) <= CAPACITY
            for office in OFFICES:
                from_office = [e for e in seated if e.participant.office.code == office.code]
                assert len(from_office) <= MAX_PER_OFFICE

    @invariant()
    def lifecycle_is_respected_in_history(self) -> None:
        """Graduates went through the seminar, final states are never left, one course at a time."""
        active: dict[str, list[str]] = {}
        for code in COHORT_STARTS:
            for e in self.engine.participants(code):
                moves = [h for h in self.engine.history(e.nip, cohort=code) if h.accepted]
                targets = [h.target for h in moves]
                assert moves[0].event == "enrol"
                assert targets[-1] == e.state
                for earlier, later in itertools.pairwise(moves):
                    assert earlier.target == later.source, "a move did not start where one ended"
                    assert earlier.target not in FINAL, "a final state was left"
                if e.state == "graduated":
                    assert "seminar" in targets[:-1], "graduated without a seminar"
                    assert moves[-1].source == "seminar"
                if e.state not in FINAL:
                    active.setdefault(e.nip, []).append(code)
        assert all(len(codes) == 1 for codes in active.values()), "active in two cohorts"


SETTINGS = settings(
    deadline=None,
    max_examples=max(200, settings().max_examples),  # a profile may ask for more
    stateful_step_count=40,
)


def test_engine_agrees_with_the_reference_model() -> None:
    """Random nominations, events and advances leave the engine where the reference is."""
    run_state_machine_as_test(EngineVersusReference, settings=SETTINGS)
