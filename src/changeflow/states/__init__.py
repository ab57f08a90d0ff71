"""The lifecycle: stage names, the definition as data, its checks and the compiled machine.

The names are imported on first use (PEP 562): ``changeflow.states.names`` is plain enums,
and importing it must not parse the default lifecycle nor load pydantic and ``transitions``
(the CLI's language module needs only the stage names).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from changeflow import _lazy

if TYPE_CHECKING:  # the names below, for type checkers; at run time see _WHERE
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

_WHERE: dict[str, str] = {
    "DEFAULT_ENROLMENT_RULES": ".default",
    "DEFAULT_LIFECYCLE": ".default",
    "ANY_ACTIVE": ".definition",
    "DEFAULT_COMMANDS": ".definition",
    "PREVIOUS": ".definition",
    "CommandSpec": ".definition",
    "LifecycleDefinition": ".definition",
    "StateSpec": ".definition",
    "TransitionSpec": ".definition",
    "check_definition": ".definition",
    "load_definition": ".definition",
    "Lifecycle": ".machine",
    "Move": ".machine",
    "ENROL": ".names",
    "DataCommand": ".names",
    "Event": ".names",
    "Stage": ".names",
}
"""Each public name and the submodule defining it (imported on first use, see __getattr__)."""


__getattr__, __dir__ = _lazy(__name__, _WHERE, globals(), __all__)
