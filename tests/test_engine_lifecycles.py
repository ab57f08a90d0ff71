"""Cohorts keep their lifecycle: pinning, mismatches, missing rules and migration in flight."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from changeflow import (
    DEFAULT_LIFECYCLE,
    ChangeProject,
    DefinitionError,
    DefinitionMismatch,
    Engine,
    InvalidInput,
    Lifecycle,
    LifecycleDefinition,
    MemoryStore,
    Mentor,
    MigrationRejected,
    MissingRules,
    RuleRegistry,
    TransitionRejected,
    UnknownEvent,
    load_definition,
)
from changeflow.records import COHORT_NIP
from changeflow.rules import Rank
from changeflow.store.sql import SqlStore
from factories import make_cohort, make_participant, office, trusted_engine

if TYPE_CHECKING:
    from changeflow import FixedClock, HistoryEntry

ROOT = Path(__file__).parent.parent
VERSION_1 = load_definition(ROOT / "tests" / "data" / "change_project.toml")
"""The default lifecycle as version 1 had it: no reopen, failing needs no grounds."""
WORKSHOP = load_definition(ROOT / "tests" / "data" / "workshop.yaml")
SUPERVISOR = load_definition(ROOT / "examples" / "supervisor_course.toml")
"""A lifecycle whose enrolment rule ``supervisor_rank`` is not built in."""
CODE = "PKA-III-VII-2019"
PROJECT = ChangeProject(title="Layanan", theme="kesehatan", mentor=Mentor(name="Kepala"))


def supervisor_rules() -> RuleRegistry:
    """The default rules plus ``supervisor_rank`` (the rank rule under another name)."""
    rules = RuleRegistry.default()
    rules.register("supervisor_rank", Rank())
    return rules


def trail(engine: Engine, code: str = CODE) -> list[HistoryEntry]:
    """The cohort's whole audit trail."""
    return engine.history(cohort=code)


# -- a cohort keeps its lifecycle ----------------------------------------------------------


def test_cohort_is_pinned_to_the_definition_it_was_created_with(clock: FixedClock) -> None:
    """create_cohort(lifecycle=...) pins the cohort; its first entry records the definition."""
    engine = trusted_engine(clock=clock)
    engine.create_cohort(make_cohort(), lifecycle=VERSION_1)
    assert engine.pinned(CODE) == VERSION_1.ref
    assert engine.lifecycle_of(CODE).sha256 == VERSION_1.sha256
    assert engine.lifecycle.sha256 == DEFAULT_LIFECYCLE.sha256  # new cohorts: the default
    [created] = trail(engine)
    assert (created.seq, created.nip, created.event) == (1, COHORT_NIP, "create_cohort")
    recorded = (created.change or {})["lifecycle"]["after"]
    assert recorded["sha256"] == VERSION_1.sha256
    assert LifecycleDefinition.model_validate(recorded["document"]) == VERSION_1
    assert (created.change or {})["cohort"] == {
        "before": None,
        "after": make_cohort().model_dump(mode="json"),
    }


def test_default_cohort_is_pinned_to_the_default_lifecycle(engine: Engine) -> None:
    """Without a lifecycle a cohort is pinned to the engine's (the default, version 4)."""
    engine.create_cohort(make_cohort())
    assert engine.pinned(CODE) == DEFAULT_LIFECYCLE.ref
    assert engine.pinned(CODE).version == "4"  # type: ignore[union-attr]


def test_new_engine_without_lifecycle_runs_the_cohorts_own(clock: FixedClock) -> None:
    """Another Engine on the store, given no lifecycle, fires the cohort's own events."""
    store = MemoryStore()
    trusted_engine(store, clock=clock).create_cohort(make_cohort(), lifecycle=VERSION_1)
    engine = trusted_engine(store, clock=clock)
    person = make_participant()
    engine.enrol(CODE, person)
    engine.fire(CODE, person.nip, "start_class")
    engine.register_project(CODE, person.nip, PROJECT)
    for event in ("present_proposal", "approve_proposal", "present_results"):
        engine.fire(CODE, person.nip, event)
    failed = engine.fire(CODE, person.nip, "fail")  # version 1: failing needs no grounds
    assert failed.target == "not_passed"
    with pytest.raises(UnknownEvent) as caught:
        engine.fire(CODE, person.nip, "reopen")  # version 1 has no reopening
    assert "known events of change_project" in str(caught.value)
    assert "reopen" not in engine.lifecycle_of(CODE).events
    assert engine.verify(CODE)[0].ok


def test_custom_cohort_keeps_its_states_and_events(clock: FixedClock) -> None:
    """A supervisor-course cohort fires start_class into its own in_class, not on_class."""
    store = MemoryStore()
    writer = trusted_engine(store, rules=supervisor_rules(), clock=clock)
    writer.create_cohort(make_cohort(), lifecycle=SUPERVISOR)
    person = make_participant()
    writer.enrol(CODE, person)
    engine = trusted_engine(store, rules=supervisor_rules(), clock=clock)
    assert engine.fire(CODE, person.nip, "start_class").target == "in_class"
    assert engine.lifecycle_of(CODE).events == (
        "start_class",
        "start_project",
        "pass",
        "fail",
        "withdraw",
    )
    assert tuple(engine.status(CODE).by_state) == SUPERVISOR.state_names
    assert engine.status(CODE).by_state["in_class"] == 1
    with pytest.raises(UnknownEvent):
        engine.fire(CODE, person.nip, "present_proposal")
    assert engine.export(CODE)["lifecycle"] == SUPERVISOR.ref.to_dict()


def test_cohorts_of_one_store_run_different_lifecycles(clock: FixedClock) -> None:
    """One engine runs each cohort on its own definition, side by side."""
    engine = trusted_engine(clock=clock)
    engine.create_cohort(make_cohort("WS-1"), lifecycle=WORKSHOP)
    engine.create_cohort(make_cohort("PKA-1"))
    person, other = make_participant(), make_participant(office=office(1))
    engine.enrol("WS-1", person)
    engine.enrol("PKA-1", other)
    assert engine.fire("WS-1", person.nip, "attend").target == "attending"
    assert engine.fire("PKA-1", other.nip, "start_class").target == "on_class"
    with pytest.raises(UnknownEvent):
        engine.fire("PKA-1", other.nip, "attend")
    assert {c.cohort: c.ok for c in engine.verify()} == {"WS-1": True, "PKA-1": True}


def test_cohort_on_a_file_keeps_its_lifecycle(tmp_path: Path, clock: FixedClock) -> None:
    """A cohort written to SQLite with its lifecycle runs it after the file is reopened."""
    url = f"sqlite:///{tmp_path / 'course.db'}"
    with trusted_engine(SqlStore(url), clock=clock) as writer:
        writer.create_cohort(make_cohort(), lifecycle=WORKSHOP)
        person = make_participant()
        writer.enrol(CODE, person)
    with trusted_engine(SqlStore(url), clock=clock) as reader:
        assert reader.pinned(CODE) == WORKSHOP.ref
        assert reader.fire(CODE, person.nip, "attend").target == "attending"
        assert tuple(reader.status(CODE).by_state) == WORKSHOP.state_names
        with pytest.raises(UnknownEvent):
            reader.fire(CODE, person.nip, "start_class")
        assert reader.verify(CODE)[0].ok


# -- mismatches and missing rules -----------------------------------------------------------


def test_engine_given_another_definition_raises_definition_mismatch(clock: FixedClock) -> None:
    """Engine(store, lifecycle=other) refuses commands on the cohort, typed, writing nothing."""
    store = MemoryStore()
    creator = trusted_engine(store, clock=clock)
    creator.create_cohort(make_cohort(), lifecycle=VERSION_1)
    person = make_participant()
    creator.enrol(CODE, person)
    seen = trail(creator)
    engine = trusted_engine(store, lifecycle=DEFAULT_LIFECYCLE, clock=clock)
    for command in (
        lambda: engine.fire(CODE, person.nip, "start_class"),
        lambda: engine.check(CODE, person.nip, "start_class"),
        lambda: engine.advance(CODE, "start_class"),
        lambda: engine.enrol(CODE, make_participant(office=office(1))),
        lambda: engine.register_project(CODE, person.nip, PROJECT),
        lambda: engine.form_groups(CODE, 1),
        lambda: engine.lifecycle_of(CODE),
    ):
        with pytest.raises(DefinitionMismatch) as caught:
            command()
        assert isinstance(caught.value, DefinitionError)
        assert not isinstance(caught.value, KeyError)
        assert caught.value.cohort == CODE
        assert caught.value.stored == VERSION_1.ref
        assert caught.value.given == DEFAULT_LIFECYCLE.ref
    assert "migrate" in str(caught.value)
    assert trail(creator) == seen
    assert creator.state(CODE, person.nip) == "enrolled"


def test_engine_given_the_same_definition_runs_the_cohort(clock: FixedClock) -> None:
    """An engine given the definition the cohort is pinned to runs it."""
    store = MemoryStore()
    trusted_engine(store, clock=clock).create_cohort(make_cohort(), lifecycle=WORKSHOP)
    engine = trusted_engine(
        store, lifecycle=load_definition(ROOT / "tests" / "data" / "workshop.yaml")
    )
    person = make_participant()
    engine.enrol(CODE, person)
    assert engine.fire(CODE, person.nip, "attend").target == "attending"


def test_engine_given_a_definition_creates_cohorts_only_on_it(clock: FixedClock) -> None:
    """An engine given a lifecycle refuses to create a cohort on another one; nothing is stored."""
    engine = trusted_engine(lifecycle=WORKSHOP, clock=clock)
    with pytest.raises(DefinitionMismatch):
        engine.create_cohort(make_cohort(), lifecycle=VERSION_1)
    assert engine.cohorts() == []
    engine.create_cohort(make_cohort(), lifecycle=WORKSHOP)
    assert engine.pinned(CODE) == WORKSHOP.ref


def test_definition_naming_unregistered_rules_raises_missing_rules(clock: FixedClock) -> None:
    """A cohort whose definition names rules this engine lacks raises MissingRules naming them."""
    store = MemoryStore()
    writer = trusted_engine(store, rules=supervisor_rules(), clock=clock)
    writer.create_cohort(make_cohort(), lifecycle=SUPERVISOR)
    person = make_participant()
    writer.enrol(CODE, person)
    seen = trail(writer)
    engine = trusted_engine(store, clock=clock)
    for command in (
        lambda: engine.fire(CODE, person.nip, "start_class"),
        lambda: engine.enrol(CODE, make_participant(office=office(1))),
        lambda: engine.lifecycle_of(CODE),
    ):
        with pytest.raises(MissingRules) as caught:
            command()
        assert caught.value.rules == ("supervisor_rank",)
        assert isinstance(caught.value, DefinitionError)
        assert "supervisor_rank" in str(caught.value)
    assert engine.pinned(CODE) == SUPERVISOR.ref  # known without compiling it
    assert engine.status(CODE).total == 1
    assert trail(writer) == seen


def test_engine_built_on_a_definition_with_unregistered_rules(clock: FixedClock) -> None:
    """Engine(lifecycle=...) with rules it cannot resolve raises MissingRules at once."""
    with pytest.raises(MissingRules) as caught:
        trusted_engine(lifecycle=SUPERVISOR, clock=clock)
    assert caught.value.rules == ("supervisor_rank",)
    assert caught.value.name == "supervisor_course"
    with pytest.raises(MissingRules):
        Lifecycle(SUPERVISOR, RuleRegistry.default())


# -- migration ------------------------------------------------------------------------------


def _workshop_cohort(engine: Engine) -> list[str]:
    """A workshop cohort with one participant registered, one attending and one withdrawn."""
    engine.create_cohort(make_cohort(), lifecycle=WORKSHOP)
    people = [make_participant(office=office(i)) for i in range(3)]
    for person in people:
        engine.enrol(CODE, person)
    engine.fire(CODE, people[1].nip, "attend")
    engine.fire(CODE, people[2].nip, "withdraw", reason="moved away")
    return [p.nip for p in people]


MAPPING = {"registered": "enrolled", "attending": "on_class", "certified": "graduated"}


def test_migration_dry_run_lists_every_participant_and_writes_nothing(engine: Engine) -> None:
    """A dry run returns the plan (every participant, before and after) and writes nothing."""
    nips = _workshop_cohort(engine)
    seen = trail(engine)
    stored = [e.to_dict() for e in engine.participants(CODE)]
    plan = engine.migrate(CODE, DEFAULT_LIFECYCLE, MAPPING, dry_run=True)
    assert not plan.applied
    assert (plan.source, plan.target) == (WORKSHOP.ref, DEFAULT_LIFECYCLE.ref)
    assert plan.moves == (
        (nips[0], "registered", "enrolled"),
        (nips[1], "attending", "on_class"),
        (nips[2], "withdrawn", "withdrawn"),
    )
    assert trail(engine) == seen
    assert [e.to_dict() for e in engine.participants(CODE)] == stored
    assert engine.pinned(CODE) == WORKSHOP.ref


def test_migration_refuses_an_unmapped_state(engine: Engine) -> None:
    """A state the new lifecycle lacks, unmapped, refuses the plan (state_unmapped), unwritten."""
    nips = _workshop_cohort(engine)
    seen = trail(engine)
    for dry_run in (True, False):
        with pytest.raises(MigrationRejected) as caught:
            engine.migrate(CODE, DEFAULT_LIFECYCLE, {"registered": "enrolled"}, dry_run=dry_run)
        assert caught.value.codes == ("state_unmapped",)
        assert caught.value.cohort == CODE
        assert dict(caught.value.violations[0].facts) == {
            "state": "attending",
            "participants": [nips[1]],
        }
        assert caught.value.violations[0].message_id
    with pytest.raises(MigrationRejected) as caught:
        engine.migrate(CODE, DEFAULT_LIFECYCLE)
    assert caught.value.codes == ("state_unmapped", "state_unmapped")
    assert trail(engine) == seen
    assert engine.pinned(CODE) == WORKSHOP.ref


def test_migration_refuses_a_state_mapped_to_an_unknown_one(engine: Engine) -> None:
    """A state mapped to one the new lifecycle lacks refuses the plan (state_unknown)."""
    _workshop_cohort(engine)
    seen = trail(engine)
    with pytest.raises(MigrationRejected) as caught:
        engine.migrate(CODE, DEFAULT_LIFECYCLE, {**MAPPING, "attending": "on_holiday"})
    assert caught.value.codes == ("state_unknown",)
    assert dict(caught.value.violations[0].facts) == {"state": "attending", "to": "on_holiday"}
    assert trail(engine) == seen


def test_migration_refuses_to_reactivate_someone_active_elsewhere(engine: Engine) -> None:
    """Mapping someone withdrawn, now active in another cohort, to an active state is refused."""
    nips = _workshop_cohort(engine)
    later = engine.create_cohort(
        make_cohort("PKA-III-I-2020", start=date(2020, 2, 3), end=date(2020, 5, 29))
    ).code
    engine.enrol(later, engine.participant(CODE, nips[2]).participant)
    seen = trail(engine)
    with pytest.raises(MigrationRejected) as caught:
        engine.migrate(CODE, DEFAULT_LIFECYCLE, {**MAPPING, "withdrawn": "on_class"})
    assert caught.value.codes == ("already_active",)
    assert dict(caught.value.violations[0].facts) == {"nip": nips[2], "active_in": later}
    assert trail(engine) == seen


def test_migration_judges_seats_taken_back_by_the_office_quota(engine: Engine) -> None:
    """Mapping someone withdrawn back into a seat is refused when the office is full again."""
    cohort = engine.create_cohort(make_cohort("PKA-Q-2019", max_per_office=2)).code
    a, b, c = (make_participant(office=office(1)) for _ in range(3))
    for person in (a, b):
        engine.enrol(cohort, person)
    engine.fire(cohort, a.nip, "withdraw", reason="pindah tugas")
    engine.enrol(cohort, c)  # takes the freed seat: the office is full again
    seen = trail(engine, cohort)
    nxt = LifecycleDefinition.model_validate({**DEFAULT_LIFECYCLE.model_dump(), "version": "9"})
    with pytest.raises(MigrationRejected) as caught:
        engine.migrate(cohort, nxt, {"withdrawn": "on_class"})
    assert caught.value.codes == ("office_quota",)
    assert dict(caught.value.violations[0].facts) == {
        "office": office(1).code,
        "taken": 3,
        "limit": 2,
    }
    assert trail(engine, cohort) == seen
    plan = engine.migrate(cohort, nxt)  # withdrawn stays withdrawn: no seat is taken
    assert plan.applied
    assert engine.status(cohort).by_office == {office(1).code: 3}  # two seated, one not


def test_migration_judges_seats_taken_back_by_the_capacity(engine: Engine) -> None:
    """Mapping someone withdrawn back into a full cohort is refused (cohort_capacity)."""
    cohort = engine.create_cohort(make_cohort("PKA-K-2019", capacity=1)).code
    a, b = make_participant(office=office(1)), make_participant(office=office(2))
    engine.enrol(cohort, a)
    engine.fire(cohort, a.nip, "withdraw", reason="pindah tugas")
    engine.enrol(cohort, b)
    nxt = LifecycleDefinition.model_validate({**DEFAULT_LIFECYCLE.model_dump(), "version": "9"})
    with pytest.raises(MigrationRejected) as caught:
        engine.migrate(cohort, nxt, {"withdrawn": "enrolled"})
    assert caught.value.codes == ("cohort_capacity",)
    assert dict(caught.value.violations[0].facts) == {"taken": 2, "capacity": 1}


@pytest.mark.parametrize("state_map", ["xy", 5, [5], {1: 2}, {"withdrawn": None}])
def test_migration_refuses_a_malformed_state_map(engine: Engine, state_map: object) -> None:
    """A state map that is not a mapping of names to names is InvalidInput naming state_map."""
    _workshop_cohort(engine)
    seen = trail(engine)
    with pytest.raises(InvalidInput) as caught:
        engine.migrate(CODE, DEFAULT_LIFECYCLE, state_map)  # type: ignore[arg-type]
    assert caught.value.field == "state_map"
    with pytest.raises(InvalidInput, match="dry_run"):
        engine.migrate(CODE, DEFAULT_LIFECYCLE, MAPPING, dry_run="yes")  # type: ignore[arg-type]
    assert trail(engine) == seen


def test_applied_migration_writes_one_entry_per_participant(
    engine: Engine, clock: FixedClock
) -> None:
    """An applied plan writes a cohort entry and a migrate entry per participant; verify passes."""
    nips = _workshop_cohort(engine)
    before = {e.nip: e for e in engine.participants(CODE)}
    seen = len(trail(engine))
    clock.advance(days=1)
    plan = engine.migrate(CODE, DEFAULT_LIFECYCLE, MAPPING, actor="BKD", reason="a full course")
    assert plan.applied
    added = trail(engine)[seen:]
    assert [(e.nip, e.event, e.source, e.target) for e in added] == [
        (COHORT_NIP, "migrate", None, None),
        (nips[0], "migrate", "registered", "enrolled"),
        (nips[1], "migrate", "attending", "on_class"),
        (nips[2], "migrate", "withdrawn", "withdrawn"),
    ]
    assert all((e.actor, e.reason, e.at) == ("BKD", "a full course", clock.now()) for e in added)
    lifecycle = (added[0].change or {})["lifecycle"]
    assert lifecycle["before"] == WORKSHOP.ref.to_dict()
    assert lifecycle["after"]["sha256"] == DEFAULT_LIFECYCLE.sha256
    assert lifecycle["after"]["document"] == DEFAULT_LIFECYCLE.document()
    assert engine.pinned(CODE) == DEFAULT_LIFECYCLE.ref
    for nip, state in zip(nips, ("enrolled", "on_class", "withdrawn"), strict=True):
        after = engine.participant(CODE, nip)
        assert (after.state, after.version) == (state, before[nip].version + 1)
        assert after.revisions == before[nip].revisions
        assert after.seated == (state != "withdrawn")
    assert engine.verify(CODE)[0].ok
    assert engine.history(nips[1])[-1].event == "migrate"


def test_migrated_cohort_runs_the_new_lifecycle(engine: Engine) -> None:
    """After migrating, the cohort's participants fire the new definition's events."""
    nips = _workshop_cohort(engine)
    engine.migrate(CODE, DEFAULT_LIFECYCLE, MAPPING, reason="a full course")
    assert engine.fire(CODE, nips[0], "start_class").target == "on_class"
    with pytest.raises(UnknownEvent):
        engine.fire(CODE, nips[1], "attend")
    engine.register_project(CODE, nips[1], PROJECT)
    assert engine.fire(CODE, nips[1], "present_proposal").target == "proposal"
    # It left 'registered', which the migration mapped to 'enrolled': reopening returns there.
    assert engine.fire(CODE, nips[2], "reopen", reason="by mistake").target == "enrolled"
    assert engine.history(nips[2])[-2].data == {"left": "enrolled"}  # its migrate entry
    assert engine.verify(CODE)[0].ok


def test_engine_pinned_to_the_old_definition_mismatches_after_migration(
    clock: FixedClock,
) -> None:
    """Once migrated, an engine given the old definition is refused; one without runs the new."""
    store = MemoryStore()
    trusted_engine(store, clock=clock).create_cohort(make_cohort(), lifecycle=VERSION_1)
    trusted_engine(store, clock=clock).migrate(CODE, DEFAULT_LIFECYCLE, reason="version 2")
    old = trusted_engine(store, lifecycle=VERSION_1, clock=clock)
    with pytest.raises(DefinitionMismatch) as caught:
        old.enrol(CODE, make_participant())
    assert caught.value.stored == DEFAULT_LIFECYCLE.ref
    assert "reopen" in trusted_engine(store, clock=clock).lifecycle_of(CODE).events


def test_migration_to_the_same_definition_is_invalid_input(engine: Engine) -> None:
    """Migrating a cohort to the definition it runs is InvalidInput; nothing is written."""
    engine.create_cohort(make_cohort())
    with pytest.raises(InvalidInput) as caught:
        engine.migrate(CODE, DEFAULT_LIFECYCLE)
    assert caught.value.field == "lifecycle"
    assert len(trail(engine)) == 1


def test_migration_retried_with_its_key_returns_the_plan(engine: Engine) -> None:
    """A migration sent again with its key returns the applied plan and writes nothing."""
    _workshop_cohort(engine)
    first = engine.migrate(CODE, DEFAULT_LIFECYCLE, MAPPING, reason="full course", key="mig-1")
    seen = trail(engine)
    again = engine.migrate(CODE, DEFAULT_LIFECYCLE, MAPPING, reason="full course", key="mig-1")
    assert again == first
    assert trail(engine) == seen


def test_migrating_participants_reach_states_only_the_new_lifecycle_has(engine: Engine) -> None:
    """After a migration, the old definition's states cannot be reached by any command."""
    nips = _workshop_cohort(engine)
    engine.migrate(CODE, DEFAULT_LIFECYCLE, MAPPING)
    states = set(DEFAULT_LIFECYCLE.state_names)
    assert {e.state for e in engine.participants(CODE)} <= states
    with pytest.raises(TransitionRejected) as caught:
        engine.fire(CODE, nips[0], "present_proposal")  # enrolled: illegal in version 2
    assert caught.value.codes == ("illegal_transition",)
