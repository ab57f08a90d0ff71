"""The CLI session in docs/cli.md runs as written and every command exits as documented."""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from typer.testing import CliRunner

from changeflow.cli.app import app

if TYPE_CHECKING:
    import pytest

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "cli.md"
BLOCK = re.compile(r"^```console\n(.*?)^```", re.DOTALL | re.MULTILINE)
FILE = re.compile(r"^```\w+\n# file: (\S+)\n(.*?)^```", re.DOTALL | re.MULTILINE)
EXITS = re.compile(r"#\s*exits\s+(\d)")
EXPORT = re.compile(r"^\$ export (\w+)=(\S*)$")


def _exports(command: str, env: dict[str, str]) -> bool:
    """Apply a documented ``$ export NAME=VALUE`` line to ``env``; False for other lines."""
    found = EXPORT.match(f"$ {command}")
    if found is None:
        return False
    env[found.group(1)] = found.group(2)
    return True


def _session() -> list[tuple[str, int]]:
    """Each `$ changeflow` or `$ export` line of the doc's console blocks, with its status."""
    commands = []
    for block in BLOCK.findall(DOC.read_text(encoding="utf-8")):
        for line in block.splitlines():
            if line.startswith(("$ changeflow ", "$ export ")):
                expected = EXITS.search(line)
                commands.append((line[2:], int(expected.group(1)) if expected else 0))
    return commands


def _files() -> dict[str, str]:
    """The files the doc shows with a ``# file: NAME`` first line, by name."""
    return dict(FILE.findall(DOC.read_text(encoding="utf-8")))


def test_the_session_covers_every_command() -> None:
    """The documented session uses every command but the demo, and every new subcommand."""
    lines = [
        shlex.split(command, comments=True)
        for command, _ in _session()
        if command.startswith("changeflow ")
    ]
    used = {args[1] for args in lines}
    assert used >= {
        "init",
        "cohort",
        "enrol",
        "fire",
        "check",
        "events",
        "project",
        "assess",
        "groups",
        "advance",
        "status",
        "history",
        "verify",
        "export",
        "diagram",
        "correct",
        "transfer",
        "schedule",
        "agenda",
        "tick",
        "attendance",
        "staff",
    }
    grouped = {"cohort", "correct", "schedule", "staff"}
    assert {tuple(args[1:3]) for args in lines if args[1] in grouped} >= {
        ("cohort", "create"),
        ("cohort", "list"),
        ("cohort", "show"),
        ("cohort", "migrate"),
        ("correct", "score"),
        ("correct", "participant"),
        ("schedule", "set"),
        ("schedule", "close"),
        ("staff", "add"),
        ("staff", "list"),
    }
    options = {arg for args in lines for arg in args if arg.startswith("--")}
    assert options >= {"--lifecycle", "--map", "--as-of", "--office-name", "--dry-run", "--ics"}
    assert {status for _, status in _session()} == {0, 2, 3}
    assert set(_files()) == {"workshop.toml", "workshop-2.toml", "attendance.csv"}


def test_the_session_runs_as_documented(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run from a copy of the repository's examples, each command exits as the doc says."""
    (tmp_path / "examples").mkdir()
    for name in ("roster.csv", "supervisor_course.toml"):
        shutil.copy(ROOT / "examples" / name, tmp_path / "examples" / name)
    for name, text in _files().items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    env = {"CHANGEFLOW_DB": f"sqlite:///{tmp_path / 'changeflow.db'}"}
    for command, expected in _session():
        if _exports(command, env):
            continue
        args = shlex.split(command, comments=True)
        assert args[0] == "changeflow"
        assert "--db" not in args  # the session uses the default database
        result = runner.invoke(app, args[1:], env=env, catch_exceptions=False)
        assert result.exit_code == expected, (command, result.stdout, result.stderr)
        assert "Traceback" not in result.output
