"""The lifecycle: stage names, the definition as data, its checks and the compiled machine."""

from changeflow.states.default import DEFAULT_ENROLMENT_RULES, DEFAULT_LIFECYCLE
from changeflow.states.definition import (
    ANY_ACTIVE,
    LifecycleDefinition,
    StateSpec,
    TransitionSpec,
    check_definition,
    load_definition,
)
from changeflow.states.machine import Lifecycle, Move
from changeflow.states.names import ENROL, Event, Stage

__all__ = [
    "ANY_ACTIVE",
    "DEFAULT_ENROLMENT_RULES",
    "DEFAULT_LIFECYCLE",
    "ENROL",
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
