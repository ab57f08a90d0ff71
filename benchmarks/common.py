"""Shared pieces of the benchmark suite: data makers, timing, interleaved rounds, figures.

Every figure is measured in rounds; contenders of one comparison run alternately within a
round (and in the opposite order in the next round), so a noisy neighbour on this shared
2-core machine slows both sides alike. Medians decide; min and max show the spread.
"""

from __future__ import annotations

import gc
import statistics
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from changeflow import Cohort, CohortParameters, FixedClock, Office, Participant
from changeflow.staff import StaffMember

if TYPE_CHECKING:
    from collections.abc import Callable

    from changeflow.states import LifecycleDefinition

CODE = "BENCH"
START = date(2019, 4, 4)
END = date(2019, 7, 19)
NOW = datetime(2019, 4, 4, 8, 0, tzinfo=UTC)
PATH = ("start_class", "present_proposal", "approve_proposal", "present_results", "graduate")
"""The graduation path: five transitions, three of them guarded by a default rule."""


STAFF_ID = "bkd"
"""The actor of every benchmark command: it creates the cohorts (their first organiser)."""
STAFF = StaffMember(id=STAFF_ID, name="BKD", roles=frozenset({"organiser", "coach", "examiner"}))
"""The benchmarks' staff member, holding every staff role of the cohort."""
MENTOR_NIP = "196501011990031001"
"""The mentor every benchmark project names; approvals act as it."""


def actor(event: str) -> str:
    """Who fires ``event`` on the graduation path: the mentor approves, the staff the rest."""
    return MENTOR_NIP if event == "approve_proposal" else STAFF_ID


def ungoverned(definition: LifecycleDefinition) -> LifecycleDefinition:
    """``definition`` without permissions (every ``by`` and ``permissions`` removed)."""
    transitions = tuple(t.model_copy(update={"by": None}) for t in definition.transitions)
    commands = {n: c.model_copy(update={"by": None}) for n, c in definition.commands.items()}
    return definition.model_copy(
        update={"transitions": transitions, "commands": commands, "permissions": {}}
    )


def clock() -> FixedClock:
    """The clock every benchmark engine runs on (the 2019 cohort's first morning)."""
    return FixedClock(NOW)


def cohort(code: str = CODE, size: int = 30) -> Cohort:
    """A cohort whose capacity and office quota are raised to ``size``."""
    return Cohort(
        code=code,
        name=f"benchmark cohort {code}",
        start=START,
        end=END,
        capacity=max(size, 1),
        parameters=CohortParameters(max_per_office=max(size, 1)),
    )


def nip(i: int) -> str:
    """A valid, distinct 18-digit NIP for every ``i`` below several billion."""
    serial, rest = i % 1000, i // 1000
    day, rest = 1 + rest % 28, rest // 28
    month, rest = 1 + rest % 12, rest // 12
    born, rest = 1970 + rest % 20, rest // 20
    appointed_month, rest = 1 + rest % 12, rest // 12
    appointed = 2010 + rest % 15
    return f"{born:04d}{month:02d}{day:02d}{appointed:04d}{appointed_month:02d}1{serial:03d}"


def office(i: int) -> Office:
    """Office number ``i``."""
    return Office(code=f"OPD{i:04d}", name=f"Office {i}")


def people(n: int, *, first: int = 0, offices: int = 50) -> list[Participant]:
    """``n`` eligible participants (echelon III, years from retirement) over ``offices``."""
    registry = [office(i) for i in range(offices)]
    return [
        Participant(
            nip=nip(i),
            name=f"Peserta {i}",
            office=registry[i % offices],
            echelon="III.a",
        )
        for i in range(first, first + n)
    ]


def timed(fn: Callable[[], object]) -> float:
    """Seconds ``fn`` takes, after a full collection so earlier garbage is not billed."""
    gc.collect()
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def interleaved(
    contenders: dict[str, Callable[[int], float]],
    rounds: int,
    limits: dict[str, int] | None = None,
) -> dict[str, list[float]]:
    """Run each contender once per round, alternating the order; ``{name: [per round]}``.

    A contender is called with the round number and returns its own measurement (its
    setup is its own business and is not timed). ``limits`` caps the rounds of slow
    contenders that are read, not steered by.
    """
    names = list(contenders)
    caps = limits or {}
    runs: dict[str, list[float]] = {name: [] for name in names}
    for r in range(rounds):
        for name in names if r % 2 == 0 else reversed(names):
            if r < caps.get(name, rounds):
                runs[name].append(contenders[name](r))
    return runs


@dataclass
class Figure:
    """One measured quantity: its value in each round, in ``unit``."""

    key: str
    label: str
    unit: str
    runs: list[float]
    note: str = ""

    @property
    def median(self) -> float:
        """The median over rounds."""
        return statistics.median(self.runs)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-compatible dictionary."""
        return {
            "label": self.label,
            "unit": self.unit,
            "median": self.median,
            "min": min(self.runs),
            "max": max(self.runs),
            "rounds": len(self.runs),
            "runs": self.runs,
            "note": self.note,
        }

    def short(self) -> str:
        """``median unit``."""
        return f"{fmt(self.median)} {self.unit}"

    def text(self) -> str:
        """``median unit (min-max)``, or the single value for one round."""
        if len(self.runs) == 1:
            return f"{fmt(self.median)} {self.unit}"
        return (
            f"{fmt(self.median)} {self.unit} ({fmt(min(self.runs))}-{fmt(max(self.runs))}, "
            f"{len(self.runs)} rounds)"
        )


def fmt(value: float) -> str:
    """A number with three significant figures, thousands separated."""
    if value == 0:
        return "0"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    if abs(value) >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}"


@dataclass
class Results:
    """Every figure, target and note of one run."""

    figures: dict[str, Figure] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def add(self, key: str, label: str, unit: str, runs: list[float], note: str = "") -> Figure:
        """Record a figure (and return it)."""
        figure = self.figures[key] = Figure(key, label, unit, list(runs), note)
        print(f"  {label}: {figure.text()}", flush=True)
        return figure

    def note(self, text: str) -> None:
        """Record (and print) a note about the run."""
        self.notes.append(text)
        print(f"  note: {text}", flush=True)
