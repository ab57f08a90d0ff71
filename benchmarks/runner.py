"""The benchmark runner: every figure, the targets judged on them, a table and a JSON file.

``make bench`` runs ``python -m benchmarks``; ``--quick`` is the tiny version the test
suite runs so the suite cannot rot. Targets are goals for the code: a MISS is reported,
never raised. On a shared, noisy 2-core machine absolute times are for reading; the
ratios (medians of interleaved rounds) are what to steer by.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchmarks import board, core, durable, files, process
from benchmarks.common import Results, fmt

if TYPE_CHECKING:
    from collections.abc import Sequence

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
SCHEMA_VERSION = 1


@dataclass
class Target:
    """One target of the issue, judged on this run's figures."""

    id: str
    title: str
    goal: str
    changeflow: str
    anchor: str
    ratio: float | None
    ratio_min: float | None
    ratio_max: float | None
    limit: float | None
    comparison: str
    status: str

    @property
    def ratio_text(self) -> str:
        """``1.23x (1.10-1.40)``, or the bare value for a target that is no ratio."""
        if self.ratio is None:
            return "-"
        unit = {"<=x": "x", ">=x": "x", "<=B": " B", "<=ms": " ms"}.get(self.comparison, "")
        text = f"{fmt(self.ratio)}{unit}"
        if (
            self.ratio_min is not None
            and self.ratio_max is not None
            and (self.ratio_min != self.ratio_max)
        ):
            text += f" ({fmt(self.ratio_min)}-{fmt(self.ratio_max)})"
        return text


def _judge(value: float, limit: float, comparison: str) -> str:
    ok = value <= limit if comparison.startswith("<=") else value >= limit
    return "PASS" if ok else "MISS"


def _ratio(
    results: Results, ours: str, anchor: str, *, throughput: bool = False
) -> tuple[float, float, float] | None:
    """Median ratio and the min-max of per-round ratios (rounds are paired)."""
    a, b = results.figures.get(ours), results.figures.get(anchor)
    if a is None or b is None:
        return None
    if throughput:  # higher is better: anchor time over ours
        per_round = [y / x for x, y in zip(a.runs, b.runs, strict=False)]
        return b.median / a.median, min(per_round), max(per_round)
    per_round = [x / y for x, y in zip(a.runs, b.runs, strict=False)]
    return a.median / b.median, min(per_round), max(per_round)


def _target(
    results: Results,
    spec: tuple[str, str, str],
    keys: tuple[str, str],
    limit: float,
    comparison: str,
    *,
    throughput: bool = False,
    skipped: str = "",
) -> Target:
    ident, title, goal = spec
    ours, anchor = results.figures.get(keys[0]), results.figures.get(keys[1])
    found = _ratio(results, *keys, throughput=throughput)
    if found is None or ours is None or anchor is None:
        return Target(
            ident,
            title,
            goal,
            "-",
            "-",
            None,
            None,
            None,
            limit,
            comparison,
            f"SKIP ({skipped or 'not measured'})",
        )
    value, low, high = found
    return Target(
        ident,
        title,
        goal,
        ours.short(),
        anchor.short(),
        value,
        low,
        high,
        limit,
        comparison,
        _judge(value, limit, comparison),
    )


def targets(
    results: Results,
    help_imports: list[str] | None,
    pg_skip: str,
    scale: tuple[int, int] = (1_000, 1_000_000),
) -> list[Target]:
    """Judge every target of the issue on this run's figures (``scale``: stored, few/many)."""
    found = [
        _target(
            results,
            ("1", "in-memory fire, per transition", "<= 1.0x a bare transitions trigger"),
            ("mem.fire.ours", "mem.fire.transitions"),
            1.0,
            "<=x",
        ),
        _target(
            results,
            ("2", "in-memory bulk advance, one step", "<= 0.5x as many bare triggers"),
            ("mem.bulk.ours", "mem.bulk.transitions"),
            0.5,
            "<=x",
        ),
    ]
    memory = results.figures.get("mem.memory.ours")
    attached = results.figures.get("mem.memory.transitions")
    found.append(
        Target(
            "3",
            "in-memory bytes per participant",
            "<= 2 KB (2,048 B)",
            memory.short() if memory else "-",
            f"{attached.short()} per transitions model" if attached else "-",
            memory.median if memory else None,
            None,
            None,
            2048,
            "<=B",
            _judge(memory.median, 2048, "<=") if memory else "SKIP (not measured)",
        )
    )
    found += [
        _target(
            results,
            ("4", "durable fire on SQLite, throughput", ">= 0.6x a bare Core loop"),
            ("sqlite.fire.ours", "sqlite.fire.core"),
            0.6,
            ">=x",
            throughput=True,
        ),
        _target(
            results,
            ("5", "durable bulk advance on SQLite", "<= 1.0x bare Core executemany"),
            ("sqlite.bulk.ours", "sqlite.bulk.core"),
            1.0,
            "<=x",
        ),
        _target(
            results,
            ("5s", "durable bulk advance on SQLite (stretch)", "<= 3x set-based SQL"),
            ("sqlite.bulk.ours", "sqlite.bulk.set"),
            3.0,
            "<=x",
        ),
        _target(
            results,
            ("6a", "durable fire on PostgreSQL, throughput", ">= 0.6x a bare Core loop"),
            ("postgresql.fire.ours", "postgresql.fire.core"),
            0.6,
            ">=x",
            throughput=True,
            skipped=pg_skip,
        ),
        _target(
            results,
            ("6b", "durable bulk advance on PostgreSQL", "<= 1.0x bare Core executemany"),
            ("postgresql.bulk.ours", "postgresql.bulk.core"),
            1.0,
            "<=x",
            skipped=pg_skip,
        ),
        _target(
            results,
            (
                "7",
                f"durable enrol, {scale[1]:,} vs {scale[0]:,} stored (SQLite)",
                "<= 1.5x the same with few stored",
            ),
            ("sqlite.scale.large", "sqlite.scale.small"),
            1.5,
            "<=x",
        ),
        _target(
            results,
            ("8a", "`changeflow status`, whole process", "<= 1.5x `import sqlalchemy, pydantic`"),
            ("cli.status", "cli.imports"),
            1.5,
            "<=x",
        ),
        _target(
            results,
            ("8c", "`changeflow enrol --csv`, a roster", "<= 10x bare sqlite3 executemany"),
            ("cli.roster.ours", "cli.roster.bare"),
            10.0,
            "<=x",
        ),
        _target(
            results,
            ("8d", "`changeflow assess --csv`, a scores file", "<= 10x bare sqlite3 executemany"),
            ("cli.scores.ours", "cli.scores.bare"),
            10.0,
            "<=x",
        ),
        _target(
            results,
            (
                "8e",
                "`changeflow advance`, a whole cohort one step",
                "<= 3x bare sqlite3 executemany",
            ),
            ("cli.advance.ours", "cli.advance.bare"),
            3.0,
            "<=x",
        ),
    ]
    if help_imports is None:
        imports, verdict = "-", "SKIP (not measured)"
    else:
        heavy = [p for p in help_imports if p in {"sqlalchemy", "alembic", "pydantic", "rich"}]
        imports = "imports " + (", ".join(heavy) or "no sqlalchemy/alembic/pydantic/rich")
        verdict = "MISS" if "sqlalchemy" in help_imports else "PASS"
    found.append(
        Target(
            "8b",
            "`changeflow --help` does not import SQLAlchemy",
            "sqlalchemy not imported",
            imports,
            "-",
            None,
            None,
            None,
            None,
            "no import",
            verdict,
        )
    )
    found += [
        _absolute(results, "9a", "web.board.small", "<= 50 ms", 50.0),
        _absolute(results, "9b", "web.board.large", "<= 1 s (1,000 ms)", 1000.0),
    ]
    return found


def _absolute(results: Results, ident: str, key: str, goal: str, limit: float) -> Target:
    """A target on one figure's median (milliseconds of server time), not a ratio."""
    figure = results.figures.get(key)
    if figure is None:
        title = "web board page (server time)"
        return Target(
            ident, title, goal, "-", "-", None, None, None, limit, "<=ms", "SKIP (not measured)"
        )
    runs = figure.runs
    verdict = _judge(figure.median, limit, "<=")
    return Target(
        ident,
        figure.label,
        goal,
        figure.short(),
        "-",
        figure.median,
        min(runs),
        max(runs),
        limit,
        "<=ms",
        verdict,
    )


# -- output ---------------------------------------------------------------------------------


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def markdown(found: Sequence[Target], results: Results, meta: dict[str, Any]) -> str:
    """The targets table, then every figure, as Markdown."""
    lines = [
        f"Run {meta['generated_at']} on {meta['machine']['cpus']} CPU(s), Python "
        f"{meta['machine']['python']}, load average {meta['machine']['load_before']} before "
        f"and {meta['machine']['load_after']} after; {meta['duration_s']:.0f} s in all. "
        "Medians of interleaved rounds (min-max).",
        "",
        "| # | target | changeflow | anchor | ratio / value | goal | result |",
        "|---|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {t.id} | {_cell(t.title)} | {_cell(t.changeflow)} | {_cell(t.anchor)} | "
        f"{_cell(t.ratio_text)} | {_cell(t.goal)} | **{t.status}** |"
        for t in found
    ]
    lines += ["", "| figure | median | min-max | rounds |", "|---|---|---|---|"]
    lines += [
        f"| {_cell(f.label)} | {fmt(f.median)} {f.unit} | {fmt(min(f.runs))}-{fmt(max(f.runs))} "
        f"| {len(f.runs)} |"
        for f in results.figures.values()
    ]
    if results.notes:
        lines += ["", *(f"- {_cell(n)}" for n in results.notes)]
    return "\n".join(lines) + "\n"


def console(found: Sequence[Target]) -> str:
    """The targets as a plain-text table for the terminal."""
    rows = [("#", "target", "changeflow", "ratio / value", "goal", "result")]
    rows += [(t.id, t.title, t.changeflow, t.ratio_text, t.goal, t.status) for t in found]
    widths = [min(max(len(r[i]) for r in rows), 48) for i in range(len(rows[0]))]
    out = []
    for number, row in enumerate(rows):
        out.append("  ".join(cell[:48].ljust(w) for cell, w in zip(row, widths, strict=True)))
        if number == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


# -- the run --------------------------------------------------------------------------------


def _options(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one round, no PG")
    parser.add_argument("--participants", type=int, help="bulk and memory size (100,000)")
    parser.add_argument("--walks", type=int, help="participants walked per fire round (1,000)")
    parser.add_argument("--fires", type=int, help="durable fires per contender and round (300)")
    parser.add_argument("--rounds", type=int, help="rounds of the light figures (5)")
    parser.add_argument("--heavy-rounds", type=int, help="rounds of the heavy figures (3)")
    parser.add_argument("--add-model", type=str, help="transitions add_model sizes (5000,20000)")
    parser.add_argument("--scale-small", type=int, help="stored participants, small (1,000)")
    parser.add_argument("--scale-large", type=int, help="stored participants, large (1,000,000)")
    parser.add_argument("--scale-enrols", type=int, help="enrolments timed per round (200)")
    parser.add_argument(
        "--file-rows",
        type=int,
        help="rows of the roster and scores files, participants of the advanced cohort (100,000)",
    )
    parser.add_argument("--board-large", type=int, help="participants of the large board (5,000)")
    parser.add_argument("--postgres", dest="postgres", action="store_true", default=None)
    parser.add_argument("--no-postgres", dest="postgres", action="store_false")
    parser.add_argument(
        "--only",
        type=str,
        default="memory,sqlite,scale,cli,files,web,postgres",
        help="comma-separated sections to run (memory,sqlite,scale,cli,files,web,postgres)",
    )
    parser.add_argument("--output", type=Path, default=RESULTS, help="folder for latest.*")
    args = parser.parse_args(argv)
    quick = {
        "participants": 200,
        "walks": 40,
        "fires": 20,
        "rounds": 1,
        "heavy_rounds": 1,
        "add_model": "100,400",
        "scale_small": 100,
        "scale_large": 2_000,
        "scale_enrols": 10,
        "file_rows": 300,
        "board_large": 300,
        "postgres": False,
    }
    full = {
        "participants": 100_000,
        "walks": 1_000,
        "fires": 300,
        "rounds": 5,
        "heavy_rounds": 3,
        "add_model": "5000,20000",
        "scale_small": 1_000,
        "scale_large": 1_000_000,
        "scale_enrols": 200,
        "file_rows": 100_000,
        "board_large": 5_000,
        "postgres": True,
    }
    for name, value in (quick if args.quick else full).items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    return args


def _load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def _postgres(stack: ExitStack) -> tuple[Any, str]:
    """A throwaway PostgreSQL server, or ``None`` and why not."""
    sys.path.insert(0, str(ROOT / "tests"))
    try:
        from postgres_server import find_pg_bin, managed_server  # noqa: PLC0415
    except ImportError as exc:
        return None, f"cannot load tests/postgres_server.py: {exc}"
    bin_dir = find_pg_bin()
    if bin_dir is None:
        return None, "no PostgreSQL: run scripts/ensure-postgres (make postgres)"
    try:
        return stack.enter_context(managed_server(bin_dir)), ""
    except Exception as exc:  # noqa: BLE001 - any failure to start is a skip, not a crash
        return None, f"PostgreSQL did not start: {exc}"


def _sqlite_backend(folder: Path) -> durable.Backend:
    def make(label: str) -> str:
        return f"sqlite:///{folder / label}.db"

    def drop(label: str) -> None:
        for suffix in ("", "-wal", "-shm", "-journal"):
            (folder / f"{label}.db{suffix}").unlink(missing_ok=True)

    def clone(source: str, label: str) -> str:
        for suffix in ("", "-wal"):
            if (folder / f"{source}.db{suffix}").exists():
                shutil.copyfile(folder / f"{source}.db{suffix}", folder / f"{label}.db{suffix}")
        return make(label)

    return durable.Backend("sqlite", make, drop, clone)


def _postgres_backend(server: Any) -> durable.Backend:
    from psycopg import sql  # noqa: PLC0415 - only with PostgreSQL

    def clone(source: str, label: str) -> str:
        with server.connect_admin() as connection:
            connection.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                    sql.Identifier(label), sql.Identifier(source)
                )
            )
        return str(server.url(label))

    return durable.Backend("postgresql", server.create_database, server.drop_database, clone)


def _section(name: str) -> float:
    print(f"\n== {name}", flush=True)
    return time.perf_counter()


def _command_line(
    args: argparse.Namespace,
    sections: set[str],
    results: Results,
    folder: Path,
    meta: dict[str, Any],
) -> list[str] | None:
    """Targets 8: whole ``changeflow`` processes; the packages ``--help`` imports."""
    help_imports = None
    if "cli" in sections:
        t0 = _section("command line (target 8)")
        help_imports = process.status(results, folder, max(args.rounds, 3))
        meta["sections_s"]["cli"] = time.perf_counter() - t0
    if "files" in sections:
        t0 = _section("files and a cohort through the command line (targets 8c-8e)")
        # One round each: a round of 100,000 rows is long, and its noise is small.
        files.roster(results, folder, args.file_rows, 1)
        files.scores(results, folder, args.file_rows, 1)
        files.advance(results, folder, args.file_rows, 1)
        meta["sections_s"]["files"] = time.perf_counter() - t0
    return help_imports


def run(args: argparse.Namespace) -> tuple[list[Target], Results, dict[str, Any]]:
    """Measure the selected sections and judge the targets."""
    started = time.perf_counter()
    meta: dict[str, Any] = {
        "generated_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "load_before": _load(),
        },
        "settings": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "sections_s": {},
    }
    sections = {s.strip() for s in args.only.split(",") if s.strip()}
    results = Results()
    help_imports: list[str] | None = None
    pg_skip = "quick run" if args.quick else "not selected"
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="changeflow-bench-")))
        if "memory" in sections:
            t0 = _section("in memory (targets 1-3)")
            core.per_transition(results, args.walks, args.rounds)
            core.bulk(results, args.participants, args.heavy_rounds)
            core.memory(results, args.participants)
            core.add_model(results, [int(s) for s in args.add_model.split(",")])
            meta["sections_s"]["memory"] = time.perf_counter() - t0
        sqlite = _sqlite_backend(folder)
        if "sqlite" in sections:
            t0 = _section("SQLite (targets 4-5)")
            durable.fire(results, sqlite, args.fires, args.rounds)
            durable.bulk(results, sqlite, args.participants, args.heavy_rounds)
            meta["sections_s"]["sqlite"] = time.perf_counter() - t0
        if "scale" in sections:
            t0 = _section("scale (target 7)")
            durable.scale(
                results,
                sqlite,
                small=args.scale_small,
                large=args.scale_large,
                per_cohort=min(1_000, args.scale_small),
                enrols=args.scale_enrols,
                rounds=args.heavy_rounds,
            )
            meta["sections_s"]["scale"] = time.perf_counter() - t0
        help_imports = _command_line(args, sections, results, folder, meta)
        if "web" in sections:
            t0 = _section("the web board (target 9)")
            board.board(results, folder, (30, args.board_large), args.rounds)
            meta["sections_s"]["web"] = time.perf_counter() - t0
        if "postgres" in sections and args.postgres:
            t0 = _section("PostgreSQL (target 6)")
            server, pg_skip = _postgres(stack)
            if server is None:
                results.note(f"PostgreSQL figures skipped: {pg_skip}")
            else:
                results.note(
                    "PostgreSQL: a throwaway local server (tests/postgres_server.py), fsync "
                    "and synchronous_commit off, for changeflow and the anchors alike"
                )
                backend = _postgres_backend(server)
                durable.fire(results, backend, args.fires, args.rounds)
                durable.bulk(results, backend, args.participants, args.heavy_rounds)
            meta["sections_s"]["postgres"] = time.perf_counter() - t0
        elif not args.postgres:
            pg_skip = "quick run" if args.quick else "--no-postgres"
    meta["machine"]["load_after"] = _load()
    meta["duration_s"] = time.perf_counter() - started
    found = targets(results, help_imports, pg_skip, (args.scale_small, args.scale_large))
    return found, results, meta


def write(found: Sequence[Target], results: Results, meta: dict[str, Any], folder: Path) -> Path:
    """Write ``latest.json`` and ``latest.md`` into ``folder``; returns the JSON's path."""
    folder.mkdir(parents=True, exist_ok=True)
    document = {
        "schema_version": SCHEMA_VERSION,
        **meta,
        "targets": [{**asdict(t), "ratio_text": t.ratio_text} for t in found],
        "figures": {key: f.to_dict() for key, f in results.figures.items()},
        "notes": results.notes,
    }
    path = folder / "latest.json"
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    (folder / "latest.md").write_text(markdown(found, results, meta), encoding="utf-8")
    return path


def main(argv: Sequence[str] | None = None) -> None:
    """Run the benchmarks, print the table and write the results."""
    args = _options(argv)
    found, results, meta = run(args)
    path = write(found, results, meta, args.output)
    print("\n" + console(found))
    print(
        f"\n{sum(t.status == 'PASS' for t in found)} PASS, "
        f"{sum(t.status == 'MISS' for t in found)} MISS, "
        f"{sum(t.status.startswith('SKIP') for t in found)} SKIP "
        f"in {meta['duration_s']:.0f} s; written {path} and {path.with_suffix('.md')}"
    )
