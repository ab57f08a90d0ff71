"""Model-based test: the real engine and a tiny hand-written reference, step by step.

Hypothesis drives random nominations (eligible or not: wrong echelon, too close to
retirement, repeated NIPs, crowded offices, full cohorts), single events (legal or not, with
and without reason, ``reopen`` included), bulk advances, and every data command: project
registrations, scores, groups, score and person corrections, office transfers, attendance
(valid days or not, the attendance minimum judged before a proposal), schedule changes
(an organiser's closure, refused ones), and migrations between the default lifecycle and a
variant with ``laboratory`` renamed ``workshop``. Each goes through
:class:`changeflow.Engine` on a :class:`changeflow.MemoryStore` and through
:class:`Reference`: plain dictionaries, the transition tables written out from the domain
brief, and the default rules re-implemented from it. After every step the two must agree on
every state, version, revision count, flag, project, score, group, office, person fact,
attendance day, outcome, violation code, seat count and history; the engine's own data must
keep the lifecycle's invariants; and ``Engine.verify`` must find every cohort's chain
intact and every stored fact equal to its replay.
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    MultipleResults,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
    run_state_machine_as_test,
)
from pydantic import ValidationError

from changeflow import (
    ChangeProject,
    Cohort,
    CohortParameters,
    Engine,
    FixedClock,
    Group,
    HistoryEntry,
    IllegalTransition,
    InvalidInput,
    MemoryStore,
    Mentor,
    MigrationRejected,
    Office,
    Participant,
    ParticipantNotFound,
    TransitionRejected,
    UnknownEvent,
)
from changeflow.schedule import Schedule, ScheduleStage, StageWindow
from changeflow.testing import eligible_participants, participants
from changeflow.workdays import Closure
from factories import trusted_engine
from stateful_support import (
    BIRTH_CORRECTIONS,
    CORRECTED_ECHELONS,
    CORRECTED_NAMES,
    CORRECTION_REASONS,
    DEFAULT,
    LAB,
    LIFECYCLES,
    MIGRATIONS,
    WORKSHOP,
    corrected_birth,
    migration,
)

if TYPE_CHECKING:
    from collections.abc import Callable

# -- the reference: the domain brief written out by hand ------------------------------------

LEFT = "<the state left>"
"""The destination of a reopening that returns to the state the participant left."""
FINAL = frozenset({"graduated", "not_passed", "withdrawn", "dropped"})
FREES_SEAT = frozenset({"withdrawn", "dropped"})
OUTCOMES = {"graduated": "passed", "not_passed": "failed"}
CLOSED_RECORD_COMMANDS = frozenset(
    {"register_project", "record_assessment", "form_groups", "record_attendance"}
)


def active_states(lifecycle: str) -> tuple[str, ...]:
    """The non-final states, in course order."""
    return ("enrolled", "on_class", "proposal", LAB[lifecycle], "seminar")


def transitions(lifecycle: str) -> dict[str, dict[str, str]]:
    """Each event's moves (source -> destination), from the brief."""
    active, lab = active_states(lifecycle), LAB[lifecycle]
    return {
        "start_class": {"enrolled": "on_class"},
        "present_proposal": {"on_class": "proposal"},
        "revise_proposal": {"proposal": "proposal"},
        "approve_proposal": {"proposal": lab},
        "present_results": {lab: "seminar"},
        "graduate": {"seminar": "graduated"},
        "fail": {"seminar": "not_passed"},
        "withdraw": dict.fromkeys(active, "withdrawn"),
        "drop": dict.fromkeys(active, "dropped"),
        "reopen": {
            "graduated": "seminar",
            "not_passed": "seminar",
            "withdrawn": LEFT,
            "dropped": LEFT,
        },
    }


TABLES = {lifecycle: transitions(lifecycle) for lifecycle in (DEFAULT, WORKSHOP)}
STATES = {lifecycle: frozenset(active_states(lifecycle)) | FINAL for lifecycle in TABLES}
EVENTS = (*TABLES[DEFAULT], "graduate_early")  # the last one is not an event of the lifecycle
FORWARD = {
    lifecycle: {
        "enrolled": "start_class",
        "on_class": "present_proposal",
        "proposal": "approve_proposal",
        LAB[lifecycle]: "present_results",
        "seminar": "graduate",
    }
    for lifecycle in TABLES
}
ELIGIBLE_RANKS = frozenset({"III.a", "III.b", "administrator"})
RANKS = frozenset(
    {f"{level}.{grade}" for level in ("I", "II", "III", "IV", "V") for grade in "ab"}
    | {"administrator", "pengawas", "pelaksana", "fungsional"}
)
"""Every echelon or post a participant may hold (eligible or not)."""
RETIREMENT_AGE = 58
YEARS_TO_RETIREMENT = 4
MAX_PER_OFFICE = 2
CAPACITY = 6
BANDS = ((90, "sangat memuaskan"), (80, "memuaskan"), (70, "cukup memuaskan"))
FAILING_BAND = "kurang memuaskan"


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
CODES = st.sampled_from(tuple(COHORT_STARTS))
FIRST = next(iter(COHORT_STARTS))
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
PICKS = st.integers(0, 63)
STOPS = ("on_class", "proposal", "off-class", "seminar", "the end")
"""Where a walk stops (``off-class``: the laboratory, whatever the cohort's lifecycle calls it)."""
LATE = frozenset({"proposal", "seminar", *LAB.values()})
"""The stages after the class."""
PROJECT = ChangeProject(
    title="Layanan antar jemput akta", theme="kependudukan", mentor=Mentor(name="Kepala Dinas")
)
UNMENTORED = ChangeProject(title="Aplikasi antrean daring", theme="Kesehatan ")
OTHER_THEME = ChangeProject(
    title="Posyandu digital", theme="kesehatan", mentor=Mentor(name="Sekretaris Daerah")
)
PROJECTS = st.sampled_from((PROJECT, UNMENTORED, OTHER_THEME))

ON_CLASS = {
    "PKA-A-2019": tuple(
        date(2019, 4, d) for d in (4, 5, 8, 9, 10, 11, 12, 15, 16, 18, 22, 23, 24, 25, 26)
    ),
    "PKA-B-2021": tuple(
        [date(2021, 1, d) for d in (18, 19, 20, 21, 22, 25, 26, 27, 28, 29)]
        + [date(2021, 2, d) for d in (1, 2, 3, 4, 5)]
    ),
}
"""The working days of each cohort's derived on_class (2019: 17 April election, 19 Good Friday)."""
NOT_ON_CLASS = {
    "PKA-A-2019": (date(2019, 4, 3), date(2019, 4, 6), date(2019, 4, 17), date(2019, 4, 29)),
    "PKA-B-2021": (date(2021, 1, 15), date(2021, 1, 23), date(2021, 2, 8), date(2021, 3, 1)),
}
"""Days attendance cannot be recorded on: before the start, weekends, a holiday, after."""
CLOSED_DAY = {"PKA-A-2019": date(2019, 4, 9), "PKA-B-2021": date(2021, 1, 19)}
"""The on-class day an organiser's closure (``set_schedule``) may take away."""
STATUSES = st.sampled_from(("present", "present", "present", "absent", "izin", "sakit", "hadir"))
"""Attendance statuses, mostly present; ``hadir`` is no status changeflow knows."""
SCHEDULES = st.sampled_from(("closure", "derived", "short laboratory"))
"""The schedules an organiser sets: with a closure, the derived one, one refused."""
MINIMUM = (4, 5)
"""The default attendance minimum, 0.8, as a fraction (4/5), compared without floats."""

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


def blank(reason: str | None) -> bool:
    """Whether a reason says nothing."""
    return not (reason and reason.strip())


def valid_text(text: str) -> bool:
    """Free text a model accepts: non-empty once trimmed, at most 200 characters, printable."""
    trimmed = text.strip()
    return 0 < len(trimmed) <= 200 and not re.search(r"[\x00-\x1f\x7f-\x9f]", trimmed)


def theme_of(project: ChangeProject | None) -> str:
    """The theme label a group shows for a project (case and spaces ignored)."""
    return project.theme.strip().casefold() if project else "(no project)"


@dataclass
class Member:
    """The reference's view of one enrolment."""

    person: Participant
    state: str = "enrolled"
    version: int = 1
    revisions: int = 0
    project: ChangeProject | None = None
    score: float | None = None
    group: int | None = None
    left: str | None = None
    """The state left by the last move that changed the state (where ``reopen`` returns)."""

    def view(self) -> tuple[object, ...]:
        """Every fact the engine must show, in one tuple."""
        return (
            self.state,
            self.version,
            self.revisions,
            self.project,
            self.score,
            self.group,
            self.person.office.code,
            self.person.name,
            self.person.echelon,
            self.person.born,
            self.state not in FINAL,
            self.state not in FREES_SEAT,
            self.state == "graduated",
        )


@dataclass
class Reference:
    """Plain dictionaries and the brief's rules; no changeflow code but the models."""

    members: dict[str, dict[str, Member]] = field(
        default_factory=lambda: {code: {} for code in COHORT_STARTS}
    )
    history: dict[tuple[str, str], list[Attempt]] = field(default_factory=dict)
    active: dict[str, str] = field(default_factory=dict)
    completed: dict[str, str] = field(default_factory=dict)
    lifecycle: dict[str, str] = field(default_factory=lambda: dict.fromkeys(COHORT_STARTS, DEFAULT))
    cohort_log: dict[str, list[str]] = field(
        default_factory=lambda: {code: ["create_cohort"] for code in COHORT_STARTS}
    )
    """The events of each cohort's cohort-level entries (its creation, its migrations)."""
    attendance: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)
    """Each member's recorded attendance: ISO day -> status."""
    closed: dict[str, frozenset[date]] = field(
        default_factory=lambda: dict.fromkeys(COHORT_STARTS, frozenset())
    )
    """The on-class days each cohort's schedule closes."""

    def seated(self, code: str, office: str | None = None) -> int:
        """Seats held in the cohort, optionally by one office."""
        return sum(
            1
            for m in self.members[code].values()
            if m.state not in FREES_SEAT and office in {None, m.person.office.code}
        )

    def _audit(self, code: str, nip: str, attempt: Attempt) -> Attempt:
        self.history.setdefault((code, nip), []).append(attempt)
        return attempt

    # -- enrolment --

    def enrolment_codes(self, code: str, person: Participant) -> tuple[str, ...]:
        """Why the nomination would be refused (empty: accepted)."""
        codes = []
        if person.nip in self.members[code]:
            # A repeat is refused as one, never by a quota counting its own seat.
            codes.append("already_enrolled")
            if person.nip in self.active or person.nip in self.completed:
                codes.append("already_active")
            return tuple(sorted(codes))
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
        return self._audit(code, person.nip, attempt)

    # -- moves --

    def guard_codes(
        self, code: str, event: str, member: Member, reason: str | None
    ) -> tuple[str, ...]:
        """The rules of an event the member's state allows."""
        if event == "reopen":
            return self.reopen_codes(code, member, reason)
        project, score = member.project, member.score
        unmentored = ("mentor_missing",) if project is None or project.mentor is None else ()
        unexplained = ("reason_required",) if blank(reason) else ()
        if score is None:
            graded, failed = ("assessment_missing",), unexplained
        elif band(score) is None:
            graded, failed = ("assessment_not_passing",), ()
        else:
            graded, failed = (), ("assessment_passes",)
        codes = {
            "present_proposal": tuple(
                sorted(
                    (("change_project_missing",) if project is None else unmentored)
                    + self.attendance_codes(code, member)
                )
            ),
            "approve_proposal": unmentored,
            "graduate": graded,
            "fail": failed,
            "withdraw": unexplained,
            "drop": unexplained,
        }
        return codes.get(event, ())

    def attendance_codes(self, code: str, member: Member) -> tuple[str, ...]:
        """Too few counted on-class days present (excused days count neither way)."""
        days = self.attendance.get((code, member.person.nip), {}).values()
        present = sum(1 for status in days if status == "present")
        counted = present + sum(1 for status in days if status == "absent")
        numerator, denominator = MINIMUM
        return ("attendance_minimum",) if present * denominator < counted * numerator else ()

    def attendance_day(self, code: str, day: date, status: str) -> bool:
        """Whether ``record_attendance`` takes the day and status (else InvalidInput)."""
        known = status in {"present", "absent", "izin", "sakit"}
        return known and day in ON_CLASS[code] and day not in self.closed[code]

    def reopen_codes(self, code: str, member: Member, reason: str | None) -> tuple[str, ...]:
        """A reopening needs a reason, no course elsewhere and, to take a seat back, a seat."""
        nip, office = member.person.nip, member.person.office.code
        codes = []
        if blank(reason):
            codes.append("reason_required")
        if self.active.get(nip, code) != code or self.completed.get(nip, code) != code:
            codes.append("already_active")
        if member.state in FREES_SEAT:
            if self.seated(code, office) >= MAX_PER_OFFICE:
                codes.append("office_quota")
            if self.seated(code) >= CAPACITY:
                codes.append("cohort_capacity")
        return tuple(sorted(codes))

    def fire(self, code: str, nip: str, event: str, reason: str | None) -> Attempt:
        """Judge and apply an event for a member; returns the audited attempt."""
        member = self.members[code][nip]
        lifecycle = self.lifecycle[code]
        source = member.state
        dest = TABLES[lifecycle][event].get(source)
        if dest == LEFT:
            left = member.left
            dest = left if left in STATES[lifecycle] and left not in FINAL else None
            codes = ("no_previous_state",) if dest is None else ()
        else:
            codes = ("illegal_transition",) if dest is None else ()
        if not codes:
            codes = self.guard_codes(code, event, member, reason)
        if not codes and dest is not None:
            self._move(code, member, dest)
        attempt = (event, "refused" if codes else "accepted", source, dest, codes)
        return self._audit(code, nip, attempt)

    def _move(self, code: str, member: Member, dest: str) -> None:
        nip, source = member.person.nip, member.state
        member.state = dest
        member.version += 1
        if dest == source:
            member.revisions += 1
        else:
            member.left = source
        if dest in FINAL:
            self.active.pop(nip, None)
        else:
            self.active[nip] = code
        if dest == "graduated":
            self.completed[nip] = code
        elif source == "graduated":
            del self.completed[nip]

    # -- data commands --

    def data(
        self,
        code: str,
        nip: str,
        event: str,
        codes: tuple[str, ...],
        apply: Callable[[Member], Any],
    ) -> Attempt:
        """A data command, refused on ``codes``; ``apply`` changes the member when accepted."""
        member = self.members[code][nip]
        if event in CLOSED_RECORD_COMMANDS and member.state in FINAL:
            codes = ("record_closed", *codes)
        codes = tuple(sorted(codes))
        if not codes:
            apply(member)
        attempt = (event, "refused" if codes else "accepted", member.state, member.state, codes)
        return self._audit(code, nip, attempt)

    def correction_codes(self, member: Member, score: float, reason: str | None) -> list[str]:
        """A score correction needs a reason and may not turn the recorded outcome over."""
        codes = ["reason_required"] if blank(reason) else []
        outcome = OUTCOMES.get(member.state)
        if outcome is not None and (band(score) is not None) != (outcome == "passed"):
            codes.append("outcome_would_change")
        return codes

    def corrected(
        self, member: Member, name: str | None, born: date | None, echelon: str | None
    ) -> Participant | type[Exception]:
        """The corrected person, or the error a correction raises before any rule is asked."""
        if name is None and born is None and echelon is None:
            return InvalidInput
        person = member.person
        if (
            (name is not None and not valid_text(name))
            or (echelon is not None and echelon.strip() not in RANKS)
            or (born is not None and born != person.born)  # the NIP encodes the birth date
        ):
            return ValidationError
        new_name = person.name if name is None else name.strip()
        new_echelon = person.echelon if echelon is None else echelon.strip()
        if (new_name, new_echelon) == (person.name, person.echelon):
            return InvalidInput
        return person.model_copy(update={"name": new_name, "echelon": new_echelon})

    # -- cohorts --

    def plan(self, code: str, target: str, mapping: dict[str, str]) -> tuple[str, Any]:
        """A migration's expected outcome: ``invalid``, ``rejected`` (codes) or ``moves``."""
        if target == self.lifecycle[code]:
            return "invalid", None
        moves = [
            (nip, m.state, mapping.get(m.state, m.state)) for nip, m in self.members[code].items()
        ]
        lost = {source for _, source, dest in moves if dest not in STATES[target]}
        codes = sorted("state_unknown" if s in mapping else "state_unmapped" for s in lost)
        if codes:
            return "rejected", tuple(codes)
        return "moves", tuple(moves)

    def migrate(self, code: str, target: str, mapping: dict[str, str]) -> None:
        """Apply a migration: every participant's state mapped, one entry each."""
        self.lifecycle[code] = target
        self.cohort_log[code].append("migrate")
        for nip, member in self.members[code].items():
            source, dest = member.state, mapping.get(member.state, member.state)
            member.state = dest
            member.version += 1
            # The state a final participant left is renamed with the rest (when it exists).
            left = member.left
            if left is not None and mapping.get(left, left) in STATES[target]:
                member.left = mapping.get(left, left)
            if dest != source:
                member.left = source
            self._audit(code, nip, ("migrate", "accepted", source, dest, ()))


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


def attempt(call: Callable[[], Any]) -> Any:
    """What a command returns, or the refusal it raises."""
    try:
        return call()
    except TransitionRejected as refused:
        return refused


def observe(engine: Engine, nips: set[str]) -> dict[str, object]:
    """Everything a refused attempt must leave untouched, read from the engine."""
    seen: dict[str, object] = {"offices": engine.offices()}
    for code in COHORT_STARTS:
        seen[f"{code}/lifecycle"] = engine.pinned(code)
        seen[f"{code}/schedule"] = engine.schedule(code)
        seen[f"{code}/attendance"] = engine.store.projection(code).attendance
        for e in engine.participants(code):
            seen[f"{code}/{e.nip}"] = (e.to_dict(), e.participant)
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
        self.engine = trusted_engine(
            MemoryStore(), clock=FixedClock(datetime(2019, 4, 4, 8, tzinfo=UTC))
        )
        for cohort in COHORTS.values():
            self.engine.create_cohort(cohort, actor="bkd")
        self.ref = Reference()
        self.nips: set[str] = set()
        self.derived: dict[str, Schedule] = {code: self.engine.schedule(code) for code in COHORTS}
        for code, plan in self.derived.items():
            on_class = plan.window(ScheduleStage.ON_CLASS)
            assert on_class is not None
            assert (on_class.start, on_class.end) == (ON_CLASS[code][0], ON_CLASS[code][-1])

    # -- helpers --

    def _member_keys(self) -> list[tuple[str, str]]:
        """Every member as ``(cohort, NIP)``, in enrolment order per cohort."""
        return [(code, nip) for code, members in self.ref.members.items() for nip in members]

    def _pick(self, index: int) -> tuple[str, str]:
        """A member, whatever their state."""
        keys = self._member_keys()
        return keys[index % len(keys)]

    def _has_members(self) -> bool:
        """Whether anyone was ever enrolled (a precondition)."""
        return bool(self._member_keys())

    def _choose(self, index: int, states: frozenset[str] | None) -> tuple[str, str]:
        """A member in one of ``states`` when anyone is (``None``: anyone), else anyone."""
        keys = [
            k for k in self._member_keys() if states is None or self._member(*k).state in states
        ]
        return keys[index % len(keys)] if keys else self._pick(index)

    def _member(self, code: str, nip: str) -> Member:
        """The reference's view of a member."""
        return self.ref.members[code][nip]

    def _trails(self) -> dict[str, int]:
        """How many entries each cohort's chain holds."""
        return {code: len(self.engine.history(cohort=code)) for code in COHORT_STARTS}

    def _compare(
        self,
        code: str,
        nip: str,
        expected: Attempt,
        before: dict[str, object],
        result: object,
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
            assert expected[1] == "accepted", result
            if isinstance(result, HistoryEntry):
                assert result == audited

    def _judged(
        self, code: str, nip: str, expect: Callable[[], Attempt], call: Callable[[], Any]
    ) -> Any:
        """Run an audited command on both sides (the reference first) and compare them."""
        before = observe(self.engine, self.nips)
        expected = expect()
        result = attempt(call)
        self._compare(code, nip, expected, before, result)
        return result

    def _unaudited(self, error: type[Exception], call: Callable[[], object]) -> None:
        """A command the engine must refuse with ``error`` before anything is audited."""
        before, trails = observe(self.engine, self.nips), self._trails()
        with pytest.raises(error):
            call()
        assert observe(self.engine, self.nips) == before
        assert self._trails() == trails, "an unaudited refusal wrote an entry"

    def _fire(self, code: str, nip: str, event: str, reason: str | None) -> None:
        """Fire through the engine and the reference and compare them."""
        result = self._judged(
            code,
            nip,
            lambda: self.ref.fire(code, nip, event, reason),
            lambda: self.engine.fire(code, nip, event, reason=reason, actor="bkd"),
        )
        if isinstance(result, HistoryEntry) and event in {"graduate", "fail"}:
            score = self._member(code, nip).score
            if score is not None:
                assert result.data is not None
                assert result.data["grade"] == (band(score) or FAILING_BAND)

    # -- rules: nominations --

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

    @initialize(
        target=people,
        people=st.lists(
            eligible_participants(COHORTS[FIRST], office=st.sampled_from(OFFICES)), max_size=4
        ),
        stops=st.lists(st.sampled_from(STOPS), min_size=4, max_size=4),
        score=SCORES,
    )
    def open_the_first_cohort(
        self, people: list[Participant], stops: list[str], score: float
    ) -> MultipleResults[Participant]:
        """The first cohort starts with a few people, each prepared and walked to some stage."""
        for person, stop in zip(people, stops, strict=False):
            self.nips.add(person.nip)
            self._enrol(person, FIRST)
            if person.nip in self.ref.members[FIRST]:
                self._walk(FIRST, person.nip, stop, prepared=True, score=score)
        return multiple(*people)

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

    @rule(person=people, code=CODES)
    def enrol(self, person: Participant, code: str) -> None:
        """A nomination is accepted or refused exactly as the reference judges it."""
        self._enrol(person, code)

    @precondition(_has_members)
    @rule(pick=PICKS)
    def enrol_elsewhere(self, pick: int) -> None:
        """A member is nominated to the other cohort: refused while active or graduated."""
        code, nip = self._pick(pick)
        other = next(c for c in COHORT_STARTS if c != code)
        self._enrol(self._member(code, nip).person, other)

    def _enrol(self, person: Participant, code: str) -> None:
        self._judged(
            code,
            person.nip,
            lambda: self.ref.enrol(code, person),
            lambda: self.engine.enrol(code, person, actor="bkd"),
        )

    # -- rules: events --

    @precondition(_has_members)
    @rule(pick=PICKS, event=st.sampled_from(EVENTS), reason=REASONS)
    def fire_any_event(self, pick: int, event: str, reason: str | None) -> None:
        """Any event, legal or not, for an enrolled participant."""
        code, nip = self._pick(pick)
        if event not in TABLES[DEFAULT]:
            self._unaudited(UnknownEvent, lambda: self.engine.fire(code, nip, event, reason=reason))
            return
        self._fire(code, nip, event, reason)

    @precondition(_has_members)
    @rule(pick=PICKS, stop=st.sampled_from(STOPS), prepared=st.booleans(), score=SCORES)
    def walk(self, pick: int, stop: str, prepared: bool, score: float) -> None:
        """A participant goes forward to ``stop`` or until refused (prepared: project, score)."""
        code, nip = self._pick(pick)
        self._walk(code, nip, stop, prepared, score)

    def _walk(self, code: str, nip: str, stop: str, prepared: bool, score: float) -> None:
        """Fire each next forward event until ``stop``, a final state or a refusal."""
        for _ in range(len(STOPS) + 1):
            member = self._member(code, nip)
            lifecycle = self.ref.lifecycle[code]
            if member.state in FINAL or member.state == {"off-class": LAB[lifecycle]}.get(
                stop, stop
            ):
                return
            if prepared and member.state == "on_class" and member.project is None:
                self._register(code, nip, PROJECT)
            if prepared and member.state == "seminar" and member.score is None:
                self._score(code, nip, score)
            self._fire(code, nip, FORWARD[lifecycle][member.state], None)
            if self.ref.history[code, nip][-1][1] == "refused":
                return

    @precondition(_has_members)
    @rule(pick=PICKS, choice=st.integers(0, 9), reason=REASONS)
    def fire_a_legal_event(self, pick: int, choice: int, reason: str | None) -> None:
        """An event the member's state allows (guards may still refuse), to get far along."""
        code, nip = self._pick(pick)
        state = self._member(code, nip).state
        table = TABLES[self.ref.lifecycle[code]]
        legal = [e for e, moves in table.items() if state in moves] or list(table)
        self._fire(code, nip, legal[choice % len(legal)], reason)

    @precondition(_has_members)
    @rule(
        pick=PICKS,
        late=st.booleans(),
        event=st.sampled_from(("withdraw", "drop")),
        reason=REASONS,
    )
    def leave(self, pick: int, late: bool, event: str, reason: str | None) -> None:
        """A withdrawal or a drop, with or without a reason; ``late``: after the class."""
        code, nip = self._choose(pick, LATE if late else None)
        self._fire(code, nip, event, reason)

    @precondition(_has_members)
    @rule(
        pick=PICKS,
        event=st.sampled_from(("graduate", "fail")),
        score=st.one_of(st.none(), SCORES),
        reason=REASONS,
    )
    def conclude(self, pick: int, event: str, score: float | None, reason: str | None) -> None:
        """Someone at the seminar (if anyone is) graduates or fails, perhaps scored first."""
        code, nip = self._choose(pick, frozenset({"seminar"}))
        if score is not None and self._member(code, nip).state == "seminar":
            self._score(code, nip, score)
        self._fire(code, nip, event, reason)

    @precondition(_has_members)
    @rule(pick=PICKS, reason=CORRECTION_REASONS)
    def reopen(self, pick: int, reason: str | None) -> None:
        """Someone who ended (if anyone did) is reopened: back to seminar or the state left."""
        code, nip = self._choose(pick, FINAL)
        self._fire(code, nip, "reopen", reason)

    @rule(person=people, code=CODES, event=st.sampled_from(EVENTS))
    def fire_for_anyone(self, person: Participant, code: str, event: str) -> None:
        """An event for someone perhaps not enrolled in the cohort is refused unaudited."""
        if person.nip in self.ref.members[code] and event in TABLES[DEFAULT]:
            self._fire(code, person.nip, event, "mutasi")
            return
        raised = UnknownEvent if event not in TABLES[DEFAULT] else ParticipantNotFound
        self._unaudited(raised, lambda: self.engine.fire(code, person.nip, event, reason="mutasi"))

    @rule(code=CODES, event=st.sampled_from(EVENTS), reason=REASONS)
    def advance(self, code: str, event: str, reason: str | None) -> None:
        """A bulk advance tries everyone its event leaves from, in enrolment order."""
        if event not in TABLES[DEFAULT]:
            self._unaudited(UnknownEvent, lambda: self.engine.advance(code, event, reason=reason))
            return
        before = observe(self.engine, self.nips)
        accepted: list[tuple[str, Attempt]] = []
        refused: list[tuple[str, Attempt]] = []
        skipped = 0
        moves = TABLES[self.ref.lifecycle[code]][event]
        for nip, member in list(self.ref.members[code].items()):
            if member.state not in moves:
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

    # -- rules: data commands --

    @precondition(_has_members)
    @rule(pick=PICKS, ended=st.booleans(), project=PROJECTS)
    def register_project(self, pick: int, ended: bool, project: ChangeProject) -> None:
        """A change project, with or without a mentor, is registered or replaced (or refused)."""
        code, nip = self._choose(pick, FINAL if ended else None)
        self._register(code, nip, project)

    def _register(self, code: str, nip: str, project: ChangeProject) -> None:
        def apply(member: Member) -> None:
            member.project = project

        self._judged(
            code,
            nip,
            lambda: self.ref.data(code, nip, "register_project", (), apply),
            lambda: self.engine.register_project(code, nip, project, actor="bkd"),
        )

    @precondition(_has_members)
    @rule(pick=PICKS, ended=st.booleans(), score=SCORES)
    def record_score(self, pick: int, ended: bool, score: float) -> None:
        """An overall score is recorded (or refused); the grade returned has the expected band."""
        code, nip = self._choose(pick, FINAL if ended else None)
        self._score(code, nip, score)

    def _score(self, code: str, nip: str, score: float) -> None:
        def apply(member: Member) -> None:
            member.score = score

        grade = self._judged(
            code,
            nip,
            lambda: self.ref.data(code, nip, "record_assessment", (), apply),
            lambda: self.engine.record_assessment(code, nip, score, actor="panitia"),
        )
        if not isinstance(grade, TransitionRejected):
            assert grade is not None
            assert grade.passed == (band(score) is not None)
            assert grade.band == (band(score) or FAILING_BAND)

    @precondition(_has_members)
    @rule(pick=PICKS, ended=st.booleans(), score=SCORES, reason=CORRECTION_REASONS)
    def correct_assessment(self, pick: int, ended: bool, score: float, reason: str | None) -> None:
        """A recorded score is corrected: a reason, and no outcome turned over, are needed."""
        code, nip = self._choose(pick, FINAL if ended else None)
        member = self._member(code, nip)

        def call() -> HistoryEntry:
            return self.engine.correct_assessment(code, nip, score, reason=reason, actor="bkd")

        if member.score is None:
            self._unaudited(InvalidInput, call)
            return

        def apply(changed: Member) -> None:
            changed.score = score

        codes = tuple(self.ref.correction_codes(member, score, reason))
        entry = self._judged(
            code,
            nip,
            lambda: self.ref.data(code, nip, "correct_assessment", codes, apply),
            call,
        )
        if isinstance(entry, HistoryEntry):
            assert entry.data is not None
            assert (entry.data["grade"], entry.data["passed"]) == (
                band(score) or FAILING_BAND,
                band(score) is not None,
            )

    @precondition(_has_members)
    @rule(
        pick=PICKS,
        ended=st.booleans(),
        name=CORRECTED_NAMES,
        birth=BIRTH_CORRECTIONS,
        echelon=CORRECTED_ECHELONS,
        reason=CORRECTION_REASONS,
    )
    def correct_participant(
        self,
        pick: int,
        ended: bool,
        name: str | None,
        birth: str | None,
        echelon: str | None,
        reason: str | None,
    ) -> None:
        """A name, birth date or echelon is corrected with a reason; bad values are refused."""
        code, nip = self._choose(pick, FINAL if ended else None)
        member = self._member(code, nip)
        born = corrected_birth(member.person, birth)

        def call() -> HistoryEntry:
            return self.engine.correct_participant(
                code, nip, name=name, birth_date=born, echelon=echelon, reason=reason
            )

        corrected = self.ref.corrected(member, name, born, echelon)
        if not isinstance(corrected, Participant):
            self._unaudited(corrected, call)
            return

        def apply(changed: Member) -> None:
            changed.person = corrected

        codes = ("reason_required",) if blank(reason) else ()
        self._judged(
            code, nip, lambda: self.ref.data(code, nip, "correct_participant", codes, apply), call
        )

    @precondition(_has_members)
    @rule(
        pick=PICKS, ended=st.booleans(), office=st.sampled_from(OFFICES), reason=CORRECTION_REASONS
    )
    def transfer_office(self, pick: int, ended: bool, office: Office, reason: str | None) -> None:
        """A participant moves to another office: a reason, and a seat there, are needed."""
        code, nip = self._choose(pick, FINAL if ended else None)
        member = self._member(code, nip)

        def call() -> HistoryEntry:
            return self.engine.transfer_office(code, nip, office, reason=reason, actor="bkd")

        if member.person.office.code == office.code:
            self._unaudited(InvalidInput, call)
            return
        codes = ["reason_required"] if blank(reason) else []
        if member.state not in FREES_SEAT and self.ref.seated(code, office.code) >= MAX_PER_OFFICE:
            codes.append("office_quota")

        def apply(changed: Member) -> None:
            changed.person = changed.person.model_copy(update={"office": office})

        self._judged(
            code,
            nip,
            lambda: self.ref.data(code, nip, "transfer_office", tuple(codes), apply),
            call,
        )

    @precondition(_has_members)
    @rule(
        pick=PICKS,
        ended=st.booleans(),
        on_class=st.booleans(),
        index=st.integers(0, 14),
        status=STATUSES,
    )
    def record_attendance(
        self, pick: int, ended: bool, on_class: bool, index: int, status: str
    ) -> None:
        """A day's attendance is recorded or replaced; a bad day or status is refused unaudited."""
        code, nip = self._choose(pick, FINAL if ended else None)
        days = ON_CLASS[code] if on_class else NOT_ON_CLASS[code]
        self._attend(code, nip, days[index % len(days)], status)

    @precondition(_has_members)
    @rule(
        pick=PICKS,
        statuses=st.lists(st.sampled_from(("present", "absent", "izin", "sakit")), max_size=7),
        first=st.integers(0, 14),
    )
    def attend_then_propose(self, pick: int, statuses: list[str], first: int) -> None:
        """Someone in class (if anyone is) attends some days, then presents a proposal."""
        code, nip = self._choose(pick, frozenset({"on_class"}))
        for i, status in enumerate(statuses):
            self._attend(code, nip, ON_CLASS[code][(first + i) % len(ON_CLASS[code])], status)
        if self._member(code, nip).project is None:
            self._register(code, nip, PROJECT)
        self._fire(code, nip, "present_proposal", None)

    def _attend(self, code: str, nip: str, day: date, status: str) -> None:
        def call() -> HistoryEntry:
            return self.engine.record_attendance(code, nip, day, status, actor="panitia")

        if not self.ref.attendance_day(code, day, status):
            self._unaudited(InvalidInput, call)
            return

        def apply(_: Member) -> None:
            self.ref.attendance.setdefault((code, nip), {})[day.isoformat()] = status

        self._judged(
            code, nip, lambda: self.ref.data(code, nip, "record_attendance", (), apply), call
        )

    @rule(code=CODES, how=SCHEDULES, reason=CORRECTION_REASONS)
    def set_schedule(self, code: str, how: str, reason: str | None) -> None:
        """A schedule is set (a closure takes an on-class day away) or refused, changing nothing."""
        plan = self.derived[code]
        if how == "closure":
            plan = plan.with_closure(Closure(day=CLOSED_DAY[code], name="Hari Jadi Kabupaten"))
        elif how == "short laboratory":
            lab = plan.window(ScheduleStage.LABORATORY)
            assert lab is not None
            short = StageWindow(stage=lab.stage, start=lab.start, end=lab.end - timedelta(days=1))
            plan = plan.with_window(short)
        codes = ("reason_required",) if blank(reason) else ()
        if how == "short laboratory":
            codes = (*codes, "laboratory_too_short")
        before = observe(self.engine, self.nips)
        self.ref.cohort_log[code].append("set_schedule")
        result = attempt(lambda: self.engine.set_schedule(code, plan, reason=reason, actor="bkd"))
        last = self.engine.history(cohort=code)[-1]
        assert (last.nip, last.event) == ("", "set_schedule")
        assert tuple(v.code for v in last.violations) == codes
        if codes:
            assert isinstance(result, TransitionRejected), result
            assert result.codes == codes
            assert observe(self.engine, self.nips) == before, "a refused schedule changed something"
            return
        assert result == plan
        assert self.engine.schedule(code) == plan
        self.ref.closed[code] = frozenset({CLOSED_DAY[code]} if how == "closure" else ())

    @rule(code=CODES, count=st.integers(0, 4))
    def form_groups(self, code: str, count: int) -> None:
        """Seated participants are grouped by theme, all or nobody (a closed record refuses)."""

        def call() -> Any:
            return self.engine.form_groups(code, count, actor="coach")

        if count < 1:
            self._unaudited(InvalidInput, call)
            return
        members = self.ref.members[code]
        seated = [nip for nip, m in members.items() if m.state not in FREES_SEAT]
        closed = [nip for nip in seated if members[nip].state in FINAL]
        before = observe(self.engine, self.nips)
        result = attempt(call)
        if closed:
            assert isinstance(result, TransitionRejected), result
            assert not isinstance(result, IllegalTransition)
            assert result.codes == ("record_closed",) * len(closed)
            assert result.nip in closed
            for nip in closed:
                expected = self.ref.data(code, nip, "form_groups", (), lambda _: None)
                assert attempt_of(self.engine.history(nip, cohort=code)[-1]) == expected
            assert observe(self.engine, self.nips) == before, "a refused grouping changed something"
            return
        assert isinstance(result, tuple), result
        self._check_groups(code, count, seated, result)
        placed = {nip: group.number for group in result for nip in group.members}
        for nip in seated:

            def apply(member: Member, number: int = placed[nip]) -> None:
                member.group = number

            expected = self.ref.data(code, nip, "form_groups", (), apply)
            assert attempt_of(self.engine.history(nip, cohort=code)[-1]) == expected

    def _check_groups(
        self, code: str, count: int, seated: list[str], groups: tuple[Group, ...]
    ) -> None:
        """Groups partition the seated, are numbered from 1, bounded in size, labelled by theme."""
        members = self.ref.members[code]
        placed = [nip for group in groups for nip in group.members]
        assert sorted(placed) == sorted(seated), "not every seated participant placed once"
        assert [g.number for g in groups] == list(range(1, len(groups) + 1))
        assert len(groups) <= count
        if seated:
            largest = math.ceil(len(seated) / min(count, len(seated)))
            assert all(0 < len(g.members) <= largest for g in groups)
        for group in groups:
            themes = {theme_of(members[nip].project) for nip in group.members}
            assert set(group.themes) == themes

    # -- rules: migrations --

    @rule(code=CODES, other=st.booleans(), how=MIGRATIONS, dry_run=st.booleans())
    def migrate(self, code: str, other: bool, how: str, dry_run: bool) -> None:
        """A cohort moves to the other lifecycle, each state mapped, or is refused unwritten."""
        current = self.ref.lifecycle[code]
        target, mapping = migration(current, other, how)

        def call() -> Any:
            return self.engine.migrate(
                code, LIFECYCLES[target], mapping, actor="bkd", reason="SK baru", dry_run=dry_run
            )

        verdict, detail = self.ref.plan(code, target, mapping)
        if verdict == "invalid":
            self._unaudited(InvalidInput, call)
            return
        if verdict == "rejected":
            before, trails = observe(self.engine, self.nips), self._trails()
            with pytest.raises(MigrationRejected) as refused:
                call()
            assert tuple(sorted(refused.value.codes)) == detail
            assert observe(self.engine, self.nips) == before
            assert self._trails() == trails, "a refused migration wrote an entry"
            return
        before, trails = observe(self.engine, self.nips), self._trails()
        plan = call()
        assert plan.moves == detail
        assert plan.applied is not dry_run
        assert plan.source == LIFECYCLES[current].ref
        assert plan.target == LIFECYCLES[target].ref
        if dry_run:
            assert observe(self.engine, self.nips) == before
            assert self._trails() == trails, "a dry run wrote an entry"
            return
        self.ref.migrate(code, target, mapping)

    # -- invariants: agreement with the reference --

    @invariant()
    def members_agree(self) -> None:
        """Every enrolment has the reference's state, version, flags, project, score, group ..."""
        for code, members in self.ref.members.items():
            engine_view = {
                e.nip: (
                    e.state,
                    e.version,
                    e.revisions,
                    e.project,
                    (e.scores or {}).get("overall"),
                    e.group,
                    e.participant.office.code,
                    e.participant.name,
                    e.participant.echelon,
                    e.participant.born,
                    e.active,
                    e.seated,
                    e.completed,
                )
                for e in self.engine.participants(code)
            }
            ref_view = {nip: m.view() for nip, m in members.items()}
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
            assert set(status.by_state) == STATES[self.ref.lifecycle[code]]

    @invariant()
    def attendance_agrees(self) -> None:
        """Every member's recorded attendance days and statuses agree with the reference."""
        for code in COHORT_STARTS:
            expected = {
                nip: days for (c, nip), days in self.ref.attendance.items() if c == code and days
            }
            assert self.engine.store.projection(code).attendance == expected

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

    @invariant()
    def cohorts_agree(self) -> None:
        """Each cohort's chain holds its creation and migrations; it runs the expected lifecycle."""
        for code in COHORT_STARTS:
            trail = self.engine.history(cohort=code)
            assert [e.seq for e in trail] == list(range(1, len(trail) + 1))
            assert [e.event for e in trail if e.nip == ""] == self.ref.cohort_log[code]
            assert trail[0].event == "create_cohort"
            expected = LIFECYCLES[self.ref.lifecycle[code]]
            assert self.engine.pinned(code) == expected.ref
            assert self.engine.lifecycle_of(code).sha256 == expected.sha256

    @invariant()
    def the_record_verifies(self) -> None:
        """``verify`` finds every chain intact and every stored fact equal to its replay."""
        checks = self.engine.verify()
        assert [c.cohort for c in checks] == sorted(COHORT_STARTS)
        assert all(c.ok for c in checks), [c.to_dict() for c in checks if not c.ok]
        assert [c.entries for c in checks] == list(self._trails().values())

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
        """Graduates came from seminar, only reopen leaves a final state, closed stays closed."""
        active: dict[str, list[str]] = {}
        for code in COHORT_STARTS:
            for e in self.engine.participants(code):
                done = [h for h in self.engine.history(e.nip, cohort=code) if h.accepted]
                assert done[0].event == "enrol"
                assert done[-1].target == e.state
                for earlier, later in itertools.pairwise(done):
                    assert earlier.target == later.source, "a command did not start where one ended"
                    if later.source in FINAL and later.target != later.source:
                        assert later.event == "reopen", "a final state was left"
                    if later.event in CLOSED_RECORD_COMMANDS:
                        assert later.source not in FINAL, "a closed record changed"
                if e.state == "graduated":
                    arrival = [h for h in done if h.target == "graduated" != h.source][-1]
                    assert (arrival.event, arrival.source) == ("graduate", "seminar")
                if e.state not in FINAL:
                    active.setdefault(e.nip, []).append(code)
        assert all(len(codes) == 1 for codes in active.values()), "active in two cohorts"


SETTINGS = settings(
    deadline=None,
    max_examples=max(150, settings().max_examples),  # a profile may ask for more
    stateful_step_count=40,
)


def test_engine_agrees_with_the_reference_model() -> None:
    """Random commands of every kind leave the engine where the reference is, and verified."""
    run_state_machine_as_test(EngineVersusReference, settings=SETTINGS)


def test_reopen_after_a_migration_returns_to_the_renamed_state_left() -> None:
    """Withdrawn from a stage a migration renamed, reopen returns to the stage's new name."""
    engine = trusted_engine(MemoryStore(), clock=FixedClock(datetime(2019, 4, 4, 8, tzinfo=UTC)))
    code, cohort = next(iter(COHORTS.items()))
    engine.create_cohort(cohort)
    nip = engine.enrol(
        code,
        Participant(nip="197003152000031004", name="Budi", echelon="III.a", office=OFFICES[0]),
    ).nip
    engine.fire(code, nip, "start_class")
    engine.register_project(code, nip, PROJECT)
    engine.fire(code, nip, "present_proposal")
    engine.fire(code, nip, "approve_proposal")
    engine.fire(code, nip, "withdraw", reason="sakit")
    engine.migrate(code, LIFECYCLES[WORKSHOP], {"laboratory": "workshop"}, reason="SK baru")
    entry = engine.fire(code, nip, "reopen", reason="salah input")
    assert (entry.source, entry.target) == ("withdrawn", "workshop")
    assert all(check.ok for check in engine.verify())
