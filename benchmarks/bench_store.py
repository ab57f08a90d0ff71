"""Durable figures: changeflow's SQL store against bare SQLAlchemy Core, on the same database.

Run it with ``.venv/bin/python benchmarks/bench_store.py [--participants 100000]``.
PostgreSQL runs on a throwaway server started like the test suite's (fsync off there, for
both sides alike); pass ``--no-postgres`` to skip it.
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine as SaEngine
from sqlalchemy import create_engine, insert, text

from changeflow import Cohort, CohortParameters, Engine, FixedClock, Office
from changeflow.audit import GENESIS
from changeflow.store.sql import SqlStore
from changeflow.store.sql.tables import CohortOfficeRow, EnrolmentRow, OfficeRow

CODE = "BENCH"
START = date(2019, 4, 4)
OFFICES = 50


def _nip(i: int) -> str:
    return (
        f"{1970 + i % 20:04d}0101{2000 + i // 1000 % 20:04d}{1 + i // 20000 % 9:02d}1{i % 1000:03d}"
    )


def _seed(store: SqlStore, n: int) -> list[str]:
    """A cohort of n enrolled participants, loaded directly (the setup is not measured)."""
    Engine(store).create_cohort(
        Cohort(
            code=CODE,
            name="benchmark",
            start=START,
            end=date(2019, 7, 19),
            capacity=n,
            parameters=CohortParameters(max_per_office=n),
        )
    )
    nips = [_nip(i) for i in range(n)]
    with store.engine.begin() as connection:
        cohort_id = connection.execute(text("SELECT id FROM cohorts")).scalar_one()
        offices = [Office(code=f"OPD{i:03d}", name=f"Office {i}") for i in range(OFFICES)]
        connection.execute(insert(OfficeRow), [o.model_dump() for o in offices])
        connection.execute(
            insert(EnrolmentRow),
            [
                {
                    "cohort_id": cohort_id,
                    "nip": nip,
                    "name": f"P{i}",
                    "office_code": f"OPD{i % OFFICES:03d}",
                    "echelon": "III.a",
                    "birth_date": date(1970 + i % 20, 1, 1),
                    "retirement_age": None,
                    "state": "enrolled",
                    "version": 1,
                    "revisions": 0,
                    "active": True,
                    "seated": True,
                    "completed": False,
                    "group_no": None,
                }
                for i, nip in enumerate(nips)
            ],
        )
        connection.execute(
            insert(CohortOfficeRow),
            [
                {"cohort_id": cohort_id, "office_code": f"OPD{i:03d}", "seated": n // OFFICES}
                for i in range(OFFICES)
            ],
        )
        connection.execute(
            text("UPDATE cohorts SET seated = :n, chain_hash = :h"), {"n": n, "h": GENESIS}
        )
    return nips


def _bare_tables(url: str, n: int) -> SaEngine:
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        with engine.connect() as c:  # the same journal as changeflow's SQLite files
            c.exec_driver_sql("PRAGMA journal_mode=WAL")
    with engine.begin() as c:
        c.exec_driver_sql("CREATE TABLE p (id INTEGER PRIMARY KEY, state VARCHAR(64), version INT)")
        c.exec_driver_sql(
            "CREATE TABLE a (id INTEGER PRIMARY KEY, pid INT, seq INT, event VARCHAR(64), "
            "at VARCHAR(40), hash VARCHAR(64))"
        )
        c.execute(
            text("INSERT INTO p (id, state, version) VALUES (:i, 'enrolled', 1)"),
            [{"i": i} for i in range(n)],
        )
    return engine


_UPDATE = text("UPDATE p SET state = 'on_class', version = version + 1 WHERE id = :i")
_INSERT = text(
    "INSERT INTO a (id, pid, seq, event, at, hash) VALUES (:i, :i, :i, 'start_class', :at, :h)"
)


def _bare_loop(engine: SaEngine, ids: range) -> float:
    at = datetime.now(UTC).isoformat()
    with engine.connect() as c:
        if engine.dialect.name == "sqlite":
            c.exec_driver_sql("PRAGMA synchronous=FULL")
        t0 = time.perf_counter()
        for i in ids:
            c.execute(_UPDATE, {"i": i})
            c.execute(_INSERT, {"i": i, "at": at, "h": "0" * 64})
            c.commit()
        return time.perf_counter() - t0


def _bare_many(engine: SaEngine, ids: range) -> float:
    at = datetime.now(UTC).isoformat()
    with engine.connect() as c:
        t0 = time.perf_counter()
        c.execute(_UPDATE, [{"i": i} for i in ids])
        c.execute(_INSERT, [{"i": i, "at": at, "h": "0" * 64} for i in ids])
        c.commit()
        return time.perf_counter() - t0


def measure(name: str, ours_url: str, bare_url: str, n: int, fires: int) -> dict[str, Any]:
    """Fire throughput and one bulk advance, ours and bare, on one backend."""
    store = SqlStore(ours_url)
    try:
        nips = _seed(store, n)
        engine = Engine(store, clock=FixedClock(datetime(2019, 4, 4, tzinfo=UTC)))
        bare = _bare_tables(bare_url, n)
        gc.collect()
        t0 = time.perf_counter()
        for nip in nips[:fires]:
            engine.fire(CODE, nip, "start_class")
        t_fire = (time.perf_counter() - t0) / fires
        t_bare_fire = _bare_loop(bare, range(fires)) / fires
        gc.collect()
        t0 = time.perf_counter()
        report = engine.advance(CODE, "start_class")
        t_advance = time.perf_counter() - t0
        t_bare_many = _bare_many(bare, range(fires, n))
        if len(report.accepted) != n - fires:
            raise RuntimeError(f"advanced {len(report.accepted)} of {n - fires}")
        bare.dispose()
    finally:
        store.close()
    return {
        "backend": name,
        "fire_us": t_fire * 1e6,
        "bare_fire_us": t_bare_fire * 1e6,
        "fire_throughput_ratio": t_bare_fire / t_fire,
        "advance_s": t_advance,
        "bare_executemany_s": t_bare_many,
        "advance_ratio": t_advance / t_bare_many,
        "advanced": n - fires,
    }


def main() -> None:
    """Print the figures for SQLite and PostgreSQL."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--participants", type=int, default=100_000)
    parser.add_argument("--fires", type=int, default=1_000)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    results = []
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        results.append(
            measure(
                "sqlite",
                f"sqlite:///{folder / 'ours.db'}",
                f"sqlite:///{folder / 'bare.db'}",
                args.participants,
                args.fires,
            )
        )
        if not args.no_postgres:
            sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
            from postgres_server import find_pg_bin, managed_server  # noqa: PLC0415

            bin_dir = find_pg_bin()
            if bin_dir is None:
                print("PostgreSQL binaries not found: skipped (scripts/ensure-postgres)")
            else:
                server = stack.enter_context(managed_server(bin_dir))
                results.append(
                    measure(
                        "postgresql",
                        server.create_database("ours"),
                        server.create_database("bare"),
                        args.participants,
                        args.fires,
                    )
                )
    for r in results:
        print(
            f"{r['backend']:<10} fire {r['fire_us']:8.0f} us vs bare Core UPDATE+INSERT+COMMIT "
            f"{r['bare_fire_us']:6.0f} us -> throughput {r['fire_throughput_ratio']:.2f}x | "
            f"advance {r['advanced']:,} in one call {r['advance_s']:6.2f} s vs bare executemany "
            f"{r['bare_executemany_s']:5.2f} s -> {r['advance_ratio']:.2f}x"
        )


if __name__ == "__main__":
    main()
