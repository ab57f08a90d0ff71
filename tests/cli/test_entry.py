"""The command as users meet it: help, version, real processes, stdout purity, no tracebacks."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from changeflow.cli import main
from changeflow.cli.app import app

if TYPE_CHECKING:
    from cli.support import Cli

PYTHON = sys.executable
SCRIPT = shutil.which("changeflow", path=str(Path(sys.executable).parent))

_PROBE = """
import contextlib, io, json, sys
from changeflow.cli.app import app
for args in (["--help"], ["fire", "--help"], ["cohort", "create", "--help"], ["enrol", "--help"]):
    with contextlib.redirect_stdout(io.StringIO()) as shown:
        try:
            app(args, prog_name="changeflow")
        except SystemExit as done:
            assert done.code == 0, (args, done.code)
    assert "Usage: changeflow" in shown.getvalue(), args
print(json.dumps(sorted(sys.modules)))
"""


_JSON_PROBE = """
import contextlib, io, json, sys
from changeflow.cli.app import app
db = sys.argv[1]
for args in (["init"], ["cohort", "create", "C", "--name", "C", "--start", "2024-03-01",
             "--end", "2024-07-31"], ["status", "C", "--json"], ["cohort", "list", "--json"]):
    with contextlib.redirect_stdout(io.StringIO()):
        try:
            app(["--db", db, *args], prog_name="changeflow")
        except SystemExit as done:
            assert done.code == 0, (args, done.code)
print(json.dumps(sorted(sys.modules)))
"""


ACTING = {**os.environ, "CHANGEFLOW_ACTOR": "BKD"}
"""The environment of the real processes: writes act as ``BKD`` (the cohorts' creator)."""


def _run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PYTHON, "-m", "changeflow.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=cwd,
        env=ACTING,
    )


def test_help_imports_neither_sqlalchemy_nor_rich() -> None:
    """Importing the CLI and printing help loads no SQLAlchemy, Alembic or Rich."""
    done = subprocess.run(
        [PYTHON, "-c", _PROBE], capture_output=True, text=True, timeout=60, check=True
    )
    loaded = {name.split(".")[0] for name in json.loads(done.stdout)}
    assert not loaded & {"sqlalchemy", "alembic", "rich", "psycopg"}


def test_json_commands_do_not_load_rich(tmp_path: Path) -> None:
    """Rich is imported only to draw tables: JSON output never loads it."""
    done = subprocess.run(
        [PYTHON, "-c", _JSON_PROBE, f"sqlite:///{tmp_path / 'probe.db'}"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env=ACTING,
    )
    loaded = {name.split(".")[0] for name in json.loads(done.stdout)}
    assert "sqlalchemy" in loaded
    assert "rich" not in loaded


def test_installed_script_shows_help() -> None:
    """The `changeflow` console script is installed and `changeflow --help` exits 0."""
    assert SCRIPT is not None, "reinstall the package: pip install -e '.[dev]'"
    done = subprocess.run(
        [SCRIPT, "--help"], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0
    assert "Usage: changeflow" in done.stdout
    for command in ("init", "cohort", "enrol", "fire", "advance", "verify", "demo"):
        assert command in done.stdout
    assert done.stderr == ""


def test_real_process_stdout_purity_and_exit_statuses(tmp_path: Path) -> None:
    """In real processes stdout is one JSON document, errors are one line, statuses pass through."""
    db = f"sqlite:///{tmp_path / 'real.db'}"
    missing = _run("--db", db, "status", "PKA-1", "--json")
    assert missing.returncode == 2
    assert json.loads(missing.stdout)["error"]["kind"] == "no_database"
    assert missing.stderr.splitlines()[0].startswith("error: no changeflow database at ")
    assert missing.stderr.splitlines()[1].startswith("hint: ")
    assert len(missing.stderr.splitlines()) == 2
    assert _run("--db", db, "init").returncode == 0
    dates = ("--start", "2024-03-01", "--end", "2024-07-31")
    bad_date = _run(
        "--db",
        db,
        "cohort",
        "create",
        "X",
        "--name",
        "X",
        "--start",
        "2024-02-30",
        "--end",
        "2024-07-31",
    )
    assert bad_date.returncode == 2
    assert bad_date.stdout == ""
    assert bad_date.stderr.startswith("error: --start '2024-02-30' is not a date\nhint: ")
    assert _run("--db", db, "cohort", "create", "X", "--name", "X", *dates).returncode == 0
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "nip,name,office,echelon\n197503152000031004,Budi,DINKES,III.a\n1975,Bad,DINKES,III.a\n",
        encoding="utf-8",
    )
    enrolled = _run("--db", db, "enrol", "X", "--csv", str(roster), "--json")
    assert enrolled.returncode == 3
    document = json.loads(enrolled.stdout)
    assert document["accepted"] == ["197503152000031004"]
    assert document["refused"][0]["line"] == 3
    assert enrolled.stderr.startswith("hint: ")
    illegal = _run("--db", db, "fire", "X", "197503152000031004", "graduate", "--json")
    assert illegal.returncode == 3
    assert json.loads(illegal.stdout)["violations"][0]["code"] == "illegal_transition"
    for done in (missing, bad_date, enrolled, illegal):
        assert "Traceback" not in done.stderr


def test_version_and_bare_command(cli: Cli) -> None:
    """--version prints the version; no arguments prints the usage."""
    assert cli("--version").stdout.startswith("changeflow 0.")
    bare = cli.runner.invoke(app, [])
    assert "Usage: changeflow" in bare.output


def test_an_unexpected_error_is_one_line_without_traceback(
    cli: Cli, cohort: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bug surfaces as 'error: internal error' and exit 1, the traceback only on request."""

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("changeflow.engine.Engine.status", broken)
    monkeypatch.setattr(sys, "argv", ["changeflow", "--db", cli.url, "status", cohort])
    monkeypatch.delenv("CHANGEFLOW_DEBUG", raising=False)
    with pytest.raises(SystemExit) as done:
        main()
    assert done.value.code == 1
    err = capsys.readouterr().err
    assert err.splitlines()[0] == "error: internal error: RuntimeError: boom"
    assert "Traceback" not in err
    monkeypatch.setenv("CHANGEFLOW_DEBUG", "1")
    with pytest.raises(RuntimeError, match="boom"):
        main()
