"""Build ``schema_0003.sqlite``: a database written by changeflow at schema revision 0003.

The upgrade tests open that file with the current changeflow, so it must stay as that
release wrote it. It was built once, with changeflow at commit ``228d9db`` (the last commit
whose schema is 0003; its default lifecycle is version 3, which names no roles)::

    git worktree add /tmp/cf-0003 228d9db
    PYTHONPATH=/tmp/cf-0003/src python tests/data/make_schema_0003.py tests/data/schema_0003.sqlite

(with the dependencies of that commit installed). What it holds: the whole 2019 demo cohort
of that release (its schedule with the benchmarking visit, attendance, projects, scores,
groups, a revision, a withdrawal, refusals, graduations, a fail and a correction, every
command by a free-text actor), and a second cohort with an idempotency key, a payload and a
participant in class.
"""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime
from pathlib import Path

from changeflow import Cohort, Engine, FixedClock, Office, Participant
from changeflow.demo import run
from changeflow.store.sql import HEAD, SqlStore


def main(target: Path) -> None:
    """Write the fixture at ``target`` (which must not exist)."""
    if target.exists():
        raise SystemExit(f"{target} exists: the fixture is data, not rebuilt in place")
    if HEAD != "0003":
        raise SystemExit(f"this changeflow writes schema {HEAD}, not 0003")
    store = SqlStore(f"sqlite:///{target}")
    try:
        engine = Engine(store, clock=FixedClock(datetime(2019, 4, 1, 8, tzinfo=UTC)))
        run(say=lambda _line: None, engine=engine)
        engine.create_cohort(
            Cohort(
                code="PKA-II-2020",
                name="PKA II 2020",
                start=date(2020, 3, 2),
                end=date(2020, 7, 17),
            ),
            actor="BKD",
        )
        office = Office(code="BAPPEDA", name="Badan Perencanaan Pembangunan Daerah")
        person = Participant(nip="198001012005011001", name="Rina", office=office, echelon="III.b")
        engine.enrol("PKA-II-2020", person, actor="BKD", payload={"letter": "800/1/2020"})
        engine.fire("PKA-II-2020", person.nip, "start_class", actor="BKD", key="rina-start")
    finally:
        store.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
