"""What the board's pages show, computed from the engine's read API (no writes here).

Each function takes what the page needs and returns plain values for its template; the
request handlers in :mod:`changeflow.web.app` check who may see them first.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from changeflow.states.names import DataCommand, Event

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from datetime import date

    from changeflow.engine import Engine
    from changeflow.records import Enrolment
    from changeflow.states.definition import LifecycleDefinition
    from changeflow.web.access import Seat

__all__ = ["CORRECTIONS", "Diagram", "board_values", "counts_values", "diagram"]

CORRECTIONS = frozenset(
    {
        Event.REOPEN.value,
        DataCommand.CORRECT_ASSESSMENT.value,
        DataCommand.CORRECT_PARTICIPANT.value,
        DataCommand.TRANSFER_OFFICE.value,
    }
)
"""Commands a participant's history marks as corrections."""


@dataclass(frozen=True, slots=True)
class Diagram:
    """The lifecycle drawn as its main path (with the event of each step) and its exits."""

    path: tuple[str, ...]
    steps: tuple[str | None, ...]
    exits: tuple[str, ...]


def diagram(definition: LifecycleDefinition) -> Diagram:
    """The main path: every state but the final ones that do not complete the course."""
    exits = tuple(s.name for s in definition.states if s.final and not s.completes_course)
    path = tuple(s.name for s in definition.states if s.name not in exits)
    steps = tuple(_step(definition, a, b) for a, b in pairwise(path))
    return Diagram(path, steps, exits)


def _step(definition: LifecycleDefinition, source: str, dest: str) -> str | None:
    """The event moving ``source`` to ``dest`` (``None``: none does)."""
    for spec in definition.transitions:
        if spec.dest == dest and source in definition.sources(spec):
            return spec.event
    return None


def counts_values(definition: LifecycleDefinition, members: Sequence[Enrolment]) -> dict[str, Any]:
    """The headcount diagram's values for the participants the person sees."""
    counts = dict.fromkeys(definition.state_names, 0)
    counts.update(Counter(m.state for m in members))
    drawn = diagram(definition)
    return {
        "counts": counts,
        "path": drawn.path,
        "steps": drawn.steps,
        "exits": drawn.exits,
        "total": len(members),
    }


def board_values(
    engine: Engine,
    seat: Seat,
    definition: LifecycleDefinition,
    members: Iterable[Enrolment],
    today: date,
) -> dict[str, Any]:
    """Everything the board shows the person: columns of cards, the diagram, the schedule."""
    shown = seat.visible(members)
    cards: dict[str, list[Enrolment]] = {name: [] for name in definition.state_names}
    for member in shown:
        cards.setdefault(member.state, []).append(member)
    agenda = engine.agenda(seat.cohort, today)
    late = [item for item in agenda.overdue() if seat.sees(item.nip)]
    return {
        **counts_values(definition, shown),
        "columns": list(cards),
        "cards": cards,
        "overdue": frozenset(item.nip for item in late),
        "late": late,
        "schedule": engine.schedule(seat.cohort),
        "today": today,
        "bulk": [
            spec
            for spec in seat.bulk_events(definition)
            if any(cards.get(source) for source in definition.sources(spec))
        ],
    }
