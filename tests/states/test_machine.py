"""The compiled lifecycle: its move table agrees with the transitions.Machine it came from."""

from __future__ import annotations

from pathlib import Path

import pytest

from changeflow import DEFAULT_LIFECYCLE, Lifecycle, RuleRegistry
from changeflow.states import PREVIOUS, LifecycleDefinition, load_definition

DATA = Path(__file__).parent.parent / "data"
RULES = RuleRegistry.default()
LIFECYCLE = Lifecycle(DEFAULT_LIFECYCLE, RULES)
ACTIVE = ("enrolled", "on_class", "proposal", "laboratory", "seminar")
REOPEN_RULES = ("reason_required", "already_active", "office_quota", "cohort_capacity")

P = "permission"
"""The permission rule each move of a lifecycle naming roles is judged by first."""

EXPECTED_MOVES = {
    ("start_class", "enrolled"): ("on_class", (P,)),
    ("present_proposal", "on_class"): ("proposal", (P, "change_project", "attendance_minimum")),
    ("revise_proposal", "proposal"): ("proposal", (P,)),
    ("approve_proposal", "proposal"): ("laboratory", (P, "mentor_approval")),
    ("present_results", "laboratory"): ("seminar", (P,)),
    ("graduate", "seminar"): ("graduated", (P, "passing_assessment")),
    ("fail", "seminar"): ("not_passed", (P, "fail_grounds")),
    **{("withdraw", s): ("withdrawn", (P, "reason_required")) for s in ACTIVE},
    **{("drop", s): ("dropped", (P, "reason_required")) for s in ACTIVE},
    ("reopen", "graduated"): ("seminar", (P, *REOPEN_RULES)),
    ("reopen", "not_passed"): ("seminar", (P, *REOPEN_RULES)),
    ("reopen", "withdrawn"): (PREVIOUS, (P, *REOPEN_RULES)),
    ("reopen", "dropped"): (PREVIOUS, (P, *REOPEN_RULES)),
}
"""Every move of the default lifecycle: (event, source) -> (dest, rule names)."""

EXPECTED_ROLES = {
    "start_class": ("organiser",),
    "present_proposal": ("organiser",),
    "revise_proposal": ("coach", "organiser"),
    "approve_proposal": ("mentor",),
    "present_results": ("organiser",),
    "graduate": ("examiner",),
    "fail": ("examiner",),
    "withdraw": ("organiser",),
    "drop": ("organiser",),
    "reopen": ("organiser",),
}
"""Who may fire each event of the default lifecycle (the issue's list)."""


def _table(lifecycle: Lifecycle) -> dict[tuple[str, str], tuple[str, tuple[str, ...]]]:
    """The compiled table flattened to (event, source) -> (dest, rule names)."""
    return {
        (event, source): (move.dest, tuple(name for name, _ in move.rules))
        for event, by_source in lifecycle.table.items()
        for source, move in by_source.items()
    }


def test_default_moves_are_pinned() -> None:
    """The default lifecycle compiles to exactly the documented moves and guards."""
    assert _table(LIFECYCLE) == EXPECTED_MOVES


@pytest.mark.parametrize("event", LIFECYCLE.events)
def test_table_agrees_with_the_machine(event: str) -> None:
    """For every event and source, the table's dest is the transitions.Machine's dest."""
    # A reopening to the state left has no fixed dest: the machine lacks it, the table
    # holds it as @previous.
    machine_event = LIFECYCLE.machine.events[event]
    returning = {s for s, m in LIFECYCLE.table[event].items() if m.dest == PREVIOUS}
    assert returning == ({"withdrawn", "dropped"} if event == "reopen" else set())
    assert set(LIFECYCLE.table[event]) - returning == set(machine_event.transitions)
    for source, found in machine_event.transitions.items():
        assert len(found) == 1
        move = LIFECYCLE.table[event][source]
        assert (move.event, move.source, move.dest) == (event, source, found[0].dest)


def test_table_covers_every_event_of_the_machine() -> None:
    """The table has exactly the machine's events, in definition order."""
    assert tuple(LIFECYCLE.machine.events) == LIFECYCLE.events == DEFAULT_LIFECYCLE.events
    assert len(LIFECYCLE.events) == 10


def test_only_reopen_reopens() -> None:
    """Exactly the reopen moves are flagged as reopenings, and they leave the final states."""
    reopening = {
        (m.event, m.source) for by in LIFECYCLE.table.values() for m in by.values() if m.reopens
    }
    assert reopening == {("reopen", s) for s in LIFECYCLE.finals}


def test_machine_knows_the_states_and_initial() -> None:
    """The machine holds every state of the definition and starts at its initial state."""
    assert set(LIFECYCLE.machine.states) == set(DEFAULT_LIFECYCLE.state_names)
    assert LIFECYCLE.machine.initial == "enrolled"
    assert LIFECYCLE.initial == "enrolled"


@pytest.mark.parametrize("state", DEFAULT_LIFECYCLE.state_names)
def test_leaving_lists_the_events_out_of_each_state(state: str) -> None:
    """leaving[state] holds the moves out of that state, in event order."""
    expected = [event for event in LIFECYCLE.events if (event, state) in EXPECTED_MOVES]
    leaving = LIFECYCLE.leaving[state]
    assert [m.event for m in leaving] == expected
    assert all(m.source == state for m in leaving)


def test_final_states_are_left_only_by_reopen() -> None:
    """The one move leaving a final state is the reopen correction."""
    assert LIFECYCLE.finals == {"graduated", "not_passed", "withdrawn", "dropped"}
    for state in LIFECYCLE.finals:
        assert [m.event for m in LIFECYCLE.leaving[state]] == ["reopen"]
        assert LIFECYCLE.events_from(state) == ("reopen",)


def test_outcomes_come_from_the_definition() -> None:
    """Graduated stands for a pass and not_passed for a fail; no other state has an outcome."""
    assert dict(LIFECYCLE.outcomes) == {"graduated": "passed", "not_passed": "failed"}


def test_move_and_sources_of() -> None:
    """move() answers None where an event does not leave a state; sources_of lists its sources."""
    assert LIFECYCLE.move("graduate", "enrolled") is None
    assert LIFECYCLE.move("no_such_event", "enrolled") is None
    move = LIFECYCLE.move("graduate", "seminar")
    assert move is not None
    assert move.dest == "graduated"
    assert LIFECYCLE.sources_of("withdraw") == ACTIVE
    assert LIFECYCLE.sources_of("no_such_event") == ()


def test_only_revision_is_reflexive() -> None:
    """revise_proposal is the default lifecycle's one move that stays in its state."""
    reflexive = [m.event for by in LIFECYCLE.table.values() for m in by.values() if m.reflexive]
    assert reflexive == ["revise_proposal"]  # a reopening to the state left is not one


def test_state_roles_come_from_the_definition() -> None:
    """Seat-freeing, course-completing and enrolment rules are read from the definition."""
    assert LIFECYCLE.seat_freeing == {"withdrawn", "dropped"}
    assert LIFECYCLE.completing == {"graduated"}
    assert [name for name, _ in LIFECYCLE.enrolment_rules] == [
        "permission",
        "rank",
        "retirement_horizon",
        "already_active",
        "office_quota",
        "cohort_capacity",
    ]
    assert all(rule is RULES[name] for name, rule in LIFECYCLE.enrolment_rules[1:])


def test_each_move_is_permitted_to_the_roles_its_transition_names() -> None:
    """The permission rule of each move allows exactly the roles of the issue's list."""
    for event, by_source in LIFECYCLE.table.items():
        for move in by_source.values():
            name, rule = move.rules[0]
            assert (name, getattr(rule, "allowed", None)) == (P, EXPECTED_ROLES[event])


def test_moves_carry_the_registered_rule_objects() -> None:
    """A move's rules are the registry's own callables, by name."""
    move = LIFECYCLE.move("approve_proposal", "proposal")
    assert move is not None
    assert move.rules[1:] == (("mentor_approval", RULES["mentor_approval"]),)


def test_rules_are_bound_per_source_of_a_shared_event() -> None:
    """An event defined by two transitions keeps each transition's own rules per source."""
    definition = LifecycleDefinition.model_validate(
        {
            "name": "two_step",
            "initial": "a",
            "states": [{"name": "a"}, {"name": "b"}, {"name": "z", "final": True}],
            "transitions": [
                {"event": "go", "source": "a", "dest": "b", "rules": ["reason_required"]},
                {"event": "go", "source": "b", "dest": "z"},
            ],
        }
    )
    lifecycle = Lifecycle(definition, RULES)
    assert _table(lifecycle) == {
        ("go", "a"): ("b", ("reason_required",)),
        ("go", "b"): ("z", ()),
    }


def test_loaded_toml_compiles_like_the_first_default() -> None:
    """The TOML copy of version 1 compiles to today's table minus reopen, grounds, attendance."""
    loaded = Lifecycle(load_definition(DATA / "change_project.toml", RULES), RULES)
    first = {
        key: ((dest, ()) if key[0] == "fail" else (dest, _without_attendance(rules[1:])))
        for key, (dest, rules) in _table(LIFECYCLE).items()
        if key[0] != "reopen"
    }
    assert _table(loaded) == first
    assert {s: [m.event for m in ms] for s, ms in loaded.leaving.items()} == {
        s: [m.event for m in ms if m.event != "reopen"] for s, ms in LIFECYCLE.leaving.items()
    }


def _without_attendance(rules: tuple[str, ...]) -> tuple[str, ...]:
    """The rule names without ``attendance_minimum`` (version 3 added it)."""
    return tuple(r for r in rules if r != "attendance_minimum")


def test_repr_names_the_lifecycle() -> None:
    """Repr shows the lifecycle's name and size."""
    assert repr(LIFECYCLE) == "Lifecycle('change_project', states=9, events=10)"
