"""The lifecycle: stage names, the definition as data, its checks and the compiled machine."""

from changeflow.states.default import DEFAULT_ENROLMENT_RULES, DEFAULT_LIFECYCLE
from changeflow.states.definition import (
    ANY_ACTIVE,
    DEFAULT_COMMANDS,
    PREVIOUS,
    CommandSpec,
    LifecycleDefinition,
    StateSpec,
    TransitionSpec,
    check_definition,
    load_definition,
)
from changeflow.states.machine import Lifecycle, Move
from changeflow.states.names import ENROL, DataCommand, Event, Stage

__all__ = [
    "ANY_ACTIVE",
    "DEFAULT_COMMANDS",
    "DEFAULT_ENROLMENT_RULES",
    "DEFAULT_LIFECYCLE",
    "ENROL",
    "PREVIOUS",
    "CommandSpec",
    "DataCommand",
    "Event",
    "Lifecycle",
    "LifecycleDefinition",
    "Move",
    "Stage",
    "StateSpec",
    "TransitionSpec",
    "check_definition",
    "load_definition",
]
