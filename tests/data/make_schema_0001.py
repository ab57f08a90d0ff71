"""Build ``schema_0001.sqlite``: a database written by changeflow 0.1.0 at schema revision 0001.

The upgrade tests open that file with the current changeflow, so it must stay as the old
release wrote it. It was built once, with changeflow at commit ``a754df4`` (the last commit
whose schema is 0001)::

    git worktree add /tmp/cf-0001 a754df4
    cd /tmp/cf-0001 && python -m venv .venv && .venv/bin/pip install -e .
    .venv/bin/python /path/to/tests/data/make_schema_0001.py /path/to/tests/data/schema_0001.sqlite

Running it with a newer changeflow would write a newer schema: the file is data, not a build
product. What it holds: the whole 2019 demo cohort (projects, scores, groups, a revision, a
withdrawal, refusals, graduations and a fail); a second cohort with idempotency keys, payloads
and non-ASCII text, an effective date and a refused keyed fire; an empty cohort; and a cohort
run on the supervisor-course lifecycle of ``examples/`` (states the default lifecycle lacks).
"""

from __future__ import annotations

import contextlib
import sys
from datetime import UTC, date, datetime
from pathlib import Path

from changeflow import (
    Assessment,
    ChangeProject,
    Cohort,
    CohortParameters,
    Engine,
    FixedClock,
    Lifecycle,
    Mentor,
    Office,
    Participant,
    RuleRegistry,
    TransitionRejected,
    load_definition,
)
from changeflow.demo import run
from changeflow.rules import Rank
from changeflow.store.sql import SqlStore

HERE = Path(__file__).resolve().parent
SUPERVISOR = HERE.parent.parent / "examples" / "supervisor_course.toml"


def _second_cohort(engine: Engine) -> None:
    code = "PKA-II-2020"
    engine.create_cohort(
        Cohort(
            code=code,
            name="PKA angkatan II 2020 — Kabupaten Probolinggo",
            start=date(2020, 3, 2),
            end=date(2020, 7, 31),
            capacity=4,
            parameters=CohortParameters(max_per_office=1),
        )
    )
    rsud = Office(code="RSUD", name="Rumah Sakit Umum Daerah dr. Mohamad Saleh")
    bappeda = Office(code="BAPPEDA", name="Badan Perencanaan Pembangunan Daerah")
    ani = Participant(nip="198002142005012003", name="Ani Rahmawati", office=rsud, echelon="III.a")
    eko = Participant(nip="197911302006041002", name="Eko Ṡaputra", office=bappeda, echelon="III.b")
    dup = Participant(nip="198107072006042001", name="Dina", office=rsud, echelon="III.a")
    engine.enrol(code, ani, actor="BKD", key="enrol-ani")
    engine.enrol(code, eko, actor="BKD", payload={"surat": "800/123/426.302/2020", "ñ": [1, 2]})
    with contextlib.suppress(TransitionRejected):  # a second person from RSUD
        engine.enrol(code, dup, actor="BKD", key="enrol-dina")
    engine.advance(code, "start_class", actor="BKD", key="start-2020")
    engine.register_project(
        code,
        ani.nip,
        ChangeProject(
            title="Rekam medis elektronik",
            theme="kesehatan",
            mentor=Mentor(name="dr. Anang", nip="196805121995031002", position="Direktur"),
        ),
    )
    engine.fire(code, ani.nip, "present_proposal", actor="BKD", key="ani-proposal")
    with contextlib.suppress(TransitionRejected):  # no change project yet
        engine.fire(code, eko.nip, "present_proposal", actor="BKD", key="eko-proposal")
    engine.fire(
        code,
        eko.nip,
        "drop",
        actor="BKD",
        reason="tidak memenuhi kehadiran (3 hari)",
        effective_date=date(2020, 3, 20),
    )
    engine.record_assessment(code, ani.nip, Assessment(score=88.5))


def _supervisor_cohort(engine: Engine, store: SqlStore) -> None:
    rules = RuleRegistry.default()
    rules.register("supervisor_rank", Rank())
    definition = load_definition(SUPERVISOR, rules)
    custom = Engine(store, lifecycle=Lifecycle(definition, rules), rules=rules, clock=engine.clock)
    code = "PKP-2024-II"
    custom.create_cohort(
        Cohort(
            code=code,
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
    custom.enrol(code, rina, actor="BKD")
    custom.fire(code, rina.nip, "start_class", actor="BKD")
    custom.register_project(
        code,
        rina.nip,
        ChangeProject(title="Terminal tertib", theme="perhubungan", mentor=Mentor(name="Kadishub")),
    )
    custom.fire(code, rina.nip, "start_project", actor="BKD")
    custom.record_assessment(code, rina.nip, 91)
    custom.fire(code, rina.nip, "pass", actor="penguji")


def main(target: Path) -> None:
    """Write the fixture database at ``target`` (which must not exist)."""
    if target.exists():
        raise SystemExit(f"{target} exists; remove it first")
    store = SqlStore(f"sqlite:///{target}")
    engine = Engine(store, clock=FixedClock(datetime(2019, 4, 1, 8, tzinfo=UTC)))
    run(say=lambda _text: None, engine=engine)
    engine.clock.set(datetime(2020, 3, 2, 8, tzinfo=UTC))  # type: ignore[attr-defined]
    _second_cohort(engine)
    engine.create_cohort(
        Cohort(code="EMPTY-1", name="Empty cohort", start=date(2021, 1, 4), end=date(2021, 3, 31))
    )
    engine.clock.set(datetime(2024, 8, 1, 8, tzinfo=UTC))  # type: ignore[attr-defined]
    _supervisor_cohort(engine, store)
    checks = engine.verify()
    assert all(c.ok for c in checks), checks
    store.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
