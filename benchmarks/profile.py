"""Profile one benchmark scenario: ``python -m benchmarks.profile SCENARIO``.

Scenarios: ``mem-fire``, ``mem-bulk``, ``sqlite-fire``, ``sqlite-bulk``, ``pg-fire``,
``pg-bulk`` (cProfile of the measured call, setup excluded; prints the top functions by
own time and by cumulative time) and ``status`` (``python -X importtime`` of
``changeflow status``: the slowest imports, cumulative).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import re
import subprocess
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchmarks import core, durable, process
from benchmarks.common import CODE, PATH, STAFF_ID, actor, clock, cohort, people
from benchmarks.runner import ROOT
from changeflow import Engine
from changeflow.store.sql import SqlStore

if TYPE_CHECKING:
    from collections.abc import Callable

SCENARIOS = ("mem-fire", "mem-bulk", "sqlite-fire", "sqlite-bulk", "pg-fire", "pg-bulk", "status")


def _profile(fn: Callable[[], object], top: int) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    fn()
    profiler.disable()
    for order in ("tottime", "cumulative"):
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(order)
        stats.print_stats(top)
        print(f"--- top {top} by {order}")
        print(out.getvalue().split("\n\n", 1)[-1].strip())


def _mem_fire(walks: int) -> Callable[[], object]:
    built, group = core.ready_to_graduate_path(walks)

    def run() -> None:
        for p in group:
            for event in PATH:
                built.fire(CODE, p.nip, event, actor=actor(event))

    return run


def _mem_bulk(n: int) -> Callable[[], object]:
    built = core.engine(n)
    group = people(n)
    for p in group:
        built.enrol(CODE, p, actor=STAFF_ID)
    built.advance(CODE, "start_class", actor=STAFF_ID)
    for p in group:
        built.register_project(CODE, p.nip, core.PROJECT, actor=STAFF_ID)
    return lambda: built.advance(CODE, "present_proposal", actor=STAFF_ID)


def _sql_engine(url: str, n: int) -> tuple[Engine, list[str]]:
    store = SqlStore(url)
    durable.seed(store, cohorts=1, per_cohort=n, offices=50, codes=[CODE])
    nips = [m[2] for m in durable.members(store.engine, CODE)]
    return Engine(store, clock=clock()), nips


def _fire(url: str, fires: int) -> Callable[[], object]:
    engine, nips = _sql_engine(url, fires)

    def run() -> None:
        for number in nips:
            engine.fire(CODE, number, "start_class", actor=STAFF_ID, key=f"fire-{number}")

    return run


def _bulk(url: str, n: int) -> Callable[[], object]:
    engine, _ = _sql_engine(url, n)
    return lambda: engine.advance(CODE, "start_class", actor=STAFF_ID)


_IMPORT = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)")


def _status(top: int, folder: Path) -> None:
    url = f"sqlite:///{folder / 'status.db'}"
    store = SqlStore(url)
    engine = Engine(store, clock=clock())
    engine.create_cohort(cohort(CODE, 30), actor=STAFF_ID)
    for person in people(30, offices=10):
        engine.enrol(CODE, person, actor=STAFF_ID)
    store.close()
    command = process.changeflow_command()
    if command[0] != sys.executable:
        command = [sys.executable, *command]
    done = subprocess.run(  # noqa: S603 - our own interpreter and console script
        [command[0], "-X", "importtime", *command[1:], "--db", url, "status", CODE],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    rows = []
    for line in done.stderr.splitlines():
        match = _IMPORT.match(line)
        if match and len(match.group(3)) <= 3:  # top-level imports and their direct children
            rows.append((int(match.group(2)), match.group(4)))
    total = sum(c for c, _ in rows if not _.count("."))
    print(f"--- slowest imports of `changeflow status` (cumulative us; top level sum {total})")
    for cumulative, name in sorted(rows, reverse=True)[:top]:
        print(f"{cumulative:>9}  {name}")


def main(argv: list[str] | None = None) -> None:
    """Profile the chosen scenario and print the top costs."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profile", description=__doc__)
    parser.add_argument("scenario", choices=SCENARIOS)
    parser.add_argument("--participants", type=int, default=100_000, help="bulk size")
    parser.add_argument("--fires", type=int, default=300, help="durable fires")
    parser.add_argument("--walks", type=int, default=1_000, help="in-memory walks")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args(argv)
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        url = f"sqlite:///{folder / 'profile.db'}"
        if args.scenario.startswith("pg-"):
            sys.path.insert(0, str(ROOT / "tests"))
            from postgres_server import find_pg_bin, managed_server  # noqa: PLC0415

            bin_dir = find_pg_bin()
            if bin_dir is None:
                raise SystemExit("no PostgreSQL binaries (make postgres)")
            server: Any = stack.enter_context(managed_server(bin_dir))
            url = server.create_database("profile")
        scenario = args.scenario.split("-")[-1]
        if args.scenario == "status":
            _status(args.top, folder)
            return
        if args.scenario == "mem-fire":
            run = _mem_fire(args.walks)
        elif args.scenario == "mem-bulk":
            run = _mem_bulk(args.participants)
        elif scenario == "fire":
            run = _fire(url, args.fires)
        else:
            run = _bulk(url, args.participants)
        _profile(run, args.top)


if __name__ == "__main__":
    main()
