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
    "ADMIN",
    "AS_MENTOR",
    "CODE",
    "HEADER",
    "MENTOR_NIP",
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

ADMIN = "BKD"
"""The actor the CLI tests act as ($CHANGEFLOW_ACTOR): it creates the cohorts and
:class:`Cli` then makes it every staff role (organiser, coach, examiner) of each."""

MENTOR_NIP = "196501011990031001"
"""The mentor's NIP in :data:`PROJECT`: approvals act as it (``--actor``)."""

PROJECT = (
    "--title",
    "Antrean online",
    "--theme",
    "kesehatan",
    "--mentor",
    "Kepala Dinas",
    "--mentor-nip",
    MENTOR_NIP,
)
"""Options of `changeflow project` registering a project with a mentor."""

AS_MENTOR = ("--actor", MENTOR_NIP)
"""Options acting as :data:`PROJECT`'s mentor (who alone approves the proposal)."""

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
        if args[:2] == ("cohort", "create") and result.exit_code == 0:
            self.staff_every_role(args[2])
        return result

    def staff_every_role(self, code: str) -> None:
        """Make the creator of a cohort (:data:`ADMIN`) every staff role of it.

        Tests that are not about permissions run as one trusted administrator; the
        permission tests (test_staff.py) act as others.
        """
        roles = ("--role", "organiser", "--role", "coach", "--role", "examiner")
        args = ["--db", self.url, "staff", "add", code, ADMIN, "--name", "Admin BKD", *roles]
        result = self.runner.invoke(app, args, env={"CHANGEFLOW_ACTOR": ADMIN})
        assert result.exit_code == 0, result.output

    def json(self, *args: str, expect: int = 0) -> dict[str, Any]:
        """Invoke with ``--json``; stdout must be exactly one JSON document, version 2."""
        result = self(*args, "--json", expect=expect)
        document: dict[str, Any] = json.loads(result.stdout)
        assert document["schema_version"] == 2
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
    cli("fire", cohort, nip, "present_proposal")
    cli("fire", cohort, nip, "approve_proposal", *AS_MENTOR)
    cli("fire", cohort, nip, "present_results")


def builtin_supervisor(folder: Path) -> Path:
    """The supervisor-course lifecycle with the built-in ``rank`` rule, as a TOML file."""
    text = SUPERVISOR.read_text(encoding="utf-8").replace('"supervisor_rank"', '"rank"')
    assert '"rank"' in text
    path = folder / "supervisor_builtin.toml"
    path.write_text(text, encoding="utf-8")
    return path
