"""The one module that imports ``transitions``: it builds and validates the machine.

One machine per lifecycle definition, never one attached model per participant (attaching
100,000 models to ``transitions.Machine`` is super-linear and costs kilobytes each).
Participants stay plain data; the hot paths use the :class:`Move` table compiled from the
machine's own events.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from transitions import Machine

from changeflow.errors import DefinitionError, MissingRules
from changeflow.rules.permission import PERMISSION, Permission
from changeflow.states.definition import (
    PREVIOUS,
    LifecycleDefinition,
    check_definition,
    missing_rules,
)
from changeflow.states.names import ENROL

if TYPE_CHECKING:
    from collections.abc import Mapping

    from changeflow.rules.base import Rule

__all__ = ["Lifecycle", "Move"]

NamedRule = tuple[str, "Rule"]


@dataclass(frozen=True, slots=True)
class Move:
    """One compiled transition: an event leaving one source state.

    ``dest`` is :data:`~changeflow.states.definition.PREVIOUS` for a reopening that returns
    to the state the participant left.
    """

    event: str
    source: str
    dest: str
    rules: tuple[NamedRule, ...]
    reopens: bool = False

    @property
    def reflexive(self) -> bool:
        """True when the move stays in its state (a revision)."""
        return self.source == self.dest


class Lifecycle:
    """A checked lifecycle definition bound to its rules, with its compiled move table.

    >>> from changeflow.rules import RuleRegistry
    >>> from changeflow.states.default import DEFAULT_LIFECYCLE
    >>> lc = Lifecycle(DEFAULT_LIFECYCLE, RuleRegistry.default())
    >>> lc.move("start_class", "enrolled").dest
    'on_class'
    """

    def __init__(self, definition: LifecycleDefinition, rules: Mapping[str, Rule]) -> None:
        missing = missing_rules(definition, rules)
        if missing:
            raise MissingRules(missing, name=definition.name)
        problems = check_definition(definition, rules)
        if problems:
            raise DefinitionError(problems, name=definition.name)
        self.definition = definition
        self.machine = _build_machine(definition)
        self.table: dict[str, dict[str, Move]] = _compile(self.machine, definition, rules)
        self.initial: str = definition.initial
        permissions = definition.permissions
        self.permissions: dict[str, Permission] = {
            command: Permission(by) for command, by in permissions.items()
        }
        """The permission of each engine command the definition restricts (enrol ...)."""
        self.enrolment_rules: tuple[NamedRule, ...] = _guarded(
            permissions.get(ENROL), _named(definition.enrolment_rules, rules)
        )
        self.command_rules: dict[str, tuple[NamedRule, ...]] = {
            command: _guarded(spec.by, _named(spec.rules, rules))
            for command, spec in definition.commands.items()
        }
        self.governed: bool = definition.governed
        """Whether the definition says who may do what (the engine then asks for roles)."""
        self.finals = definition.final_states
        self.seat_freeing = definition.seat_freeing
        self.completing = definition.completing
        self.outcomes = definition.outcomes
        self.leaving: dict[str, tuple[Move, ...]] = {
            state: tuple(m for by_src in self.table.values() if (m := by_src.get(state)))
            for state in definition.state_names
        }

    @property
    def name(self) -> str:
        """The definition's name."""
        return self.definition.name

    @property
    def sha256(self) -> str:
        """The definition's SHA-256 (what a cohort is pinned to)."""
        return self.definition.sha256

    @property
    def states(self) -> tuple[str, ...]:
        """State names in definition order."""
        return self.definition.state_names

    @property
    def events(self) -> tuple[str, ...]:
        """Event names in definition order."""
        return tuple(self.table)

    def move(self, event: str, source: str) -> Move | None:
        """The move ``event`` makes from ``source``, or ``None`` when it does not leave it."""
        by_source = self.table.get(event)
        return by_source.get(source) if by_source else None

    def events_from(self, state: str) -> tuple[str, ...]:
        """The events that leave ``state`` (empty for a final state or an unknown one)."""
        return tuple(m.event for m in self.leaving.get(state, ()))

    def sources_of(self, event: str) -> tuple[str, ...]:
        """The states ``event`` leaves (empty for an unknown event)."""
        return tuple(self.table.get(event, ()))

    def __repr__(self) -> str:
        return f"Lifecycle({self.name!r}, states={len(self.states)}, events={len(self.table)})"


def _named(names: tuple[str, ...], rules: Mapping[str, Rule]) -> tuple[NamedRule, ...]:
    return tuple((name, rules[name]) for name in names)


def _guarded(by: tuple[str, ...] | None, named: tuple[NamedRule, ...]) -> tuple[NamedRule, ...]:
    """``named`` with the permission rule first when ``by`` restricts who may act."""
    return named if by is None else ((PERMISSION, Permission(by)), *named)


def _build_machine(definition: LifecycleDefinition) -> Machine:
    states = [{"name": s.name, "final": s.final} for s in definition.states]
    # A reopening to the state left has no fixed destination for the machine to hold; the
    # engine resolves it from the participant's history (see _compile).
    transitions = [
        {"trigger": spec.event, "source": list(definition.sources(spec)), "dest": spec.dest}
        for spec in definition.transitions
        if spec.dest != PREVIOUS
    ]
    try:
        return Machine(
            model=None,
            states=states,
            transitions=transitions,
            initial=definition.initial,
            auto_transitions=False,
        )
    except (ValueError, KeyError) as exc:  # the checks above should have caught it first
        raise DefinitionError(
            [f"transitions refused the machine: {exc}"], name=definition.name
        ) from exc


def _compile(
    machine: Machine, definition: LifecycleDefinition, rules: Mapping[str, Rule]
) -> dict[str, dict[str, Move]]:
    # Rules guard one (event, source) pair: an event defined by several transitions may
    # carry different rules from each of its sources.
    specs = {
        (spec.event, source): spec
        for spec in definition.transitions
        for source in definition.sources(spec)
    }
    table: dict[str, dict[str, Move]] = {}
    for event_name, event in machine.events.items():
        by_source = table[event_name] = {}
        for source, found in event.transitions.items():
            spec = specs[event_name, source]
            by_source[source] = Move(
                event_name,
                source,
                str(found[0].dest),
                _guarded(spec.by, _named(spec.rules, rules)),
                spec.reopens,
            )
    for (event_name, source), spec in specs.items():
        if spec.dest == PREVIOUS:
            table.setdefault(event_name, {})[source] = Move(
                event_name,
                source,
                PREVIOUS,
                _guarded(spec.by, _named(spec.rules, rules)),
                reopens=True,
            )
    return table
