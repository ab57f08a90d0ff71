"""The canonical stage and event names: scripts depend on these exact strings."""

from __future__ import annotations

from changeflow import DEFAULT_LIFECYCLE, Event, Stage
from changeflow.states import ENROL
from changeflow.states.names import (
    CARRY_OVER,
    CREATE_COHORT,
    DATA_COMMANDS,
    ERASE,
    MIGRATE,
    RECORD_ATTENDANCE,
    RESERVED_EVENTS,
    SET_SCHEDULE,
    DataCommand,
)

STATES = (
    "enrolled",
    "on_class",
    "proposal",
    "laboratory",
    "seminar",
    "graduated",
    "not_passed",
    "withdrawn",
    "dropped",
)
FINALS = {"graduated", "not_passed", "withdrawn", "dropped"}
EVENTS = (
    "start_class",
    "present_proposal",
    "revise_proposal",
    "approve_proposal",
    "present_results",
    "graduate",
    "fail",
    "withdraw",
    "drop",
    "reopen",
)


def test_stage_values_are_pinned() -> None:
    """Stage lists exactly the nine canonical state names, in lifecycle order."""
    assert tuple(s.value for s in Stage) == STATES


def test_event_values_are_pinned() -> None:
    """Event lists exactly the ten canonical event names, in lifecycle order."""
    assert tuple(e.value for e in Event) == EVENTS


def test_names_compare_equal_to_plain_strings() -> None:
    """Stage and Event members are plain strings to scripts (StrEnum)."""
    assert Stage.ON_CLASS == "on_class"
    assert Event.APPROVE_PROPOSAL == "approve_proposal"
    assert f"{Stage.NOT_PASSED}" == "not_passed"
    assert isinstance(Event.DROP, str)


def test_default_lifecycle_uses_the_canonical_states() -> None:
    """The default lifecycle defines exactly the canonical states, the last four final."""
    assert DEFAULT_LIFECYCLE.state_names == STATES
    assert set(DEFAULT_LIFECYCLE.final_states) == FINALS
    assert DEFAULT_LIFECYCLE.initial == "enrolled"


def test_default_lifecycle_uses_the_canonical_events() -> None:
    """The default lifecycle fires exactly the canonical events, in definition order."""
    assert DEFAULT_LIFECYCLE.events == EVENTS


def test_enrol_is_reserved_and_not_a_lifecycle_event() -> None:
    """'enrol' names the enrolment pseudo-event and is no event of the default lifecycle."""
    assert ENROL == "enrol"
    assert ENROL not in DEFAULT_LIFECYCLE.events
    assert ENROL not in {e.value for e in Event}


def test_data_command_values_are_pinned() -> None:
    """DataCommand lists exactly the six data command names audited entries carry."""
    assert tuple(c.value for c in DataCommand) == (
        "register_project",
        "record_assessment",
        "form_groups",
        "correct_assessment",
        "correct_participant",
        "transfer_office",
    )
    assert frozenset(DataCommand) == DATA_COMMANDS


def test_engine_command_names_are_reserved() -> None:
    """The engine's own entry names are reserved and no event of the default lifecycle."""
    engine_names = {
        "enrol",
        "create_cohort",
        "migrate",
        "carry_over",
        "set_schedule",
        "record_attendance",
        "erase",
    }
    assert {
        ENROL,
        CREATE_COHORT,
        MIGRATE,
        CARRY_OVER,
        SET_SCHEDULE,
        RECORD_ATTENDANCE,
        ERASE,
    } == engine_names
    assert DATA_COMMANDS | engine_names == RESERVED_EVENTS
    assert not RESERVED_EVENTS & set(DEFAULT_LIFECYCLE.events)
