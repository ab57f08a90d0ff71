"""Security checks: who may do what, against an independent table; no write without a role.

``ALLOWED`` is written out literally from issue 11 (item 1), not read from
DEFAULT_LIFECYCLE: every event, data command and engine command of the default lifecycle is
fired by an actor holding exactly one role (an :class:`Actor` vouching one staff role; the
participant's mentor acting under the NIP recorded with the project) on a participant in a
state where it is legal, and must be accepted iff the table allows that role.

The second half enumerates the engine's public methods taking an ``actor`` and proves each,
called by an actor holding no role, changes nothing but appends refused entries.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

import pytest

from changeflow import (
    DEFAULT_LIFECYCLE,
    Assessment,
    ChangeProject,
    Engine,
    FixedClock,
    InvalidInput,
    MemoryStore,
    Mentor,
    TransitionRejected,
)
from changeflow.agenda import TickOutcome
from changeflow.engine import TICK_ACTOR
from changeflow.models import CalendarParameters, Timeout
from changeflow.staff import Actor, StaffMember
from changeflow.states.names import PERMITTED_COMMANDS
from changeflow.store.sql import SqlStore
from factories import make_cohort, make_participant, office

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from changeflow.store.base import Store

    Do = Callable[[str | Actor], object]
    """What a prepared case does, given the actor."""
    Prepare = Callable[[Engine], Do]
    """Prepares a case on a fresh engine (as trusted staff) and returns what it does."""

CODE = "PKA-III-VII-2019"
ORGANISER = "bkd-admin"
"""The trusted actor preparing each case: the cohort's founding organiser."""
EXAMINER = "penguji-1"
"""The staff examiner preparing scores and graduations."""
MENTOR_NIP = "196501011990031001"
PROJECT = ChangeProject(
    title="Antrean online puskesmas",
    theme="kesehatan",
    mentor=Mentor(name="dr. Anang Budi", nip=MENTOR_NIP),
)
DROP_AFTER_5 = Timeout(
    deadline="results", after_working_days=5, event="drop", reason="no results presented"
)
AFTER_THE_SEMINAR = date(2019, 7, 8)
REASON = "koreksi administrasi"

# Issue 11, item 1, written out: who may do what in the default lifecycle.
_ORGANISER = frozenset({"organiser"})
ALLOWED: dict[str, frozenset[str]] = {
    # events
    "start_class": _ORGANISER,
    "present_proposal": _ORGANISER,
    "revise_proposal": frozenset({"coach", "organiser"}),
    "approve_proposal": frozenset({"mentor"}),
    "present_results": _ORGANISER,
    "graduate": frozenset({"examiner"}),
    "fail": frozenset({"examiner"}),
    "withdraw": _ORGANISER,
    "drop": _ORGANISER,
    "reopen": _ORGANISER,
    # data commands
    "register_project": _ORGANISER,
    "record_assessment": frozenset({"examiner"}),
    "form_groups": frozenset({"coach", "organiser"}),
    "correct_assessment": _ORGANISER,
    "correct_participant": _ORGANISER,
    "transfer_office": _ORGANISER,
    # the engine's own commands
    "enrol": _ORGANISER,
    "add_staff": _ORGANISER,
    "set_schedule": _ORGANISER,
    "record_attendance": _ORGANISER,
    "migrate": _ORGANISER,
    "erase": _ORGANISER,
}

AS_ROLE: dict[str, str | Actor] = {
    "organiser": Actor("as-organiser", frozenset({"organiser"})),
    "coach": Actor("as-coach", frozenset({"coach"})),
    "examiner": Actor("as-examiner", frozenset({"examiner"})),
    "mentor": MENTOR_NIP,
}
"""An actor holding exactly one role, per role."""

TO_SEMINAR = ("start_class", "present_proposal", "approve_proposal", "present_results")
STATES = ("enrolled", "on_class", "proposal", "laboratory", "seminar")
OTHER_LIFECYCLE = DEFAULT_LIFECYCLE.model_copy(update={"description": "the same, described anew"})
"""A definition to migrate to (another SHA-256, the same states and permissions)."""

_numbers = iter(range(1, 10_000))


def new_engine(store: Store | None = None) -> Engine:
    """A permission-checking engine with the cohort (a drop-after-5-days timeout) and staff."""
    engine = Engine(
        MemoryStore() if store is None else store,
        clock=FixedClock(datetime(2019, 4, 4, 8, tzinfo=UTC)),
    )
    calendar = CalendarParameters(timeouts=(DROP_AFTER_5,))
    engine.create_cohort(make_cohort(CODE, calendar=calendar), actor=ORGANISER)
    examiner = StaffMember(id=EXAMINER, name="Penguji", roles={"examiner"})
    engine.add_staff(CODE, examiner, actor=ORGANISER)
    return engine


def participant(engine: Engine, state: str, *, scored: float | None = None) -> str:
    """Enrol someone with a project (mentor NIP on file) and walk them to ``state``."""
    person = make_participant(office=office(next(_numbers)))
    nip = engine.enrol(CODE, person, actor=ORGANISER).nip
    engine.register_project(CODE, nip, PROJECT, actor=ORGANISER)
    if state in STATES:
        for event in TO_SEMINAR[: STATES.index(state)]:
            who = MENTOR_NIP if event == "approve_proposal" else ORGANISER
            engine.fire(CODE, nip, event, actor=who)
    elif state == "withdrawn":
        engine.fire(CODE, nip, "withdraw", actor=ORGANISER, reason="sakit")
    else:
        raise AssertionError(state)
    if scored is not None:
        engine.record_assessment(CODE, nip, Assessment(score=scored), actor=EXAMINER)
    return nip


def _event(
    state: str, event: str, reason: str | None = None, scored: float | None = None
) -> Prepare:
    """Fire ``event`` on a participant in ``state`` (with ``reason``; a score recorded)."""

    def prepare(engine: Engine) -> Do:
        nip = participant(engine, state, scored=scored)
        return lambda actor: engine.fire(CODE, nip, event, actor=actor, reason=reason)

    return prepare


def _on(
    state: str,
    command: Callable[[Engine, str, str | Actor], object],
    scored: float | None = None,
) -> Prepare:
    """Run ``command`` on a participant in ``state`` (a score recorded when given)."""

    def prepare(engine: Engine) -> Do:
        nip = participant(engine, state, scored=scored)
        return lambda actor: command(engine, nip, actor)

    return prepare


def _cohort_level(command: Callable[[Engine, str | Actor], object]) -> Prepare:
    """Run a cohort-level ``command`` (someone on_class in the cohort)."""

    def prepare(engine: Engine) -> Do:
        participant(engine, "on_class")
        return lambda actor: command(engine, actor)

    return prepare


def _erase(engine: Engine, nip: str, actor: str | Actor) -> object:
    """Erase a withdrawn person's data, as issue 11 item 3 specifies the call."""
    return engine.erase(nip, reason="permintaan subjek data", actor=actor)


CASES: dict[str, Prepare] = {
    "start_class": _event("enrolled", "start_class"),
    "present_proposal": _event("on_class", "present_proposal"),
    "revise_proposal": _event("proposal", "revise_proposal"),
    "approve_proposal": _event("proposal", "approve_proposal"),
    "present_results": _event("laboratory", "present_results"),
    "graduate": _event("seminar", "graduate", scored=85.0),
    "fail": _event("seminar", "fail", scored=40.0),
    "withdraw": _event("on_class", "withdraw", reason="mutasi"),
    "drop": _event("on_class", "drop", reason="indisipliner"),
    "reopen": _event("withdrawn", "reopen", reason=REASON),
    "register_project": _on(
        "enrolled", lambda e, nip, a: e.register_project(CODE, nip, PROJECT, actor=a)
    ),
    "record_assessment": _on(
        "seminar", lambda e, nip, a: e.record_assessment(CODE, nip, 80.0, actor=a)
    ),
    "form_groups": _cohort_level(lambda e, a: e.form_groups(CODE, 1, actor=a)),
    "correct_assessment": _on(
        "seminar",
        lambda e, nip, a: e.correct_assessment(CODE, nip, 75.0, actor=a, reason=REASON),
        scored=70.0,
    ),
    "correct_participant": _on(
        "on_class",
        lambda e, nip, a: e.correct_participant(
            CODE, nip, name="Nama Baru", actor=a, reason=REASON
        ),
    ),
    "transfer_office": _on(
        "on_class",
        lambda e, nip, a: e.transfer_office(CODE, nip, office(9_999), actor=a, reason=REASON),
    ),
    "enrol": _cohort_level(
        lambda e, a: e.enrol(CODE, make_participant(office=office(next(_numbers))), actor=a)
    ),
    "add_staff": _cohort_level(
        lambda e, a: e.add_staff(
            CODE, StaffMember(id="baru", name="Baru", roles={"coach"}), actor=a
        )
    ),
    "set_schedule": _cohort_level(
        lambda e, a: e.set_schedule(CODE, e.schedule(CODE), reason=REASON, actor=a)
    ),
    "record_attendance": _on(
        "on_class",
        lambda e, nip, a: e.record_attendance(CODE, nip, date(2019, 4, 4), "present", actor=a),
    ),
    "migrate": _cohort_level(lambda e, a: e.migrate(CODE, OTHER_LIFECYCLE, actor=a, reason=REASON)),
    "erase": _on("withdrawn", _erase),
}


def test_the_table_and_the_cases_cover_every_command_of_the_default_lifecycle() -> None:
    """Every event, data command and engine command is in the table, and has a case."""
    names = set(DEFAULT_LIFECYCLE.events) | set(DEFAULT_LIFECYCLE.commands) | PERMITTED_COMMANDS
    assert set(ALLOWED) == names
    assert set(CASES) == names


def _pairs() -> list[object]:
    """Every (command, role) pair."""
    return [
        pytest.param(command, role, id=f"{command}-{role}")
        for command in sorted(ALLOWED)
        for role in sorted(AS_ROLE)
    ]


@pytest.mark.parametrize(("command", "role"), _pairs())
def test_each_role_may_do_exactly_what_the_table_allows(command: str, role: str) -> None:
    """Accepted iff the table allows the role; otherwise refused with not_permitted alone."""
    engine = new_engine()
    do = CASES[command](engine)
    before = engine.store.head(CODE).seq
    if role in ALLOWED[command]:
        do(AS_ROLE[role])
        new = engine.history(cohort=CODE)[before:]
        assert new, "an accepted command is audited"
        assert all(e.accepted for e in new)
        assert {e.role for e in new} == {role}
        return
    projection = engine.store.projection(CODE)
    with pytest.raises(TransitionRejected) as refused:
        do(AS_ROLE[role])
    assert set(refused.value.codes) == {"not_permitted"}
    assert engine.store.projection(CODE) == projection


# -- no public writing method changes anything without a role ---------------------------------


@dataclass
class World:
    """A cohort with a participant in each state the calls below need."""

    engine: Engine
    enrolled: str
    on_class: str
    late: str
    """In the laboratory, past the results deadline on AFTER_THE_SEMINAR (a tick drops them)."""
    seminar: str
    withdrawn: str
    """Left the course: no enrolment of theirs is active, so they may be erased."""


def build_world(store: Store | None = None) -> World:
    """The cohort and its participants, prepared by the organiser, examiner and mentor."""
    engine = new_engine(store)
    return World(
        engine,
        participant(engine, "enrolled"),
        participant(engine, "on_class"),
        participant(engine, "laboratory"),
        participant(engine, "seminar", scored=80.0),
        participant(engine, "withdrawn"),
    )


def _refused(call: Callable[[], object]) -> None:
    with pytest.raises(TransitionRejected) as refused:
        call()
    assert set(refused.value.codes) == {"not_permitted"}


def _fire(w: World, actor: str | None) -> None:
    _refused(lambda: w.engine.fire(CODE, w.enrolled, "start_class", actor=actor))


def _advance(w: World, actor: str | None) -> None:
    report = w.engine.advance(CODE, "start_class", actor=actor)
    assert report.accepted == ()
    assert [e.nip for e in report.refused] == [w.enrolled]


def _tick(w: World, actor: str | None) -> None:
    report = w.engine.tick(CODE, AFTER_THE_SEMINAR, apply=True, actor=actor)
    assert [(a.nip, a.outcome, a.violations) for a in report.actions] == [
        (w.late, TickOutcome.REFUSED, ("not_permitted",))
    ]


def _check(w: World, actor: str | None) -> None:
    verdict = w.engine.check(CODE, w.enrolled, "start_class", actor=actor)
    assert [v.code for v in verdict] == ["not_permitted"]


def _available(w: World, actor: str | None) -> None:
    assert w.engine.available(CODE, w.on_class, actor=actor, reason=REASON) == ()


def _check_enrolment(w: World, actor: str | None) -> None:
    verdict = w.engine.check_enrolment(CODE, make_participant(office=office(8_001)), actor=actor)
    assert [v.code for v in verdict] == ["not_permitted"]


def _check_enrolments(w: World, actor: str | None) -> None:
    people = [make_participant(office=office(8_002)), make_participant(office=office(8_003))]
    verdicts = w.engine.check_enrolments(CODE, people, actor=actor)
    assert [[v.code for v in verdict] for verdict in verdicts] == [["not_permitted"]] * 2


def _form_groups(w: World, actor: str | None) -> None:
    _refused(lambda: w.engine.form_groups(CODE, 2, actor=actor))


CALLS: dict[str, tuple[Callable[[World, str | None], None], int]] = {
    # method: (how to call it with the actor and check its answer, refused entries it adds)
    "add_staff": (
        lambda w, a: _refused(
            lambda: w.engine.add_staff(
                CODE, StaffMember(id="x", name="X", roles={"organiser"}), actor=a
            )
        ),
        1,
    ),
    "enrol": (
        lambda w, a: _refused(
            lambda: w.engine.enrol(CODE, make_participant(office=office(8_000)), actor=a)
        ),
        1,
    ),
    "check_enrolment": (_check_enrolment, 0),
    "check_enrolments": (_check_enrolments, 0),
    "fire": (_fire, 1),
    "check": (_check, 0),
    "available": (_available, 0),
    "advance": (_advance, 1),
    "register_project": (
        lambda w, a: _refused(
            lambda: w.engine.register_project(CODE, w.enrolled, PROJECT, actor=a)
        ),
        1,
    ),
    "record_assessment": (
        lambda w, a: _refused(lambda: w.engine.record_assessment(CODE, w.seminar, 90.0, actor=a)),
        1,
    ),
    "correct_assessment": (
        lambda w, a: _refused(
            lambda: w.engine.correct_assessment(CODE, w.seminar, 81.0, actor=a, reason=REASON)
        ),
        1,
    ),
    "correct_participant": (
        lambda w, a: _refused(
            lambda: w.engine.correct_participant(
                CODE, w.enrolled, name="Nama Lain", actor=a, reason=REASON
            )
        ),
        1,
    ),
    "transfer_office": (
        lambda w, a: _refused(
            lambda: w.engine.transfer_office(
                CODE, w.enrolled, office(8_100), actor=a, reason=REASON
            )
        ),
        1,
    ),
    "form_groups": (_form_groups, 4),
    "migrate": (
        lambda w, a: _refused(
            lambda: w.engine.migrate(CODE, OTHER_LIFECYCLE, actor=a, reason=REASON)
        ),
        1,
    ),
    "set_schedule": (
        lambda w, a: _refused(
            lambda: w.engine.set_schedule(CODE, w.engine.schedule(CODE), reason=REASON, actor=a)
        ),
        1,
    ),
    "record_attendance": (
        lambda w, a: _refused(
            lambda: w.engine.record_attendance(CODE, w.on_class, date(2019, 4, 4), "sakit", actor=a)
        ),
        1,
    ),
    "tick": (_tick, 0),  # a tick by someone who may not fire the event writes nothing
    "erase": (lambda w, a: _refused(lambda: _erase(w.engine, w.withdrawn, a)), 1),
}


def writing_methods() -> set[str]:
    """The Engine's public methods taking an ``actor`` (but create_cohort: no staff yet)."""
    found = {
        name
        for name, function in inspect.getmembers(Engine, inspect.isfunction)
        if not name.startswith("_") and "actor" in inspect.signature(function).parameters
    }
    # create_cohort makes its actor the first organiser; history's actor is a filter and
    # roles_of's the one asked about (both read, writing nothing); the
    # office registry and the passwords are the store's, no cohort's, so no role applies:
    # they need a named actor (test_the_office_registry_needs_a_named_actor, and
    # test_set_password_needs_a_named_actor in tests/test_engine_passwords.py).
    return found - {"create_cohort", "history", "roles_of", "set_password", *REGISTRY}


REGISTRY = ("add_office", "add_alias", "import_offices", "close_offices")
"""The Engine's office-registry commands: store-wide, judged by no cohort's staff."""


@pytest.mark.parametrize("actor", [None, ""])
def test_the_office_registry_needs_a_named_actor(actor: str | None) -> None:
    """Without a named actor no registry command changes the registry or the setting."""
    engine = build_world().engine
    before = (engine.offices(), engine.offices_closed)
    calls = (
        lambda: engine.add_office("DINDIKBUD", "Dinas Pendidikan", actor=actor),
        lambda: engine.add_alias(before[0][0].code, "Disdik", actor=actor),
        lambda: engine.import_offices([{"code": "X", "name": "Kantor X"}], actor=actor),
        lambda: engine.close_offices(actor=actor),
    )
    for call in calls:
        with pytest.raises(InvalidInput, match="office registry"):
            call()
    assert (engine.offices(), engine.offices_closed) == before


def test_the_calls_cover_every_public_writing_method() -> None:
    """A new public method taking an actor fails here until CALLS says how to call it."""
    assert set(CALLS) == writing_methods()


def _changes_nothing(world: World, method: str, actor: str | None) -> None:
    """Call ``method`` as ``actor``; only the expected refused entries may be appended."""
    engine, (call, refusals) = world.engine, CALLS[method]
    projection, head = engine.store.projection(CODE), engine.store.head(CODE)
    call(world, actor)
    assert engine.store.projection(CODE) == projection, method
    after = engine.store.head(CODE)
    assert after.seq == head.seq + refusals, method
    new = engine.history(cohort=CODE)[head.seq :]
    assert len(new) == refusals
    for entry in new:
        expected = TICK_ACTOR if method == "tick" and actor is None else actor
        assert (entry.outcome, entry.role, entry.actor) == ("refused", None, expected)
        assert {v.code for v in entry.violations} == {"not_permitted"}, method


@pytest.mark.parametrize("actor", [None, "nobody"], ids=["no-actor", "no-role"])
@pytest.mark.parametrize("method", sorted(CALLS))
def test_no_writing_method_changes_anything_without_a_role(method: str, actor: str | None) -> None:
    """Called with no actor, or one holding no role, a method changes no fact (memory store)."""
    _changes_nothing(build_world(), method, actor)


def test_no_writing_method_changes_an_sqlite_file_without_a_role(tmp_path: Path) -> None:
    """The same on an SQLite file, every method in turn on one world; the chain still verifies."""
    store = SqlStore(f"sqlite:///{tmp_path / 'permissions.db'}")
    try:
        world = build_world(store)
        for method in sorted(CALLS):
            _changes_nothing(world, method, "nobody")
        assert world.engine.verify(CODE)[0].ok
    finally:
        store.close()
