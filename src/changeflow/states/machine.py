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

from changeflow.errors import DefinitionError
from changeflow.states.definition import LifecycleDefinition, check_definition

if TYPE_CHECKING:
    from collections.abc import Mapping

    from changeflow.rules.base import Rule

__all__ = ["Lifecycle", "Move"]

NamedRule = tuple[str, "Rule"]


@dataclass(frozen=True, slots=True)
class Move:
    """One compiled transition: an event leaving one source state."""

    event: str
    source: str
    dest: str
    rules: tuple[NamedRule, ...]

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
        problems = check_definition(definition, rules)
        if problems:
            raise DefinitionError(problems, name=definition.name)
        self.definition = definition
        self.machine = _build_machine(definition)
        self.table: dict[str, dict[str, Move]] = _compile(self.machine, definition, rules)
        self.initial: str = definition.initial
        self.enrolment_rules: tuple[NamedRule, ...] = tuple(
            (name, rules[name]) for name in definition.enrolment_rules
        )
        self.finals = definition.final_states
        self.seat_freeing = frozenset(s.name for s in definition.states if s.frees_seat)
        self.completing = frozenset(s.name for s in definition.states if s.completes_course)
        self.leaving: dict[str, tuple[Move, ...]] = {
            state: tuple(m for by_src in self.table.values() if (m := by_src.get(state)))
            for state in definition.state_names
        }

    @property
    def name(self) -> str:
        """The definition's name."""
        return self.definition.name

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

    def sources_of(self, event: str) -> tuple[str, ...]:
        """The states ``event`` leaves (empty for an unknown event)."""
        return tuple(self.table.get(event, ()))

    def __repr__(self) -> str:
        return f"Lifecycle({self.name!r}, states={len(self.states)}, events={len(self.table)})"


def _build_machine(definition: LifecycleDefinition) -> Machine:
    states = [{"name": s.name, "final": s.final} for s in definition.states]
    transitions = [
        {"trigger": spec.event, "source": list(definition.sources(spec)), "dest": spec.dest}
        for spec in definition.transitions
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
    guards = {
        (spec.event, source): tuple((r, rules[r]) for r in spec.rules)
        for spec in definition.transitions
        for source in definition.sources(spec)
    }
    table: dict[str, dict[str, Move]] = {}
    for event_name, event in machine.events.items():
        table[event_name] = {
            source: Move(event_name, source, str(found[0].dest), guards[event_name, source])
            for source, found in event.transitions.items()
        }
    return table
