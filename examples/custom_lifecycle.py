"""A custom lifecycle loaded from TOML, with its own rule pack; the cohort keeps it.

The supervisor course admits echelon IV (pengawas) officials, so it registers its own rank
rule and pins its cohort's parameters (three years to retirement, one per office).

Creating a cohort stores its lifecycle definition with it. Later, a fresh engine on the
same database, given no lifecycle at all, runs the cohort on the supervisor course (its
events, its states); an engine that lacks the course's rule, or insists on another
lifecycle, gets a typed error instead of a wrong answer.

The course's definition says nothing of who may do what (no ``by``, no ``permissions``), so
its cohorts accept any actor, as every cohort did before permissions; each command here
still names its actor (``ACTOR``) for the audit trail. Add ``by = ["organiser"]`` to a
transition of the TOML to restrict it (see docs/concepts.md).

Run it with ``python examples/custom_lifecycle.py`` (it works in a temporary directory).
"""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path

from changeflow import (
    DEFAULT_LIFECYCLE,
    ChangeProject,
    Cohort,
    CohortParameters,
    DefinitionMismatch,
    Engine,
    Mentor,
    MissingRules,
    Office,
    Participant,
    RuleRegistry,
    TransitionRejected,
    load_definition,
)
from changeflow.rules import Rank
from changeflow.store.sql import SqlStore

HERE = Path(__file__).resolve().parent
CODE = "PKP-2024-II"
ACTOR = "BKD"  # the regency's personnel agency, organising the course
RINA = Participant(
    nip="198504122010012004",
    name="Rina",
    office=Office(code="DISHUB", name="Dinas Perhubungan"),
    echelon="IV.a",
)


def supervisor_rules() -> RuleRegistry:
    """The default rules plus the course's own rank rule."""
    rules = RuleRegistry.default()
    rules.register("supervisor_rank", Rank())  # judged against the cohort's eligible_ranks
    return rules


def create(url: str) -> None:
    """Create the cohort on the supervisor course and enrol it; the store keeps the course."""
    rules = supervisor_rules()
    definition = load_definition(HERE / "supervisor_course.toml", rules)
    with Engine(SqlStore(url), lifecycle=definition, rules=rules) as engine:
        engine.create_cohort(
            Cohort(
                code=CODE,
                name="PKP angkatan II 2024",
                start=date(2024, 8, 1),
                end=date(2024, 10, 31),
                capacity=20,
                parameters=CohortParameters(
                    eligible_ranks=frozenset({"IV.a", "IV.b", "pengawas"}),
                    min_years_to_retirement=3,
                    max_per_office=1,
                ),
            ),
            actor=ACTOR,
        )
        engine.enrol(CODE, RINA, actor=ACTOR)
        try:
            engine.enrol(
                CODE,
                Participant(
                    nip="198811302012011005", name="Yoga", office=RINA.office, echelon="IV.b"
                ),
                actor=ACTOR,
            )
        except TransitionRejected as refused:
            print("Yoga refused:", refused.codes)


def resume(url: str) -> dict[str, int]:
    """A fresh engine, given no lifecycle: the cohort runs the course it was created on."""
    with Engine(SqlStore(url), rules=supervisor_rules()) as engine:
        pinned = engine.pinned(CODE)
        assert pinned is not None
        print(f"cohort {CODE} runs {pinned.name} {pinned.version} ({pinned.sha256[:12]})")
        print("its events:", engine.lifecycle_of(CODE).definition.events)
        engine.fire(CODE, RINA.nip, "start_class", actor=ACTOR)
        print("Rina is", engine.state(CODE, RINA.nip))  # in_class: the course's own state
        engine.register_project(
            CODE,
            RINA.nip,
            ChangeProject(
                title="Uji KIR daring", theme="perhubungan", mentor=Mentor(name="Kepala Dishub")
            ),
            actor=ACTOR,
        )
        engine.fire(CODE, RINA.nip, "start_project", actor=ACTOR)
        engine.record_assessment(CODE, RINA.nip, 84, actor="penguji")
        engine.fire(CODE, RINA.nip, "pass", actor="penguji")
        counts = {state: n for state, n in engine.status(CODE).by_state.items() if n}
        print(counts)
        print("verified:", engine.verify(CODE)[0].ok)
        return counts


def refuse_the_wrong_engines(url: str) -> None:
    """Without the course's rule, or with another lifecycle, the cohort is not run."""
    with Engine(SqlStore(url)) as engine:  # the default rules only
        try:
            engine.fire(CODE, RINA.nip, "withdraw", actor=ACTOR, reason="moved to another course")
        except MissingRules as missing:
            print("MissingRules:", missing.rules)
        else:
            raise AssertionError("an engine without supervisor_rank must not run the cohort")
    with Engine(SqlStore(url), lifecycle=DEFAULT_LIFECYCLE) as engine:
        try:
            engine.fire(CODE, RINA.nip, "withdraw", actor=ACTOR, reason="moved to another course")
        except DefinitionMismatch as mismatch:
            stored = mismatch.stored
            print("DefinitionMismatch: pinned to", stored.name if stored else None)
        else:
            raise AssertionError("an engine on another lifecycle must not run the cohort")


def main() -> dict[str, int]:
    """Run the example; returns the cohort's headcount per state (states with anyone)."""
    with tempfile.TemporaryDirectory() as work:
        url = f"sqlite:///{Path(work) / 'supervisors.db'}"
        create(url)
        counts = resume(url)
        refuse_the_wrong_engines(url)
    return counts


if __name__ == "__main__":
    main()
