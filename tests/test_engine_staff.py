"""Who may do what, through the engine, on every store: staff, the mentor, refusals, audit.

Every engine here is a plain ``Engine(store)`` with the default lifecycle and the default
:class:`~changeflow.staff.StaffAuthorizer`: the creating actor is the cohort's first
organiser, other staff are added with ``add_staff`` and the participant's mentor acts
under the NIP recorded with the change project.
"""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pydantic
import pytest
from sqlalchemy import text

from changeflow import (
    DEFAULT_LIFECYCLE,
    Assessment,
    ChangeProject,
    Engine,
    FixedClock,
    IdempotencyConflict,
    InvalidInput,
    LifecycleDefinition,
    Mentor,
    TransitionRejected,
)
from changeflow.staff import STAFF_ROLES, Actor, StaffMember
from changeflow.store.sql import SqlStore
from factories import make_cohort, make_participant

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from changeflow.store.base import Store

CODE = "PKA-III-VII-2019"
ORGANISER = "bkd-admin"
EXAMINER = "penguji-1"
COACH = "bpsdm-coach"
MENTOR_NIP = "196501011990031001"
PROJECT = ChangeProject(
    title="Antrean online puskesmas",
    theme="kesehatan",
    mentor=Mentor(name="dr. Anang Budi", nip=MENTOR_NIP),
)


def _engine(store: Store) -> Engine:
    return Engine(store, clock=FixedClock(datetime(2019, 4, 4, 8, tzinfo=UTC)))


@pytest.fixture
def engine(each_store: Store) -> Engine:
    """A permission-checking engine (default authorizer) on each store, with the cohort."""
    engine = _engine(each_store)
    engine.create_cohort(make_cohort(CODE), actor=ORGANISER)
    return engine


def staffed(engine: Engine) -> None:
    """Add an examiner and a coach to the cohort, as its organiser."""
    engine.add_staff(
        CODE, StaffMember(id=EXAMINER, name="Penguji", roles={"examiner"}), actor=ORGANISER
    )
    engine.add_staff(CODE, StaffMember(id=COACH, name="Coach", roles={"coach"}), actor=ORGANISER)


def at_proposal(engine: Engine) -> str:
    """Enrol someone and take them to the proposal, acting as the organiser; their NIP."""
    nip = engine.enrol(CODE, make_participant(), actor=ORGANISER).nip
    engine.fire(CODE, nip, "start_class", actor=ORGANISER)
    engine.register_project(CODE, nip, PROJECT, actor=ORGANISER)
    engine.fire(CODE, nip, "present_proposal", actor=ORGANISER)
    return nip


def at_seminar(engine: Engine) -> str:
    """A participant at the seminar (approved by their mentor), a passing score recorded."""
    staffed(engine)
    nip = at_proposal(engine)
    engine.fire(CODE, nip, "approve_proposal", actor=MENTOR_NIP)
    engine.fire(CODE, nip, "present_results", actor=ORGANISER)
    engine.record_assessment(CODE, nip, Assessment(score=85.0), actor=EXAMINER)
    return nip


@contextmanager
def only_a_refusal(engine: Engine, code: str = CODE) -> Iterator[None]:
    """Assert the block adds exactly one refused entry (role None) and changes no fact."""
    facts, head = engine.store.projection(code), engine.store.head(code)
    yield
    assert engine.store.projection(code) == facts
    assert engine.store.head(code).seq == head.seq + 1
    last = engine.history(cohort=code)[-1]
    assert last.outcome == "refused"
    assert last.role is None
    assert "not_permitted" in {v.code for v in last.violations}


def refusal(error: pytest.ExceptionInfo[TransitionRejected]) -> dict[str, object]:
    """The facts of the single not_permitted violation of a refusal."""
    (violation,) = [v for v in error.value.violations if v.code == "not_permitted"]
    return dict(violation.facts)


# -- the cohort's staff -----------------------------------------------------------------------


def test_the_creator_is_the_cohorts_first_organiser(engine: Engine) -> None:
    """create_cohort's actor is staff (organiser), recorded in the creation entry."""
    assert engine.staff(CODE) == [StaffMember(id=ORGANISER, name=ORGANISER, roles={"organiser"})]
    (created,) = engine.history(cohort=CODE)
    assert (created.event, created.actor, created.role) == ("create_cohort", ORGANISER, "organiser")
    assert created.change is not None
    assert created.change["staff"]["after"] == {
        ORGANISER: {"name": ORGANISER, "roles": ["organiser"]}
    }


def test_staff_lists_every_member_by_id(engine: Engine) -> None:
    """staff() lists the organiser and those added, by id, with their roles."""
    staffed(engine)
    assert [(m.id, m.name, sorted(m.roles)) for m in engine.staff(CODE)] == [
        (ORGANISER, ORGANISER, ["organiser"]),
        (COACH, "Coach", ["coach"]),
        (EXAMINER, "Penguji", ["examiner"]),
    ]


def test_re_adding_a_member_replaces_their_roles_audited_before_and_after(engine: Engine) -> None:
    """add_staff again with other roles replaces them; the entry holds both, role organiser."""
    staffed(engine)
    member = StaffMember(id=EXAMINER, name="Penguji Utama", roles={"coach", "examiner"})
    entry = engine.add_staff(CODE, member, actor=ORGANISER, reason="also coaches")
    assert (entry.event, entry.role, entry.reason) == ("add_staff", "organiser", "also coaches")
    assert entry.change == {
        "staff": {
            "before": {EXAMINER: {"name": "Penguji", "roles": ["examiner"]}},
            "after": {EXAMINER: {"name": "Penguji Utama", "roles": ["coach", "examiner"]}},
        }
    }
    assert member in engine.staff(CODE)
    assert len(engine.staff(CODE)) == 3


@pytest.mark.parametrize(
    "actor", [COACH, "random-clerk", Actor("hr-coach", frozenset({"coach", "examiner"}))]
)
def test_add_staff_by_a_non_organiser_is_refused(engine: Engine, actor: str | Actor) -> None:
    """Only an organiser adds staff: anyone else is not_permitted and the staff stays."""
    staffed(engine)
    before = engine.staff(CODE)
    member = StaffMember(id="intruder", name="Intruder", roles={"organiser"})
    with only_a_refusal(engine), pytest.raises(TransitionRejected) as refused:
        engine.add_staff(CODE, member, actor=actor)
    assert refusal(refused)["allowed"] == ["organiser"]
    assert engine.staff(CODE) == before


def test_an_added_organiser_may_add_staff(engine: Engine) -> None:
    """An organiser added by the first one holds the role: their add_staff is accepted."""
    second = StaffMember(id="bkd-2", name="Staf BKD", roles={"organiser"})
    engine.add_staff(CODE, second, actor=ORGANISER)
    entry = engine.add_staff(
        CODE, StaffMember(id=COACH, name="Coach", roles={"coach"}), actor="bkd-2"
    )
    assert (entry.actor, entry.role) == ("bkd-2", "organiser")


def test_the_mentor_role_cannot_be_vouched_for_nor_given_to_staff() -> None:
    """'mentor' is held by NIP only: an Actor cannot vouch it and staff cannot hold it."""
    with pytest.raises(InvalidInput) as vouched:
        Actor("hr", frozenset({"mentor"}))
    assert "a mentor acts by NIP" in str(vouched.value)
    with pytest.raises(pydantic.ValidationError):
        StaffMember(id="x", name="X", roles={"mentor"})


def test_a_refused_add_staff_cites_the_pack_as_a_refused_fire_does(engine: Engine) -> None:
    """Every not_permitted refusal names the pack (issue 11 item 2), add_staff included."""
    nip = engine.enrol(CODE, make_participant(), actor=ORGANISER).nip
    with pytest.raises(TransitionRejected) as fired:
        engine.fire(CODE, nip, "start_class", actor="random-clerk")
    (cited,) = fired.value.violations
    assert cited.source is not None
    member = StaffMember(id="x", name="X", roles={"coach"})
    with pytest.raises(TransitionRejected) as added:
        engine.add_staff(CODE, member, actor="random-clerk")
    (violation,) = added.value.violations
    assert violation.source == cited.source


# -- approving the proposal: the participant's mentor alone ------------------------------------


@pytest.mark.parametrize(
    "actor",
    [ORGANISER, "random-clerk", Actor("hr-admin", STAFF_ROLES)],
    ids=["organiser", "clerk", "every-staff-role"],
)
def test_approval_by_anyone_but_the_mentor_is_refused(engine: Engine, actor: str | Actor) -> None:
    """Not the mentor (organiser, clerk, every staff role): not_permitted, only a refused entry."""
    nip = at_proposal(engine)
    version = engine.participant(CODE, nip).version
    with only_a_refusal(engine), pytest.raises(TransitionRejected) as refused:
        engine.fire(CODE, nip, "approve_proposal", actor=actor)
    assert refused.value.codes == ("not_permitted",)
    facts = refusal(refused)
    assert facts["actor"] == str(actor)
    assert facts["allowed"] == ["mentor"]
    assert "mentor" not in facts["held"]  # type: ignore[operator]
    assert engine.participant(CODE, nip).state == "proposal"
    assert engine.participant(CODE, nip).version == version
    last = engine.history(nip)[-1]
    assert (last.event, last.actor, last.outcome, last.role) == (
        "approve_proposal",
        str(actor),
        "refused",
        None,
    )


def test_approval_by_the_mentor_is_accepted_in_the_mentor_role(engine: Engine) -> None:
    """The project's mentor (by NIP) approves: accepted, recorded with role mentor."""
    nip = at_proposal(engine)
    entry = engine.fire(CODE, nip, "approve_proposal", actor=MENTOR_NIP)
    assert (entry.target, entry.actor, entry.role) == ("laboratory", MENTOR_NIP, "mentor")
    assert engine.history(nip)[-1].role == "mentor"
    assert engine.state(CODE, nip) == "laboratory"


def test_the_mentor_holds_no_other_role(engine: Engine) -> None:
    """The mentor of a project is refused an organiser's command (presenting results)."""
    nip = at_proposal(engine)
    engine.fire(CODE, nip, "approve_proposal", actor=MENTOR_NIP)
    with only_a_refusal(engine), pytest.raises(TransitionRejected) as refused:
        engine.fire(CODE, nip, "present_results", actor=MENTOR_NIP)
    assert refusal(refused)["held"] == ["mentor"]


# -- graduating: an examiner ------------------------------------------------------------------


@pytest.mark.parametrize("actor", [ORGANISER, COACH, MENTOR_NIP, None])
def test_graduate_by_a_non_examiner_is_refused(engine: Engine, actor: str | None) -> None:
    """Organiser, coach, mentor or nobody may not graduate: only a refused entry."""
    nip = at_seminar(engine)
    with only_a_refusal(engine), pytest.raises(TransitionRejected) as refused:
        engine.fire(CODE, nip, "graduate", actor=actor)
    assert refused.value.codes == ("not_permitted",)
    assert refusal(refused)["allowed"] == ["examiner"]
    assert engine.state(CODE, nip) == "seminar"


def test_graduate_by_an_examiner_is_accepted_in_the_examiner_role(engine: Engine) -> None:
    """The examiner added with add_staff graduates the participant, role examiner."""
    nip = at_seminar(engine)
    entry = engine.fire(CODE, nip, "graduate", actor=EXAMINER)
    assert (entry.target, entry.actor, entry.role) == ("graduated", EXAMINER, "examiner")
    scored = [e for e in engine.history(nip) if e.event == "record_assessment"]
    assert [e.role for e in scored] == ["examiner"]


def test_verify_passes_after_staff_and_refusals(engine: Engine) -> None:
    """The chain and every stored fact, staff included, verify after all of the above."""
    nip = at_seminar(engine)
    with pytest.raises(TransitionRejected):
        engine.fire(CODE, nip, "graduate", actor=COACH)
    with pytest.raises(TransitionRejected):
        engine.add_staff(CODE, StaffMember(id="x", name="X", roles={"coach"}), actor=COACH)
    engine.fire(CODE, nip, "graduate", actor=EXAMINER)
    engine.add_staff(
        CODE, StaffMember(id=COACH, name="Coach", roles={"coach", "organiser"}), actor=ORGANISER
    )
    (check,) = engine.verify(CODE)
    assert check.ok, check
    assert check.differences == ()
    # Reopened on another engine over the same store, the roles read back as written.
    roles = [e.role for e in _engine(engine.store).history(cohort=CODE)]
    assert roles.count("examiner") == 2
    assert roles.count("mentor") == 1
    assert roles.count(None) == 2


# -- a staff row edited behind the engine's back ----------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def sql_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An engine on a fresh SQL database (SQLite file or PostgreSQL), with the cohort."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'staff.db'}"
    else:
        url = str(request.getfixturevalue("pg_url"))
    store = SqlStore(url)
    engine = _engine(store)
    engine.create_cohort(make_cohort(CODE), actor=ORGANISER)
    staffed(engine)
    yield engine
    store.close()


def _edit_staff(engine: Engine, statement: str) -> None:
    """Run ``statement`` on the database as its administrator could."""
    store = engine.store
    assert isinstance(store, SqlStore)
    if store.dialect == "sqlite":
        path = store.engine.url.database
        assert path is not None
        opened = sqlite3.connect(path, isolation_level=None)
        try:
            opened.execute(statement)
        finally:
            opened.close()
        return
    with store.engine.begin() as connection:
        connection.execute(text(statement))


def test_verify_catches_a_staff_row_edited_behind_the_engines_back(sql_engine: Engine) -> None:
    """A coach made organiser by SQL is a staff difference verify names; the roles count."""
    assert sql_engine.verify(CODE)[0].ok
    _edit_staff(
        sql_engine, "UPDATE staff SET roles = 'coach,organiser' WHERE actor = 'bpsdm-coach'"
    )
    (check,) = sql_engine.verify(CODE)
    assert not check.ok
    (difference,) = check.differences
    assert (difference.table, difference.key) == ("staff", COACH)
    assert difference.replayed == {"name": "Coach", "roles": ["coach"]}
    assert difference.stored == {"name": "Coach", "roles": ["coach", "organiser"]}


def test_verify_catches_a_staff_row_inserted_behind_the_engines_back(sql_engine: Engine) -> None:
    """A staff member no add_staff entry made is a difference too."""
    _edit_staff(
        sql_engine,
        "INSERT INTO staff (cohort_id, actor, name, roles) "
        "SELECT cohort_id, 'forger', 'Forger', 'organiser' FROM staff "
        "WHERE actor = 'bkd-admin'",
    )
    (check,) = sql_engine.verify(CODE)
    assert not check.ok
    assert [(d.table, d.key, d.replayed) for d in check.differences] == [("staff", "forger", None)]


# -- other authorizers and ungoverned lifecycles ----------------------------------------------


def test_a_custom_authorizer_gives_the_roles(each_store: Store) -> None:
    """An Authorizer plugged in decides: an HR login it names organiser enrols, others not."""
    calls: list[tuple[Actor | None, StaffMember | None]] = []

    def directory(actor: Actor | None, member: StaffMember | None, /) -> frozenset[str]:
        calls.append((actor, member))
        return (
            frozenset({"organiser"}) if actor is not None and actor.id == "hr:siti" else frozenset()
        )

    engine = Engine(each_store, authorizer=directory)
    engine.create_cohort(make_cohort(CODE), actor=ORGANISER)
    entry = engine.enrol(CODE, make_participant(), actor="hr:siti")
    assert (entry.actor, entry.role) == ("hr:siti", "organiser")
    assert calls[-1:] == [(Actor("hr:siti"), None)]
    # The founding organiser is staff, but this authorizer gives them nothing.
    with only_a_refusal(engine), pytest.raises(TransitionRejected):
        engine.enrol(CODE, make_participant(), actor=ORGANISER)
    founder = StaffMember(id=ORGANISER, name=ORGANISER, roles={"organiser"})
    assert calls[-1:] == [(Actor(ORGANISER), founder)]


def test_roles_of_gives_the_roles_commands_are_judged_with(each_store: Store) -> None:
    """roles_of asks the authorizer as a command does: staff, vouched, plugged in, nobody."""
    engine = _engine(each_store)
    engine.create_cohort(make_cohort(CODE), actor=ORGANISER)
    staffed(engine)
    assert engine.roles_of(CODE, EXAMINER) == {"examiner"}
    assert engine.roles_of(CODE, ORGANISER) == {"organiser"}
    assert engine.roles_of(CODE, "hr:siti") == frozenset()
    assert engine.roles_of(CODE, None) == frozenset()
    assert engine.roles_of(CODE, Actor(EXAMINER, frozenset({"coach"}))) == {"coach"}

    def directory(actor: Actor | None, _member: StaffMember | None, /) -> frozenset[str]:
        return frozenset({"organiser"}) if actor and actor.id == "hr:siti" else frozenset()

    plugged = Engine(each_store, authorizer=directory)
    assert plugged.roles_of(CODE, "hr:siti") == {"organiser"}
    assert plugged.roles_of(CODE, EXAMINER) == frozenset()


def test_vouched_roles_need_no_staff_entry(engine: Engine) -> None:
    """An Actor vouching organiser is an organiser without being staff; its role recorded."""
    entry = engine.enrol(CODE, make_participant(), actor=Actor("hr:budi", frozenset({"organiser"})))
    assert (entry.actor, entry.role) == ("hr:budi", "organiser")
    assert [m.id for m in engine.staff(CODE)] == [ORGANISER]


def test_vouched_roles_replace_the_staff_roles(engine: Engine) -> None:
    """A staff organiser vouched for as coach only acts as a coach: enrolling is refused."""
    with only_a_refusal(engine), pytest.raises(TransitionRejected) as refused:
        engine.enrol(CODE, make_participant(), actor=Actor(ORGANISER, frozenset({"coach"})))
    assert refusal(refused)["held"] == ["coach"]


def _ungoverned() -> LifecycleDefinition:
    """DEFAULT_LIFECYCLE with every ``by`` and permission removed."""
    return DEFAULT_LIFECYCLE.model_copy(
        update={
            "version": "4-open",
            "transitions": tuple(
                t.model_copy(update={"by": None}) for t in DEFAULT_LIFECYCLE.transitions
            ),
            "commands": {
                name: spec.model_copy(update={"by": None})
                for name, spec in DEFAULT_LIFECYCLE.commands.items()
            },
            "permissions": {},
        }
    )


def test_a_cohort_pinned_to_a_definition_without_permissions_accepts_anyone(
    each_store: Store,
) -> None:
    """Without any ``by``, nobody is checked: no actor and a clerk run the whole course."""
    open_definition = _ungoverned()
    assert not open_definition.governed
    document = open_definition.document()
    assert "permissions" not in document
    assert all("by" not in t for t in document["transitions"])
    engine = _engine(each_store)
    engine.create_cohort(make_cohort(CODE), lifecycle=open_definition, actor="random-clerk")
    assert engine.staff(CODE) == []
    nip = engine.enrol(CODE, make_participant()).nip
    engine.fire(CODE, nip, "start_class", actor="random-clerk")
    engine.register_project(CODE, nip, PROJECT)
    engine.fire(CODE, nip, "present_proposal")
    engine.fire(CODE, nip, "approve_proposal", actor="random-clerk")
    engine.fire(CODE, nip, "present_results")
    engine.record_assessment(CODE, nip, Assessment(score=85.0), actor="random-clerk")
    engine.add_staff(CODE, StaffMember(id="x", name="X", roles={"coach"}))
    entry = engine.fire(CODE, nip, "graduate", actor="random-clerk")
    assert entry.target == "graduated"
    history = engine.history(cohort=CODE)
    assert all(e.accepted for e in history)
    assert {e.role for e in history} == {None}
    assert engine.verify(CODE)[0].ok


# -- dry runs ---------------------------------------------------------------------------------


def test_check_and_available_judge_the_given_actor(engine: Engine) -> None:
    """check() and available() answer for the actor given, and write nothing."""
    staffed(engine)
    nip = at_proposal(engine)
    head = engine.store.head(CODE)
    (refused,) = engine.check(CODE, nip, "approve_proposal", actor=ORGANISER)
    assert refused.code == "not_permitted"
    assert engine.check(CODE, nip, "approve_proposal", actor=MENTOR_NIP) == ()
    assert engine.check(CODE, nip, "revise_proposal", actor=COACH) == ()
    assert [v.code for v in engine.check(CODE, nip, "revise_proposal", actor=EXAMINER)] == [
        "not_permitted"
    ]
    assert engine.available(CODE, nip, actor=MENTOR_NIP) == ("approve_proposal",)
    assert engine.available(CODE, nip, actor=COACH) == ("revise_proposal",)
    assert engine.available(CODE, nip, actor=ORGANISER, reason="sakit") == (
        "revise_proposal",
        "withdraw",
        "drop",
    )
    assert engine.available(CODE, nip, actor=EXAMINER, reason="sakit") == ()
    assert engine.available(CODE, nip, reason="sakit") == ()
    assert engine.store.head(CODE) == head


def test_check_enrolment_judges_the_actor(engine: Engine) -> None:
    """A dry-run enrolment by a non-organiser lists not_permitted; by the organiser nothing."""
    person = make_participant()
    assert [v.code for v in engine.check_enrolment(CODE, person, actor="clerk")] == [
        "not_permitted"
    ]
    assert engine.check_enrolment(CODE, person, actor=ORGANISER) == ()


# -- idempotency keys and actors --------------------------------------------------------------


def test_a_key_retried_by_another_actor_is_a_conflict(engine: Engine) -> None:
    """A key belongs to its command, actor included: another actor's retry is refused, unwritten."""
    nip = engine.enrol(CODE, make_participant(), actor=ORGANISER).nip
    engine.fire(CODE, nip, "start_class", actor=ORGANISER, key="k-1")
    head = engine.store.head(CODE)
    with pytest.raises(IdempotencyConflict):
        engine.fire(CODE, nip, "start_class", actor="random-clerk", key="k-1")
    assert engine.store.head(CODE) == head


def test_a_key_retried_by_the_same_id_vouching_other_roles_replays(engine: Engine) -> None:
    """The fingerprint holds the actor's id, not its roles: the same id replays, unwritten."""
    nip = engine.enrol(CODE, make_participant(), actor=ORGANISER).nip
    first = engine.fire(CODE, nip, "start_class", actor=ORGANISER, key="k-2")
    head = engine.store.head(CODE)
    again = engine.fire(
        CODE, nip, "start_class", actor=Actor(ORGANISER, frozenset({"coach"})), key="k-2"
    )
    assert again == first
    assert again.role == "organiser"
    assert engine.store.head(CODE) == head


def test_a_refused_keyed_command_stays_refused_after_the_role_is_granted(engine: Engine) -> None:
    """A key answers with its first result: a refusal replays even once the actor may act."""
    staffed(engine)
    nip = engine.enrol(CODE, make_participant(), actor=ORGANISER).nip
    with pytest.raises(TransitionRejected):
        engine.fire(CODE, nip, "start_class", actor=COACH, key="k-3")
    engine.add_staff(
        CODE, StaffMember(id=COACH, name="Coach", roles={"coach", "organiser"}), actor=ORGANISER
    )
    head = engine.store.head(CODE)
    with pytest.raises(TransitionRejected) as replayed:
        engine.fire(CODE, nip, "start_class", actor=COACH, key="k-3")
    assert replayed.value.codes == ("not_permitted",)
    assert engine.store.head(CODE) == head
    assert engine.fire(CODE, nip, "start_class", actor=COACH).role == "organiser"
