"""Model-based test: the engine on the SQL store against the engine on the memory store.

Hypothesis drives the same random commands through two engines sharing one fixed clock:
one on a :class:`~changeflow.store.sql.SqlStore` (SQLite or PostgreSQL, a fresh database
per example) and one on a :class:`~changeflow.MemoryStore`, the reference. Nominations
(eligible or not, repeated NIPs, crowded offices, full cohorts, an office code under a
second name), single events (legal or not, ``reopen`` included, with and without reason,
payload and effective date), bulk advances, projects, scores, groups, score and person
corrections, office transfers, attendance (on valid days or not), schedules (an
organiser's closure or visit, refused ones), migrations between the default lifecycle and a
variant (dry runs and refused ones included), dry runs of moves, nominations to the other cohort,
idempotency keys (reused for the same command, which must replay, or for another, which
must conflict), a clock that moves, a store reopened mid-run, and direct edits of a
projection table that ``verify`` must name. Every command must end the same way on both
(the same value, or the same error with the same violations); after every step
participants, histories, pinned lifecycles, schedules, attendance, hash-chain heads, offices
and the SQL engine's ``verify`` (chain and stored facts against the replay) must agree, and
every few steps also headcounts, seat counters, standings and the memory engine's
``verify``, on this store and on a new store opened on the same database.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

import pytest
from hypothesis import HealthCheck, settings
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
from sqlalchemy import Connection, TextClause, text

from changeflow import (
    AdvanceReport,
    Assessment,
    ChangeflowError,
    ChangeProject,
    Cohort,
    CohortParameters,
    Difference,
    Engine,
    FixedClock,
    GradingScheme,
    HistoryEntry,
    IdempotencyConflict,
    MemoryStore,
    Mentor,
    MigrationPlan,
    MigrationRejected,
    Office,
    Participant,
    TransitionRejected,
)
from changeflow.schedule import Schedule, ScheduleStage, StageWindow, Visit
from changeflow.store.sql import SqlStore
from changeflow.testing import eligible_participants, participants
from changeflow.workdays import Closure
from factories import trusted_engine
from postgres_server import database_name
from stateful_support import (
    BIRTH_CORRECTIONS,
    CORRECTED_ECHELONS,
    CORRECTED_NAMES,
    CORRECTION_REASONS,
    DEFAULT,
    LAB,
    LIFECYCLES,
    MIGRATIONS,
    corrected_birth,
    migration,
)

if TYPE_CHECKING:
    from postgres_server import PostgresServer

# -- the world both engines live in ----------------------------------------------------------

CAPACITY = 5
MAX_PER_OFFICE = 2
COHORTS = (
    Cohort(
        code="PKA-A-2019",
        name="Diklat PIM III angkatan A 2019",
        start=date(2019, 4, 4),
        end=date(2019, 7, 19),
        capacity=CAPACITY,
        parameters=CohortParameters(max_per_office=MAX_PER_OFFICE),
    ),
    Cohort(
        code="PKA-B-2021",
        name="Diklat PIM III angkatan B 2021",
        start=date(2021, 1, 18),
        end=date(2021, 4, 30),
        capacity=CAPACITY,
        parameters=CohortParameters(
            max_per_office=MAX_PER_OFFICE,
            grading=GradingScheme(weights={"seminar": 0.6, "paper": 0.4}),
        ),
    ),
)
CODES = tuple(c.code for c in COHORTS)
OFFICES = tuple(
    Office(code=code, name=name)
    for code, name in (
        ("DINKES", "Dinas Kesehatan"),
        ("BKD", "Badan Kepegawaian Daerah"),
        ("DISDIK", "Dinas Pendidikan"),
        ("DINSOS", "Dinas Sosial"),
        # The same code under another name: the first name stored must win on both stores.
        ("DINKES", "Dinas Kesehatan Kabupaten Probolinggo"),
    )
)
OFFICE = st.sampled_from(OFFICES)
FINAL = frozenset({"graduated", "not_passed", "withdrawn", "dropped"})
EVENTS = tuple(dict.fromkeys(t.event for t in LIFECYCLES[DEFAULT].transitions))
"""The events of both lifecycles (they differ in a state's name only)."""
ANY_EVENT = st.sampled_from((*EVENTS, "graduate_early"))  # the last is not an event
FORWARD = {
    "enrolled": "start_class",
    "on_class": "present_proposal",
    "proposal": "approve_proposal",
    **dict.fromkeys(LAB.values(), "present_results"),
    "seminar": "graduate",
}
ECHELONS = st.sampled_from(("III.a", "III.a", "III.b", "administrator", "IV.a", "II.b"))
BIRTHS = st.one_of(
    st.dates(date(1963, 1, 1), date(1967, 12, 31)), st.dates(date(1970, 1, 1), date(1990, 12, 31))
)
REASONS = st.sampled_from((None, "", "   ", "sakit", "mutasi — rawat inap ü"))
ACTORS = st.sampled_from((None, "bkd", "mentor"))
KEYS = st.one_of(st.none(), st.sampled_from(("k-1", "k-2", "k-3", "k-4")))
SOME_KEYS = st.sampled_from((None, None, None, "k-1", "k-5", "k-6", "k-7"))
"""Keys for data commands, corrections and migrations: mostly none, so that they run."""
PAYLOADS = st.one_of(
    st.none(),
    st.fixed_dictionaries(
        {"note": st.sampled_from(("SK", "surat № 5 — ü")), "n": st.integers(-3, 3)},
        optional={"ratio": st.sampled_from((0.1, 2.5)), "tags": st.just(["a", "b"])},
    ),
)
EFFECTIVE = st.one_of(st.none(), st.dates(date(2019, 1, 1), date(2021, 12, 31)))
SCORES = st.one_of(
    st.sampled_from((0.0, 69.99, 70.0, 70.01, 80.0, 90.0, 100.0)),
    st.floats(0, 100, allow_nan=False, allow_infinity=False),
)
PASSING = st.sampled_from((70.01, 80.0, 90.5, 100.0))
"""Scores for walking to graduation; ``record_score`` tries any score."""
COMPONENTS = st.sampled_from(("overall", "seminar", "paper"))
MENTORED = (
    ChangeProject(
        title="Layanan antar jemput akta",
        theme="kependudukan",
        mentor=Mentor(name="Kepala Dinas", nip=None, position="Kepala Dinas"),
    ),
    ChangeProject(
        title="Aplikasi antrean daring", theme="Kesehatan", mentor=Mentor(name="Sekretaris Daerah")
    ),
)
PROJECTS = st.sampled_from((*MENTORED, ChangeProject(title="Posyandu digital", theme="kesehatan ")))
"""Change projects, one without the mentor a proposal needs; themes differ only in case."""
PICKS = st.integers(0, 63)
DAYS = st.sampled_from(
    (
        *(date(2019, 4, d) for d in (4, 5, 9, 10, 26)),
        *(date(2021, 1, d) for d in (18, 19, 20)),
        date(2021, 2, 5),
        date(2019, 4, 17),  # election day
        date(2019, 4, 29),  # the 2019 proposal day, after on_class
        date(2021, 1, 23),  # a Saturday
    )
)
"""Attendance days: on-class working days of both cohorts, and days refused."""
STATUSES = st.sampled_from(("present", "present", "absent", "izin", "sakit", "hadir"))
"""Attendance statuses; ``hadir`` is none changeflow knows."""
SCHEDULES = st.sampled_from(("closure", "visit", "derived", "short laboratory"))
"""How an organiser's schedule differs from the derived one (a short laboratory is refused)."""
DURABILITY_EVERY = 13
"""Compare everything, and on a newly opened store, every this many steps (and at the end)."""

Command = tuple[str, tuple[Any, ...], dict[str, Any]]
"""An engine method's name with its positional and keyword arguments."""


def run(engine: Engine, command: Command) -> Any:
    """Call one engine command."""
    name, args, kwargs = command
    return getattr(engine, name)(*args, **kwargs)


@dataclass(frozen=True)
class Outcome:
    """What a command did: the value it returned or the error it raised.

    The error is a changeflow error, or pydantic's ``ValidationError`` for an invalid
    corrected value.
    """

    value: Any = None
    error: ChangeflowError | ValidationError | None = None

    @property
    def remembered(self) -> bool:
        """Whether a keyed command with this outcome leaves its key recorded."""
        return self.error is None or isinstance(self.error, TransitionRejected)


def outcome_of(call: Callable[[], Any]) -> Outcome:
    """Run ``call``, catching the changeflow (or validation) error it may raise."""
    try:
        return Outcome(value=call())
    except (ChangeflowError, ValidationError) as error:
        return Outcome(error=error)


def comparable(outcome: Outcome) -> object:
    """An outcome in a shape that is equal exactly when two outcomes are the same."""
    error = outcome.error
    if error is not None:
        return type(error), error_details(error)
    value = outcome.value
    if isinstance(value, HistoryEntry):
        return "entry", value, value.to_dict()
    if isinstance(value, AdvanceReport | MigrationPlan):
        return "report", value, value.to_dict()
    return "value", value


def error_details(error: ChangeflowError | ValidationError) -> object:
    """What must be equal for two errors to be the same: the violations, or the message."""
    if isinstance(error, TransitionRejected):
        details = (error.cohort, error.nip, error.event, error.state)
        return error.codes, details, [v.to_dict() for v in error.violations]
    if isinstance(error, MigrationRejected):
        return error.cohort, [v.to_dict() for v in error.violations]
    if isinstance(error, ValidationError):
        return [(e["loc"], e["type"]) for e in error.errors()]
    return str(error)


def entries(history: list[HistoryEntry]) -> list[tuple[HistoryEntry, dict[str, Any]]]:
    """History entries with their JSON form, to compare both."""
    return [(e, e.to_dict()) for e in history]


def view(engine: Engine, nips: set[str], *, full: bool) -> dict[str, object]:
    """What an engine shows: participants, histories (per cohort and of ``nips``), offices.

    ``full`` adds what the rest implies but other code computes: headcounts, the chain
    heads' positions as :meth:`Engine.checkpoints` lists them, every entry as the trail
    opens it, the whole history across cohorts, and the store's own seat counters and
    standings (see :func:`counters`). The hashes themselves differ between stores: each
    person's commitments are keyed with a random key of that store (changeflow.personal).
    """
    seen: dict[str, object] = {"offices": engine.offices()}
    for code in CODES:
        seen[f"lifecycle/{code}"] = engine.pinned(code)
        seen[f"schedule/{code}"] = engine.schedule(code)
        seen[f"attendance/{code}"] = engine.store.projection(code).attendance
        seen[f"participants/{code}"] = [e.to_dict() for e in engine.participants(code)]
        seen[f"history/{code}"] = entries(engine.history(cohort=code))
    for nip in sorted(nips):
        seen[f"history/{nip}"] = entries(engine.history(nip))
    if full:
        seen["status"] = [engine.status(code).to_dict() for code in CODES]
        seen["checkpoints"] = [(c.cohort, c.seq, c.at) for c in engine.checkpoints()]
        seen["trails"] = [[e.to_dict() for e in engine.store.opened(c)] for c in CODES]
        seen["history"] = entries(engine.history())
        seen["counters"] = counters(engine, nips)
    return seen


def counters(engine: Engine, nips: set[str]) -> dict[str, object]:
    """The facts the quota and one-course rules read from the store, under a unit's lock."""
    seen: dict[str, object] = {}
    for code in CODES:
        with engine.store.unit(code) as unit:
            offices = {o.code: unit.seated_from_office(code, o.code) for o in OFFICES}
            seen[code] = (unit.seated(code), offices)
            if code == CODES[0]:
                seen["standing"] = {nip: unit.standing(nip) for nip in sorted(nips)}
    return seen


# -- editing a projection directly, as a database owner could ---------------------------------

TAMPERED = ("enrolments", "assessments", "change_projects", "cohort_offices", "attendance")
"""The projection tables a direct edit may hit."""


class Tampering(NamedTuple):
    """One stored fact to edit: its row, its column, and how verify names it."""

    table: str
    column: str
    where: str
    params: dict[str, Any]
    key: str
    """Whose fact a :class:`Difference` names: the NIP, or the office for seat counters."""
    field: str
    """The field a :class:`Difference` names."""

    def select(self) -> TextClause:
        """The statement reading the fact."""
        return text(f"SELECT {self.column} FROM {self.table} WHERE {self.where}")  # noqa: S608

    def update(self) -> TextClause:
        """The statement setting the fact to ``:value``."""
        return text(f"UPDATE {self.table} SET {self.column} = :value WHERE {self.where}")  # noqa: S608


def tampering(connection: Connection, table: str, code: str, nip: str) -> Tampering:
    """A fact of ``table`` about the participant (their enrolment's version if none is stored)."""
    enrolment, office, cohort = connection.execute(
        text(
            "SELECT e.id, e.office_code, c.id FROM enrolments e "
            "JOIN cohorts c ON c.id = e.cohort_id WHERE c.code = :code AND e.nip = :nip"
        ),
        {"code": code, "nip": nip},
    ).one()
    ids = {"id": enrolment}
    component = connection.execute(
        text("SELECT min(component) FROM assessments WHERE enrolment_id = :id"), ids
    ).scalar()
    attended = {"cohort": cohort, "nip": nip}
    day = connection.execute(
        text("SELECT min(day) FROM attendance WHERE cohort_id = :cohort AND nip = :nip"),
        attended,
    ).scalar()
    candidates = {
        "assessments": Tampering(
            "assessments",
            "score",
            "enrolment_id = :id AND component = :component",
            {**ids, "component": component},
            nip,
            str(component),
        ),
        "change_projects": Tampering(
            "change_projects", "title", "enrolment_id = :id", ids, nip, "title"
        ),
        "cohort_offices": Tampering(
            "cohort_offices",
            "seated",
            "cohort_id = :cohort AND office_code = :office",
            {"cohort": cohort, "office": office},
            office,
            "seated",
        ),
        "attendance": Tampering(
            "attendance",
            "status",
            "cohort_id = :cohort AND nip = :nip AND day = :day",
            {**attended, "day": day},
            nip,
            str(day),
        ),
    }
    edit = candidates.get(table)
    if edit is not None and connection.execute(edit.select(), edit.params).first() is not None:
        return edit
    return Tampering("enrolments", "version", "id = :id", ids, nip, "version")


def forgery(value: Any) -> Any:
    """A different value of the same type."""
    if isinstance(value, str):
        return "Proyek palsu" if value != "Proyek palsu" else "Proyek asli"
    if isinstance(value, float):
        return value + 1.5
    return value + 100


# -- where each example's database comes from ------------------------------------------------

Provision = Callable[[], tuple[str, Callable[[], None]]]
"""Makes an empty database: its URL and how to remove it."""


def sqlite_database() -> tuple[str, Callable[[], None]]:
    """A SQLite file in a new temporary directory, removed with the directory."""
    directory = tempfile.mkdtemp(prefix="changeflow-stateful-")
    return f"sqlite:///{directory}/changeflow.db", lambda: shutil.rmtree(directory)


def postgres_database(server: PostgresServer) -> Provision:
    """Fresh databases on the session's PostgreSQL server, each dropped after its example."""

    def provision() -> tuple[str, Callable[[], None]]:
        """A new, empty database and how to drop it."""
        name = database_name("stateful")
        return server.create_database(name), lambda: server.drop_database(name)

    return provision


# -- the machine --------------------------------------------------------------------------------


class SqlVersusMemory(RuleBasedStateMachine):
    """Runs every command on the SQL and the memory engine and compares them step by step."""

    provision: Provision
    people = Bundle("people")

    def __init__(self) -> None:
        """Open a fresh database and create both cohorts on both engines."""
        super().__init__()
        self.url, self._remove = type(self).provision()
        # True from a command until the comparison after it passes: a failed step must not
        # be followed by teardown's comparison, whose failure would mask the first one.
        self.unsettled = True
        self.clock = FixedClock(datetime(2019, 4, 4, 8, tzinfo=UTC))
        self.memory = trusted_engine(MemoryStore(), clock=self.clock)
        for cohort in COHORTS:
            self.memory.create_cohort(cohort)
        try:
            self.sql_store = SqlStore(self.url)
        except BaseException:
            self._remove()
            raise
        self.sql = trusted_engine(self.sql_store, clock=self.clock)
        try:
            for cohort in COHORTS:
                self.sql.create_cohort(cohort)
        except BaseException:
            self.teardown()
            raise
        self.derived = {cohort.code: self.memory.schedule(cohort.code) for cohort in COHORTS}
        self.members: list[tuple[str, str]] = []
        self.nips: set[str] = set()
        self.touched: set[str] = set()
        self.keyed: dict[str, tuple[Command, Outcome]] = {}
        self.steps = 0
        self.unsettled = False

    def teardown(self) -> None:
        """Compare everything once more, then close the store and remove the database.

        The last comparison is skipped when a step failed, so it cannot mask that failure.
        """
        try:
            if not self.unsettled and self.steps % DURABILITY_EVERY:
                self._everything_agrees()
        finally:
            try:
                self.sql_store.close()
            finally:
                self._remove()

    # -- running commands on both engines --

    def _both(self, command: Command) -> Outcome:
        """Run a command on both engines; they must end it the same way."""
        self.unsettled = True
        expected = outcome_of(lambda: run(self.memory, command))
        got = outcome_of(lambda: run(self.sql, command))
        assert comparable(got) == comparable(expected), f"{command} ended differently"
        key = command[2].get("key")
        if key and key not in self.keyed and expected.remembered:
            self.keyed[key] = (command, expected)
        return expected

    def _enrol(self, code: str, person: Participant, **options: Any) -> None:
        """Nominate on both engines; an accepted person becomes a member to pick."""
        self.nips.add(person.nip)
        self.touched.add(person.nip)
        result = self._both(("enrol", (code, person), options))
        if result.error is None and (code, person.nip) not in self.members:
            self.members.append((code, person.nip))

    def _fire(self, code: str, nip: str, event: str, **options: Any) -> Outcome:
        """Fire one event on both engines."""
        self.touched.add(nip)
        return self._both(("fire", (code, nip, event), options))

    def _has_members(self) -> bool:
        """Whether anyone was ever enrolled (a precondition)."""
        return bool(self.members)

    def _pick(self, index: int) -> tuple[str, str]:
        """The ``(cohort, NIP)`` of a member, whatever their state."""
        return self.members[index % len(self.members)]

    def _choose(self, index: int, states: frozenset[str] | None) -> tuple[str, str]:
        """A member in one of ``states`` when anyone is (``None``: anyone), else anyone."""
        found = [
            (code, nip)
            for code, nip in self.members
            if states is None or self.memory.state(code, nip) in states
        ]
        return found[index % len(found)] if found else self._pick(index)

    def _lifecycle(self, code: str) -> str:
        """The name (in :data:`LIFECYCLES`) of the lifecycle the cohort runs."""
        pinned = self.memory.pinned(code)
        return next(name for name, d in LIFECYCLES.items() if pinned and d.sha256 == pinned.sha256)

    def _has_keys(self) -> bool:
        """Whether some idempotency key is recorded (a precondition)."""
        return bool(self.keyed)

    # -- rules: nominations --

    @rule(
        target=people,
        person=participants(
            office=OFFICE,
            echelon=ECHELONS,
            born=BIRTHS,
            retirement_age=st.sampled_from((None, None, 60)),
        ),
    )
    def nominate(self, person: Participant) -> Participant:
        """A new person, eligible or not, joins the pool of nominees."""
        return person

    @rule(target=people, person=people, office=OFFICE, echelon=ECHELONS)
    def renominate(self, person: Participant, office: Office, echelon: str) -> Participant:
        """The same NIP comes back, perhaps from another office or with another rank."""
        return person.model_copy(update={"office": office, "echelon": echelon})

    @initialize(
        target=people,
        first=st.lists(eligible_participants(COHORTS[0], office=OFFICE), max_size=3),
        second=st.lists(eligible_participants(COHORTS[1], office=OFFICE), max_size=3),
        steps=st.lists(st.integers(0, 6), min_size=6, max_size=6),
        score=SCORES,
    )
    def open_both_cohorts(
        self, first: list[Participant], second: list[Participant], steps: list[int], score: float
    ) -> MultipleResults[Participant]:
        """Both cohorts start with a few eligible people enrolled, each walked some way on."""
        walks = iter(steps)
        for code, people in zip(CODES, (first, second), strict=True):
            for person in people:
                self._enrol(code, person, actor="bkd")
                if (code, person.nip) in self.members:
                    self._walk(code, person.nip, next(walks), MENTORED[0], score, revise=False)
        return multiple(*first, *second)

    @rule(
        target=people,
        nomination=st.one_of(
            *[
                st.tuples(
                    st.just(cohort.code),
                    st.lists(
                        eligible_participants(cohort, office=OFFICE),
                        min_size=1,
                        max_size=4,
                    ),
                )
                for cohort in COHORTS
            ]
        ),
    )
    def enrol_eligible_people(
        self, nomination: tuple[str, list[Participant]]
    ) -> MultipleResults[Participant]:
        """New, eligible people are nominated together; only quotas can refuse them."""
        code, people = nomination
        for person in people:
            self._enrol(code, person, actor="bkd")
        return multiple(*people)

    @rule(person=people, code=st.sampled_from(CODES), actor=ACTORS, reason=REASONS, key=KEYS)
    def enrol(
        self, person: Participant, code: str, actor: str | None, reason: str | None, key: str | None
    ) -> None:
        """A nomination, perhaps keyed, ends the same way on both stores."""
        self._enrol(code, person, actor=actor, reason=reason, key=key)

    @precondition(_has_members)
    @rule(pick=PICKS, key=KEYS)
    def enrol_elsewhere(self, pick: int, key: str | None) -> None:
        """A member is nominated to the other cohort: refused while active or graduated."""
        code, nip = self._pick(pick)
        person = self.memory.participant(code, nip).participant
        self._enrol(CODES[(CODES.index(code) + 1) % len(CODES)], person, actor="bkd", key=key)

    # -- rules: events --

    @precondition(_has_members)
    @rule(
        pick=PICKS,
        event=ANY_EVENT,
        reason=REASONS,
        actor=ACTORS,
        payload=PAYLOADS,
        effective=EFFECTIVE,
        key=KEYS,
    )
    def fire_any_event(
        self,
        pick: int,
        event: str,
        reason: str | None,
        actor: str | None,
        payload: dict[str, Any] | None,
        effective: date | None,
        key: str | None,
    ) -> None:
        """Any event, legal or not, with or without reason, payload, date and key."""
        code, nip = self._pick(pick)
        self._fire(
            code,
            nip,
            event,
            reason=reason,
            actor=actor,
            payload=payload,
            effective_date=effective,
            key=key,
        )

    @precondition(_has_members)
    @rule(
        pick=PICKS,
        steps=st.integers(1, 6),
        project=st.sampled_from(MENTORED),
        score=PASSING,
        revise=st.booleans(),
    )
    def walk(
        self, pick: int, steps: int, project: ChangeProject, score: float, revise: bool
    ) -> None:
        """A participant goes forward, prepared with a project and scores, until refused."""
        code, nip = self._pick(pick)
        self._walk(code, nip, steps, project, score, revise=revise)

    def _walk(
        self, code: str, nip: str, steps: int, project: ChangeProject, score: float, *, revise: bool
    ) -> None:
        """Fire each next forward event, ``steps`` times or until refused (prepared)."""
        for _ in range(steps):
            state = self.memory.state(code, nip)
            if state not in FORWARD:
                return
            if state == "on_class":
                self._both(("register_project", (code, nip, project), {}))
            if state == "seminar":
                for component in ("overall", "seminar", "paper"):
                    assessment = Assessment(score=score, component=component)
                    self._both(("record_assessment", (code, nip, assessment), {}))
            if state == "proposal" and revise:
                self._fire(code, nip, "revise_proposal", actor="coach")
            if self._fire(code, nip, FORWARD[state], actor="bkd").error is not None:
                return

    @precondition(_has_members)
    @rule(pick=PICKS, choice=st.integers(0, 8), reason=REASONS, key=KEYS)
    def fire_a_legal_event(
        self, pick: int, choice: int, reason: str | None, key: str | None
    ) -> None:
        """An event the participant's state allows (guards may still refuse it)."""
        code, nip = self._pick(pick)
        state = self.memory.state(code, nip)
        legal = list(self.memory.lifecycle_of(code).events_from(state)) or list(EVENTS)
        self._fire(code, nip, legal[choice % len(legal)], reason=reason, key=key)

    @rule(person=people, code=st.sampled_from(CODES), event=ANY_EVENT, key=KEYS)
    def fire_for_anyone(self, person: Participant, code: str, event: str, key: str | None) -> None:
        """An event for someone perhaps not enrolled in the cohort (refused unaudited)."""
        self._fire(code, person.nip, event, reason="mutasi", key=key)

    @precondition(_has_members)
    @rule(
        code=st.sampled_from(CODES),
        event=ANY_EVENT,
        reason=REASONS,
        payload=PAYLOADS,
        effective=EFFECTIVE,
        key=KEYS,
    )
    def advance(
        self,
        code: str,
        event: str,
        reason: str | None,
        payload: dict[str, Any] | None,
        effective: date | None,
        key: str | None,
    ) -> None:
        """A bulk advance, perhaps keyed, reports and writes the same on both stores."""
        self.touched.update(nip for c, nip in self.members if c == code)
        options = {
            "reason": reason,
            "actor": "bkd",
            "payload": payload,
            "effective_date": effective,
            "key": key,
        }
        self._both(("advance", (code, event), options))

    # -- rules: idempotency keys --

    @precondition(_has_keys)
    @rule(choice=PICKS)
    def retry_with_the_same_key(self, choice: int) -> None:
        """Reusing a key for the same command replays the first result and writes nothing."""
        key = sorted(self.keyed)[choice % len(self.keyed)]
        command, first = self.keyed[key]
        again = self._both(command)
        if command[0] == "advance":
            assert isinstance(again.value, AdvanceReport)
            assert isinstance(first.value, AdvanceReport)
            assert again.value.accepted == first.value.accepted
            assert again.value.refused == first.value.refused
        else:
            assert comparable(again) == comparable(first), "a retry did not replay"

    @precondition(_has_keys)
    @rule(choice=PICKS, how=st.sampled_from(("reason", "actor", "event")))
    def reuse_the_key_for_another_command(self, choice: int, how: str) -> None:
        """Reusing a key for a different command is an IdempotencyConflict on both stores."""
        key = sorted(self.keyed)[choice % len(self.keyed)]
        (name, args, kwargs), _ = self.keyed[key]
        if how == "reason":
            kwargs = {**kwargs, "reason": f"{kwargs.get('reason')} (lagi)"}
        elif how == "actor":
            kwargs = {**kwargs, "actor": f"{kwargs.get('actor')}-2"}
        elif name == "enrol":
            name, args = "fire", (args[0], args[1].nip, "start_class")
        elif name in {"fire", "advance"}:
            args = (*args[:-1], "drop" if args[-1] != "drop" else "withdraw")
        else:  # a data command or a migration: another reason makes it another command
            kwargs = {**kwargs, "reason": f"{kwargs.get('reason')} (lain)"}
        result = self._both((name, args, kwargs))
        assert isinstance(result.error, IdempotencyConflict), result

    # -- rules: the data guards need, and reads --

    @precondition(_has_members)
    @rule(pick=PICKS, ended=st.booleans(), project=PROJECTS, actor=ACTORS, key=SOME_KEYS)
    def register_project(
        self, pick: int, ended: bool, project: ChangeProject, actor: str | None, key: str | None
    ) -> None:
        """A project, with or without a mentor, is registered or replaced (closed: refused)."""
        code, nip = self._choose(pick, FINAL if ended else None)
        self.touched.add(nip)
        self._both(("register_project", (code, nip, project), {"actor": actor, "key": key}))

    @precondition(_has_members)
    @rule(pick=PICKS, ended=st.booleans(), score=SCORES, component=COMPONENTS, key=SOME_KEYS)
    def record_score(
        self, pick: int, ended: bool, score: float, component: str, key: str | None
    ) -> None:
        """A score for one component is recorded or replaced (closed: refused); grades agree."""
        code, nip = self._choose(pick, FINAL if ended else None)
        self.touched.add(nip)
        assessment = Assessment(score=score, component=component)
        self._both(("record_assessment", (code, nip, assessment), {"key": key}))

    @rule(person=people, code=st.sampled_from(CODES), project=PROJECTS, score=SCORES)
    def prepare_someone_perhaps_absent(
        self, person: Participant, code: str, project: ChangeProject, score: float
    ) -> None:
        """A project and a score for a NIP perhaps not enrolled (ParticipantNotFound on both)."""
        self._both(("register_project", (code, person.nip, project), {}))
        self._both(("record_assessment", (code, person.nip, score), {}))

    @precondition(_has_members)
    @rule(code=st.sampled_from(CODES), count=st.integers(0, 3), key=SOME_KEYS)
    def form_groups(self, code: str, count: int, key: str | None) -> None:
        """Groups are formed the same way, all or nobody (a count of 0 is refused on both)."""
        self.touched.update(nip for c, nip in self.members if c == code)
        self._both(("form_groups", (code, count), {"actor": "coach", "key": key}))

    @precondition(_has_members)
    @rule(pick=PICKS, ended=st.booleans(), day=DAYS, status=STATUSES, key=SOME_KEYS)
    def record_attendance(
        self, pick: int, ended: bool, day: date, status: str, key: str | None
    ) -> None:
        """A day's attendance is recorded or replaced (closed, a bad day or status: refused)."""
        code, nip = self._choose(pick, FINAL if ended else None)
        self.touched.add(nip)
        options = {"actor": "panitia", "key": key}
        self._both(("record_attendance", (code, nip, day, status), options))

    @rule(code=st.sampled_from(CODES), how=SCHEDULES, reason=CORRECTION_REASONS, key=SOME_KEYS)
    def set_schedule(self, code: str, how: str, reason: str | None, key: str | None) -> None:
        """An organiser's schedule is stored, or refused (no reason, a short laboratory)."""
        options = {"reason": reason, "actor": "bkd", "key": key}
        self._both(("set_schedule", (code, self._schedule(code, how)), options))

    def _schedule(self, code: str, how: str) -> Schedule:
        """The derived schedule with a closure, a visit's destination or a short laboratory."""
        plan = self.derived[code]
        on_class = plan.window(ScheduleStage.ON_CLASS)
        assert on_class is not None
        if how == "closure":
            return plan.with_closure(Closure(day=on_class.start + timedelta(days=1), name="Cuti"))
        if how == "visit":
            visit = Visit(start=on_class.start, end=on_class.start, destination="Kulon Progo")
            return plan.model_copy(update={"visit": visit})
        if how == "short laboratory":
            lab = plan.window(ScheduleStage.LABORATORY)
            assert lab is not None
            end = lab.end - timedelta(days=1)
            return plan.with_window(StageWindow(stage=lab.stage, start=lab.start, end=end))
        return plan

    # -- rules: corrections, reopening, migrations --

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
        if score is not None:
            for component in ("overall", "seminar", "paper"):
                assessment = Assessment(score=score, component=component)
                self._both(("record_assessment", (code, nip, assessment), {}))
        self._fire(code, nip, event, reason=reason, actor="penguji")

    @precondition(_has_members)
    @rule(pick=PICKS, reason=CORRECTION_REASONS, key=SOME_KEYS)
    def reopen(self, pick: int, reason: str | None, key: str | None) -> None:
        """Someone who ended (if anyone did) is reopened, perhaps keyed."""
        code, nip = self._choose(pick, FINAL)
        self._fire(code, nip, "reopen", reason=reason, actor="bkd", key=key)

    @precondition(_has_members)
    @rule(
        pick=PICKS,
        ended=st.booleans(),
        score=SCORES,
        choice=st.integers(0, 3),
        reason=CORRECTION_REASONS,
        key=SOME_KEYS,
    )
    def correct_assessment(
        self,
        pick: int,
        ended: bool,
        score: float,
        choice: int,
        reason: str | None,
        key: str | None,
    ) -> None:
        """A score is corrected (refused: none recorded, no reason, an outcome turned over).

        The component is one the participant was scored for, or ``overall`` (perhaps never
        scored) when ``choice`` is 0.
        """
        code, nip = self._choose(pick, FINAL if ended else None)
        self.touched.add(nip)
        scored = sorted(self.memory.participant(code, nip).scores or {})
        component = scored[choice % len(scored)] if scored and choice else "overall"
        assessment = Assessment(score=score, component=component)
        options = {"reason": reason, "actor": "bkd", "key": key}
        self._both(("correct_assessment", (code, nip, assessment), options))

    @precondition(_has_members)
    @rule(
        pick=PICKS,
        ended=st.booleans(),
        name=CORRECTED_NAMES,
        birth=BIRTH_CORRECTIONS,
        echelon=CORRECTED_ECHELONS,
        reason=CORRECTION_REASONS,
        key=SOME_KEYS,
    )
    def correct_participant(
        self,
        pick: int,
        ended: bool,
        name: str | None,
        birth: str | None,
        echelon: str | None,
        reason: str | None,
        key: str | None,
    ) -> None:
        """A name, birth date or echelon is corrected; bad values are refused the same way."""
        code, nip = self._choose(pick, FINAL if ended else None)
        self.touched.add(nip)
        person = self.memory.participant(code, nip).participant
        options = {
            "name": name,
            "birth_date": corrected_birth(person, birth),
            "echelon": echelon,
            "reason": reason,
            "key": key,
        }
        self._both(("correct_participant", (code, nip), options))

    @precondition(_has_members)
    @rule(pick=PICKS, ended=st.booleans(), office=OFFICE, reason=CORRECTION_REASONS, key=SOME_KEYS)
    def transfer_office(
        self, pick: int, ended: bool, office: Office, reason: str | None, key: str | None
    ) -> None:
        """A participant changes office (the stored office wins; the new quota is judged)."""
        code, nip = self._choose(pick, FINAL if ended else None)
        self.touched.add(nip)
        options = {"reason": reason, "actor": "bkd", "key": key}
        self._both(("transfer_office", (code, nip, office), options))

    @rule(
        code=st.sampled_from(CODES),
        other=st.sampled_from((True, True, True, False)),
        how=MIGRATIONS,
        dry_run=st.booleans(),
        key=SOME_KEYS,
    )
    def migrate(self, code: str, other: bool, how: str, dry_run: bool, key: str | None) -> None:
        """A cohort migrates to the other lifecycle (or its own: refused) the same way on both."""
        target, mapping = migration(self._lifecycle(code), other, how)
        self.touched.update(nip for c, nip in self.members if c == code)
        options = {"actor": "bkd", "reason": "SK baru", "dry_run": dry_run}
        # A dry run leaves its key unrecorded, so a retry would not replay it: no key.
        options["key"] = None if dry_run else key
        self._both(("migrate", (code, LIFECYCLES[target], mapping), options))

    # -- rules: a projection edited behind the engine's back --

    @precondition(_has_members)
    @rule(pick=PICKS, table=st.sampled_from(TAMPERED))
    def tamper_with_a_projection(self, pick: int, table: str) -> None:
        """A direct UPDATE of a stored fact is a verify Difference naming its table and key.

        The edit, made on a connection of its own as anyone holding the database could, is
        undone afterwards, and the cohort verifies again.
        """
        code, nip = self._pick(pick)
        self.unsettled = True
        with self.sql_store.engine.connect() as connection:
            edit = tampering(connection, table, code, nip)
            original = connection.execute(edit.select(), edit.params).scalar_one()
            forged = forgery(original)
            changed = connection.execute(edit.update(), {**edit.params, "value": forged})
            assert changed.rowcount == 1
            connection.commit()
            try:
                [check] = self.sql.verify(code)
            finally:
                connection.execute(edit.update(), {**edit.params, "value": original})
                connection.commit()
        assert not check.ok, f"verify missed a direct edit of {edit.table}"
        found = Difference(edit.table, edit.key, edit.field, forged, original)
        assert found in check.differences, check.to_dict()
        assert str(found) in str(check.problem) or len(check.differences) > 1
        assert all(check.ok for check in self.sql.verify(code)), "the undone edit still shows"

    @precondition(_has_members)
    @rule(pick=PICKS, event=ANY_EVENT, reason=REASONS)
    def dry_runs(self, pick: int, event: str, reason: str | None) -> None:
        """Dry runs (check, available, check_enrolment) answer the same and write nothing."""
        code, nip = self._pick(pick)
        self._both(("check", (code, nip, event), {"reason": reason}))
        self._both(("available", (code, nip), {"reason": reason}))
        person = self.memory.participant(code, nip).participant
        other = CODES[(CODES.index(code) + 1) % len(CODES)]
        self._both(("check_enrolment", (other, person), {}))

    @rule(minutes=st.integers(0, 3 * 24 * 60), micros=st.integers(0, 999_999))
    def time_passes(self, minutes: int, micros: int) -> None:
        """The shared clock moves on, to the microsecond."""
        self.clock.advance(minutes=minutes, microseconds=micros)

    @rule()
    def reopen_the_store(self) -> None:
        """The SQL engine continues on a newly opened store (nothing cached survives)."""
        self.unsettled = True
        self.sql_store.close()
        self.sql_store = SqlStore(self.url)
        self.sql = trusted_engine(self.sql_store, clock=self.clock)

    # -- invariants --

    @invariant()
    def both_stores_show_the_same(self) -> None:
        """After every step both engines show the same and the SQL record verifies.

        Each step compares every cohort's participants, history and pinned lifecycle, the
        histories of the NIPs the step touched and the offices, and runs ``verify`` on the
        SQL engine: every chain must end at the memory store's position and verify, and every
        stored fact (states, flags, people, offices, projects, scores, groups, seat
        counters, the pinned lifecycle) must equal the chain's replay, so a projection
        written wrong is caught at the step that wrote it. Every few steps (and at the end)
        the headcounts, the checkpoints, the whole history, the seat counters and standings
        the rules read, every NIP's history and the memory engine's own ``verify`` (which
        the engine state machine runs after every step) are compared as well, on this store
        and on a newly opened one.
        """
        self.steps += 1
        if self.steps % DURABILITY_EVERY == 0:
            self._everything_agrees()
        else:
            self._agree(self.sql, self.touched, full=False)
        self.touched.clear()
        self.unsettled = False

    def _agree(self, engine: Engine, nips: set[str], *, full: bool) -> None:
        """``engine`` shows what the memory engine shows (see :func:`view`); its record verifies."""
        assert view(engine, nips, full=full) == view(self.memory, nips, full=full)
        pinned = engine.checkpoints()
        if full:
            assert all(check.ok for check in self.memory.verify())
        checks = engine.verify(expected=pinned)
        heads = [(c.head.cohort, c.head.seq) for c in checks]
        assert heads == [(c.cohort, c.seq) for c in self.memory.checkpoints()], "heads differ"
        assert all(check.ok for check in checks), [c.to_dict() for c in checks]

    def _everything_agrees(self) -> None:
        """Everything agrees, on this store and on a new SqlStore opened on the same URL."""
        self._agree(self.sql, self.nips, full=True)
        fresh = SqlStore(self.url)
        try:
            self._agree(trusted_engine(fresh, clock=self.clock), self.nips, full=True)
        finally:
            fresh.close()


# -- the tests ---------------------------------------------------------------------------------


def machine_on(provision: Provision) -> type[SqlVersusMemory]:
    """The machine class whose examples each run on a database ``provision`` makes."""

    class Machine(SqlVersusMemory):
        """The machine bound to one backend."""

    Machine.provision = staticmethod(provision)
    return Machine


EXAMPLES = {"sqlite": 25, "postgresql": 10}
"""Examples per backend in the default profile (the file runs in about a minute)."""


def settings_for(backend: str) -> settings:
    """Settings for one backend; a profile asking for more than 100 examples gets a quarter.

    The default profile runs :data:`EXAMPLES`; ``--hypothesis-profile=thorough`` asks 2,000.
    """
    asked = settings().max_examples
    return settings(
        deadline=None,
        max_examples=max(EXAMPLES[backend], asked // 4 if asked > 100 else 0),
        stateful_step_count=25,
        suppress_health_check=[HealthCheck.too_slow],
    )


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_sql_store_agrees_with_the_memory_store(
    backend: str, request: pytest.FixtureRequest
) -> None:
    """Random commands leave the SQL store showing exactly what the memory store shows."""
    if backend == "sqlite":
        provision: Provision = sqlite_database
    else:
        provision = postgres_database(request.getfixturevalue("postgres_server"))
    run_state_machine_as_test(machine_on(provision), settings=settings_for(backend))
