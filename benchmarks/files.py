"""Command-line figures on many rows: a roster, a scores file, a cohort advanced (8c-8e).

changeflow's side is the whole ``changeflow enrol --csv`` / ``changeflow assess --csv`` /
``changeflow advance`` process on an SQLite file, every row judged by the rules and audited;
the anchor is :mod:`benchmarks.bare_files`, also a whole process, writing the same rows with
stdlib ``sqlite3``. Each round starts from a fresh copy of a prepared database (not timed).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from benchmarks.common import CODE, STAFF_ID, clock, cohort, interleaved, people
from benchmarks.durable import seeded
from benchmarks.process import changeflow_command
from changeflow import Engine
from changeflow.store.sql import SqlStore

if TYPE_CHECKING:
    from benchmarks.common import Results

_ROOT = Path(__file__).resolve().parent.parent


def _timed(command: list[str]) -> float:
    """Seconds ``command`` took; its failure stops the benchmark with its stderr."""
    t0 = time.perf_counter()
    done = subprocess.run(  # noqa: S603 - our own interpreter and console script
        command, capture_output=True, check=False, timeout=3600, cwd=_ROOT
    )
    seconds = time.perf_counter() - t0
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited {done.returncode}: {done.stderr[-800:]!r}")
    return seconds


def _fresh(template: Path, target: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        (target.parent / f"{target.name}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(template, target)


def roster(results: Results, folder: Path, rows: int, rounds: int) -> None:
    """Target 8c: ``changeflow enrol --csv`` of ``rows`` nominations against bare sqlite3."""
    template = folder / "roster-template.db"
    store = SqlStore(f"sqlite:///{template}")
    try:
        Engine(store, clock=clock()).create_cohort(cohort(CODE, rows), actor=STAFF_ID)
    finally:
        store.close()
    data = folder / "roster.csv"
    with data.open("w", encoding="utf-8") as file:
        file.write("nip,name,office,echelon\n")
        for person in people(rows):
            file.write(f"{person.nip},{person.name},{person.office.name},{person.echelon}\n")
    ours = ["enrol", CODE, "--csv", str(data), "--actor", STAFF_ID, "--json"]
    runs = _rounds(folder, "roster", template, data, ours, rounds)
    results.add(
        "cli.roster.ours",
        f"`changeflow enrol --csv`, {rows:,} rows, whole process",
        "s",
        runs["ours"],
    )
    results.add(
        "cli.roster.bare",
        f"bare sqlite3 executemany of the same {rows:,} enrolment and audit rows, whole process",
        "s",
        runs["bare"],
    )


def scores(results: Results, folder: Path, rows: int, rounds: int) -> None:
    """Target 8d: ``changeflow assess --csv`` of ``rows`` scores against bare sqlite3."""
    template = folder / "scores-template.db"
    seeded(f"sqlite:///{template}", cohorts=1, per_cohort=rows, codes=[CODE])
    data = folder / "scores.csv"
    with data.open("w", encoding="utf-8") as file:
        file.write("nip,score\n")
        for i, person in enumerate(people(rows)):
            file.write(f"{person.nip},{70 + i % 30}\n")
    ours = ["assess", CODE, "--csv", str(data), "--actor", STAFF_ID, "--json"]
    runs = _rounds(folder, "scores", template, data, ours, rounds)
    results.add(
        "cli.scores.ours",
        f"`changeflow assess --csv`, {rows:,} rows, whole process",
        "s",
        runs["ours"],
    )
    results.add(
        "cli.scores.bare",
        f"bare sqlite3 executemany of the same {rows:,} score and audit rows, whole process",
        "s",
        runs["bare"],
    )


def advance(results: Results, folder: Path, rows: int, rounds: int) -> None:
    """Target 8e: ``changeflow advance`` of a ``rows``-participant cohort against bare sqlite3."""
    template = folder / "advance-template.db"
    seeded(f"sqlite:///{template}", cohorts=1, per_cohort=rows, codes=[CODE])
    # The anchor's database holds the same participants, on the lean two-table schema.
    lean = folder / "advance-lean.db"
    lean.unlink(missing_ok=True)
    _timed([sys.executable, "-m", "benchmarks.bare_files", "prepare", str(lean), str(rows)])
    ours = ["advance", CODE, "start_class", "--actor", STAFF_ID, "--json"]
    runs = _rounds(folder, "advance", template, Path("-"), ours, rounds, bare_template=lean)
    results.add(
        "cli.advance.ours",
        f"`changeflow advance` of a {rows:,}-participant cohort one step, whole process",
        "s",
        runs["ours"],
    )
    results.add(
        "cli.advance.bare",
        f"bare sqlite3 executemany of the same {rows:,} state updates and audit rows, "
        "whole process",
        "s",
        runs["bare"],
    )


def _rounds(
    folder: Path,
    kind: str,
    template: Path,
    data: Path,
    ours: list[str],
    rounds: int,
    bare_template: Path | None = None,
) -> dict[str, list[float]]:
    mine, bare = folder / f"{kind}-ours.db", folder / f"{kind}-bare.db"

    def run_ours(_round: int) -> float:
        _fresh(template, mine)
        return _timed([*changeflow_command(), "--db", f"sqlite:///{mine}", *ours])

    def run_bare(_round: int) -> float:
        if bare_template is None:
            for suffix in ("", "-wal", "-shm"):
                (folder / f"{bare.name}{suffix}").unlink(missing_ok=True)
        else:
            _fresh(bare_template, bare)
        return _timed([sys.executable, "-m", "benchmarks.bare_files", kind, str(bare), str(data)])

    return interleaved({"ours": run_ours, "bare": run_bare}, rounds)
