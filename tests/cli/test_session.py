"""Opening the database for a command: only `init` writes a schema; bad options are exit 2."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from typing import TYPE_CHECKING

import pytest
from typer.testing import CliRunner

from changeflow.cli.app import app

if TYPE_CHECKING:
    from pathlib import Path

    from cli.support import Cli

READERS = (
    ("verify",),
    ("status", "PKA-1"),
    ("history", "--cohort", "PKA-1"),
    ("cohort", "list"),
    ("events", "PKA-1", "197503152000031004"),
)
"""Commands that only read, each of which once wrote a schema into whatever file it was given."""

WRITERS = (
    ("cohort", "create", "X", "--name", "X", "--start", "2024-03-01", "--end", "2024-07-31"),
)


def _invoke(*args: str) -> tuple[int, dict[str, object], str]:
    runner = CliRunner(env={"CHANGEFLOW_ACTOR": "BKD"})
    result = runner.invoke(app, [*args, "--json"], catch_exceptions=False)
    assert "Traceback" not in result.output
    return result.exit_code, json.loads(result.stdout), result.stderr


@pytest.mark.parametrize("command", READERS + WRITERS, ids=lambda c: c[0])
@pytest.mark.parametrize("content", [b"", b"\x00garbage\xff" * 1000], ids=["empty", "binary"])
def test_a_file_that_is_not_a_database_is_exit_2_and_left_untouched(
    tmp_path: Path, command: tuple[str, ...], content: bytes
) -> None:
    """Any command but init on an empty or binary file: exit 2, no_database, no byte written."""
    path = tmp_path / "empty.db"
    path.write_bytes(content)
    status, document, stderr = _invoke("--db", f"sqlite:///{path}", *command)
    assert status == 2
    assert document["error"]["kind"] == "no_database"  # type: ignore[index]
    assert "changeflow init" in stderr
    assert path.read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.db"]


def test_an_sqlite_file_of_another_application_is_refused_untouched(tmp_path: Path) -> None:
    """`verify` on another application's SQLite file: exit 2 (no changeflow schema), unchanged."""
    path = tmp_path / "payroll.db"
    with closing(sqlite3.connect(path)) as other:
        other.execute("CREATE TABLE payroll (nip TEXT)")
        other.commit()
    before = path.read_bytes()
    status, document, _ = _invoke("--db", f"sqlite:///{path}", "verify")
    assert status == 2
    assert "no changeflow schema" in document["error"]["message"]  # type: ignore[index]
    assert path.read_bytes() == before


def test_init_turns_an_empty_file_into_a_database_that_verifies(tmp_path: Path) -> None:
    """`init` is the one command that writes a schema; afterwards the readers work on the file."""
    path = tmp_path / "empty.db"
    path.touch()
    status, document, _ = _invoke("--db", f"sqlite:///{path}", "init")
    assert (status, document["cohorts"]) == (0, 0)
    status, document, _ = _invoke("--db", f"sqlite:///{path}", "verify")
    assert status == 0


def test_a_directory_as_the_database_is_exit_2_not_retry(tmp_path: Path) -> None:
    """A directory given as --db never becomes usable: exit 2 (not 4, "retry"), for init too."""
    for command in (("verify",), ("init",), ("status", "PKA-1")):
        status, document, stderr = _invoke("--db", f"sqlite:///{tmp_path}", *command)
        assert status == 2, command
        assert "is a directory" in document["error"]["message"]  # type: ignore[index]
        assert "retry" not in stderr


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e308", "0", "-5", "86401"])
def test_a_lock_timeout_that_is_not_finite_and_in_range_is_exit_2(cli: Cli, value: str) -> None:
    """--lock-timeout nan|inf|1e308|0 is a usage error naming the option, not an internal error."""
    result = cli.runner.invoke(app, ["--lock-timeout", value, "--db", cli.url, "verify"])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"error: --lock-timeout {float(value)!r}: ")
    assert "internal error" not in result.output


def test_a_lock_timeout_in_range_is_used(cli: Cli) -> None:
    """A finite lock timeout within a day is accepted."""
    result = cli.runner.invoke(app, ["--lock-timeout", "86400", "--db", cli.url, "verify"])
    assert result.exit_code == 0, result.output
