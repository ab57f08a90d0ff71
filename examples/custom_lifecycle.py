"""A custom lifecycle loaded from TOML, with its own rule pack.

The supervisor course admits echelon IV (pengawas) officials, so it registers its own rank
rule and pins its cohort's parameters (three years to retirement, one per office).

Run it with ``python examples/custom_lifecycle.py``.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from changeflow import (
    ChangeProject,
    Cohort,
    CohortParameters,
    Engine,
    Lifecycle,
    Mentor,
    Office,
    Participant,
    RuleRegistry,
    TransitionRejected,
    load_definition,
)
from changeflow.rules import Rank

HERE = Path(__file__).resolve().parent


def main() -> dict[str, int]:
    """Run the example; returns the cohort's headcount per state."""
    rules = RuleRegistry.default()
    rules.register("supervisor_rank", Rank())  # judged against the cohort's eligible_ranks
    definition = load_definition(HERE / "supervisor_course.toml", rules)
    engine = Engine(lifecycle=Lifecycle(definition, rules), rules=rules)
    engine.create_cohort(
        Cohort(
            code="PKP-2024-II",
            name="PKP angkatan II 2024",
            start=date(2024, 8, 1),
            end=date(2024, 10, 31),
            capacity=20,
            parameters=CohortParameters(
                eligible_ranks=frozenset({"IV.a", "IV.b", "pengawas"}),
                min_years_to_retirement=3,
                max_per_office=1,
            ),
        )
    )
    dishub = Office(code="DISHUB", name="Dinas Perhubungan")
    rina = Participant(nip="198504122010012004", name="Rina", office=dishub, echelon="IV.a")
    engine.enrol("PKP-2024-II", rina)
    try:
        engine.enrol(
            "PKP-2024-II",
            Participant(nip="198811302012011005", name="Yoga", office=dishub, echelon="IV.b"),
        )
    except TransitionRejected as refused:
        print("Yoga refused:", refused.codes)
    engine.fire("PKP-2024-II", rina.nip, "start_class")
    engine.register_project(
        "PKP-2024-II",
        rina.nip,
        ChangeProject(
            title="Uji KIR daring", theme="perhubungan", mentor=Mentor(name="Kepala Dishub")
        ),
    )
    engine.fire("PKP-2024-II", rina.nip, "start_project")
    engine.record_assessment("PKP-2024-II", rina.nip, 84)
    engine.fire("PKP-2024-II", rina.nip, "pass")
    counts = dict(engine.status("PKP-2024-II").by_state)
    print(counts)
    return counts


if __name__ == "__main__":
    main()
