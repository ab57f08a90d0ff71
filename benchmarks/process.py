"""Command-line figures: whole processes, as a user starts them (target 8)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from benchmarks.common import CODE, STAFF_ID, clock, cohort, interleaved, people
from changeflow import Engine
from changeflow.store.sql import SqlStore

if TYPE_CHECKING:
    from benchmarks.common import Results

_IMPORT_LINE = re.compile(r"^import time:\s+\d+ \|\s+\d+ \|\s*(\S+)")


def changeflow_command() -> list[str]:
    """How to start ``changeflow``: the console script beside this interpreter, if any."""
    script = Path(sys.executable).parent / "changeflow"
    if script.exists():
        return [str(script)]
    found = shutil.which("changeflow")
    if found:
        return [found]
    return [sys.executable, "-m", "changeflow.cli"]


def cached_bytecode(folder: Path) -> dict[str, str]:
    """The environment of the timed processes: bytecode cached in ``folder``, as installed.

    An installed package has its bytecode compiled; a checkout under
    ``PYTHONDONTWRITEBYTECODE`` (as CI and sandboxes often set) would compile every module
    of changeflow from source in every run, timing the compiler instead of the start-up.
    Every contender runs in the same environment, so the anchor gets the same cache.
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(folder / "pycache")
    return env


def _run(command: list[str], env: dict[str, str] | None = None) -> float:
    t0 = time.perf_counter()
    done = subprocess.run(  # noqa: S603 - our own interpreter and console script
        command, capture_output=True, check=False, timeout=120, env=env
    )
    seconds = time.perf_counter() - t0
    if done.returncode != 0:
        raise RuntimeError(
            f"{' '.join(command)} exited {done.returncode}: {done.stderr.decode()[-500:]}"
        )
    return seconds


def imported_by_help() -> list[str]:
    """Top-level packages ``changeflow --help`` imports (``python -X importtime``)."""
    command = changeflow_command()
    if command[0] != sys.executable:
        command = [sys.executable, *command]
    command = [command[0], "-X", "importtime", *command[1:], "--help"]
    done = subprocess.run(  # noqa: S603 - our own interpreter and console script
        command, capture_output=True, text=True, check=True, timeout=120
    )
    packages = {
        match.group(1).split(".")[0]
        for line in done.stderr.splitlines()
        if (match := _IMPORT_LINE.match(line))
    }
    return sorted(packages)


def status(results: Results, folder: Path, rounds: int, participants: int = 30) -> list[str]:
    """Target 8: ``changeflow status`` against importing SQLAlchemy and pydantic.

    Returns the top-level packages ``changeflow --help`` imports.
    """
    url = f"sqlite:///{folder / 'status.db'}"
    store = SqlStore(url)
    try:
        engine = Engine(store, clock=clock())
        engine.create_cohort(cohort(CODE, participants), actor=STAFF_ID)
        for person in people(participants, offices=10):
            engine.enrol(CODE, person, actor=STAFF_ID)
    finally:
        store.close()
    command = changeflow_command()
    status_command = [*command, "--db", url, "status", CODE]
    imports = [sys.executable, "-c", "import sqlalchemy, pydantic"]
    help_command = [*command, "--help"]
    env = cached_bytecode(folder)
    for warm in (status_command, imports, help_command):  # the file cache and the bytecode
        _run(warm, env)
    env_note = "CHANGEFLOW_DB is set" if os.environ.get("CHANGEFLOW_DB") else ""
    runs = interleaved(
        {
            "status": lambda _r: _run(status_command, env) * 1e3,
            "imports": lambda _r: _run(imports, env) * 1e3,
            "help": lambda _r: _run(help_command, env) * 1e3,
        },
        rounds,
    )
    results.add(
        "cli.status",
        f"`changeflow status` of a {participants}-participant cohort (SQLite), whole process",
        "ms",
        runs["status"],
        env_note,
    )
    results.add(
        "cli.imports",
        '`python -c "import sqlalchemy, pydantic"`, whole process',
        "ms",
        runs["imports"],
    )
    results.add("cli.help", "`changeflow --help`, whole process", "ms", runs["help"])
    results.note(
        "the whole-process figures cache bytecode in a private folder (PYTHONPYCACHEPREFIX), "
        "as an installed package has it compiled; PYTHONDONTWRITEBYTECODE is not passed on"
    )
    packages = imported_by_help()
    heavy = [p for p in packages if p in {"sqlalchemy", "pydantic", "rich", "structlog", "alembic"}]
    results.note(
        "`changeflow --help` imports "
        + (", ".join(heavy) if heavy else "none of sqlalchemy, pydantic, rich, structlog, alembic")
        + f" ({len(packages)} top-level packages in all)"
    )
    return packages
