"""Helpers shared by the CLI tests: a runner bound to a database, roster builders."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from changeflow.cli.app import app
from factories import make_nip

if TYPE_CHECKING:
    from collections.abc import Iterable

    from typer.testing import CliRunner, Result

__all__ = [
    "CODE",
    "HEADER",
    "PROJECT",
    "SUPERVISOR",
    "Cli",
    "builtin_supervisor",
    "nip_of",
    "person",
    "tamper",
    "to_seminar",
    "write_roster",
]

CODE = "PKA-1"
"""The cohort most tests work on."""

HEADER = "nip,name,office,echelon"
"""The minimal roster header."""

PROJECT = ("--title", "Antrean online", "--theme", "kesehatan", "--mentor", "Kepala Dinas")
"""Options of `changeflow project` registering a project with a mentor."""

SUPERVISOR = Path(__file__).resolve().parents[2] / "examples" / "supervisor_course.toml"
"""The supervisor-course lifecycle of examples/custom_lifecycle.py (rule supervisor_rank)."""


@dataclass
class Cli:
    """Runs ``changeflow --db URL ...`` in-process and checks its exit status."""

    url: str
    runner: CliRunner

    def __call__(
        self, *args: str, expect: int | None = 0, env: dict[str, str] | None = None
    ) -> Result:
        """Invoke the app; assert the exit status unless ``expect`` is None."""
        result = self.runner.invoke(app, ["--db", self.url, *args], env=env, catch_exceptions=False)
        if expect is not None:
            assert result.exit_code == expect, (args, result.stdout, result.stderr)
        assert "Traceback" not in result.output
        return result

    def json(self, *args: str, expect: int = 0) -> dict[str, Any]:
        """Invoke with ``--json``; stdout must be exactly one JSON document, version 1."""
        result = self(*args, "--json", expect=expect)
        document: dict[str, Any] = json.loads(result.stdout)
        assert document["schema_version"] == 1
        return document


def tamper(db_path: Path, *statements: str) -> None:
    """Run SQL on the file as its administrator could (append-only triggers dropped)."""
    connection = sqlite3.connect(db_path, isolation_level=None)
    try:
        connection.execute("DROP TRIGGER IF EXISTS audit_append_only_update")
        connection.execute("DROP TRIGGER IF EXISTS audit_append_only_delete")
        for statement in statements:
            connection.execute(statement)
    finally:
        connection.close()


def write_roster(path: Path, rows: Iterable[str], header: str = HEADER) -> Path:
    """Write a roster CSV (header first) and return its path."""
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def nip_of(number: int, born_year: int = 1975) -> str:
    """The NIP of :func:`person` ``number``."""
    return make_nip(date(born_year, 6, 1), sequence=number)


def person(number: int, office: str = "", *, born_year: int = 1975) -> str:
    """A valid roster row: an eligible echelon III.a official from office ``office``."""
    nip = nip_of(number, born_year)
    return f"{nip},Peserta {number},{office or f'Dinas Nomor {number}'},III.a"


def to_seminar(cli: Cli, cohort: str, nip: str) -> None:
    """Take an enrolled participant to the seminar, a project with a mentor registered."""
    cli("fire", cohort, nip, "start_class")
    cli("project", cohort, nip, *PROJECT)
    for event in ("present_proposal", "approve_proposal", "present_results"):
        cli("fire", cohort, nip, event)


def builtin_supervisor(folder: Path) -> Path:
    """The supervisor-course lifecycle with the built-in ``rank`` rule, as a TOML file."""
    text = SUPERVISOR.read_text(encoding="utf-8").replace('"supervisor_rank"', '"rank"')
    assert '"rank"' in text
    path = folder / "supervisor_builtin.toml"
    path.write_text(text, encoding="utf-8")
    return path
