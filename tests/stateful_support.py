"""What the two state machines share: a second lifecycle, migrations and corrections.

``tests/test_engine_stateful.py`` (engine against a hand-written reference) and
``tests/store/test_sql_stateful.py`` (SQL store against the memory store) both migrate
cohorts between the default lifecycle and :data:`LIFECYCLES` ``[WORKSHOP]``, the default
with ``laboratory`` renamed ``workshop``, and both try the same person corrections.
"""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import strategies as st

from changeflow import LifecycleDefinition, Participant
from changeflow.states.default import DEFAULT_LIFECYCLE

__all__ = [
    "BIRTH_CORRECTIONS",
    "CORRECTED_ECHELONS",
    "CORRECTED_NAMES",
    "CORRECTION_REASONS",
    "DEFAULT",
    "LAB",
    "LIFECYCLES",
    "MIGRATIONS",
    "WORKSHOP",
    "corrected_birth",
    "migration",
    "renamed",
]

DEFAULT, WORKSHOP = "default", "workshop"
LAB = {DEFAULT: "laboratory", WORKSHOP: "workshop"}
"""The off-class stage's name in each lifecycle a cohort may run."""


def renamed(definition: LifecycleDefinition, old: str, new: str) -> LifecycleDefinition:
    """``definition`` with state ``old`` called ``new`` everywhere (a new version)."""

    def rename(state: str) -> str:
        return new if state == old else state

    document = definition.document()
    document["version"] = f"{document['version']}-{new}"
    document["initial"] = rename(document["initial"])
    document["states"] = [{**s, "name": rename(s["name"])} for s in document["states"]]
    document["transitions"] = [
        {**t, "source": [rename(s) for s in t["source"]], "dest": rename(t["dest"])}
        for t in document["transitions"]
    ]
    return LifecycleDefinition.model_validate(document)


LIFECYCLES = {
    DEFAULT: DEFAULT_LIFECYCLE,
    WORKSHOP: renamed(DEFAULT_LIFECYCLE, LAB[DEFAULT], LAB[WORKSHOP]),
}
"""The lifecycles cohorts migrate between, by name."""

MIGRATIONS = st.sampled_from(("rename", "none", "unknown", "shift"))
"""How a migration maps the off-class stage: renamed, not at all, to nothing, to seminar."""


def migration(current: str, other: bool, how: str) -> tuple[str, dict[str, str]]:
    """The lifecycle a cohort running ``current`` migrates to, and the state map it gives.

    ``other`` false migrates to the definition the cohort already runs (refused).
    """
    target = ({DEFAULT, WORKSHOP} - {current}).pop() if other else current
    mapping = {
        "rename": {LAB[current]: LAB[target]},
        "none": {},
        "unknown": {LAB[current]: "ruang_kerja"},
        "shift": {LAB[current]: "seminar"},
    }[how]
    return target, mapping


CORRECTION_REASONS = st.sampled_from(("salah input", "salah input", "SK mutasi", None, "  "))
"""Reasons for corrections: mostly given, so that they get past ``reason_required``."""
CORRECTED_NAMES = st.sampled_from((None, "Siti Aminah", "  Siti Aminah  ", "", "Rina\nPutri"))
"""Name corrections: valid, valid once trimmed, empty and with a line break (both invalid)."""
CORRECTED_ECHELONS = st.sampled_from((None, "III.b", " IV.a ", "administrator", "VI.c"))
"""Echelon corrections; ``VI.c`` is no echelon at all."""
BIRTH_CORRECTIONS = st.sampled_from((None, "the NIP's", "another"))
"""A birth date correction: none, the one the NIP encodes (no change), or another (invalid)."""


def corrected_birth(person: Participant, how: str | None) -> date | None:
    """The birth date a correction gives (see :data:`BIRTH_CORRECTIONS`)."""
    if how is None:
        return None
    return person.born + timedelta(days=0 if how == "the NIP's" else 1)
