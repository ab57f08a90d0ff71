"""Fixtures for the CLI tests: a fresh SQLite database per test and a runner bound to it."""

from __future__ import annotations

import shutil
from typing import TYPE_CHECKING

import pytest
from typer.testing import CliRunner

from changeflow.cli.app import app
from cli.support import ADMIN, CODE, Cli, person, write_roster

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database initialised once per session; tests get copies."""
    path = tmp_path_factory.mktemp("template") / "changeflow.db"
    result = CliRunner().invoke(app, ["--db", f"sqlite:///{path}", "init"])
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture
def db_path(template_db: Path, tmp_path: Path) -> Path:
    """A fresh, initialised SQLite file for this test."""
    target = tmp_path / "changeflow.db"
    shutil.copy(template_db, target)
    return target


@pytest.fixture
def cli(db_path: Path) -> Cli:
    """The CLI bound to this test's database."""
    return Cli(f"sqlite:///{db_path}", CliRunner(env={"CHANGEFLOW_ACTOR": ADMIN}))


@pytest.fixture
def cohort(cli: Cli) -> str:
    """Cohort PKA-1 (March to July 2024, default parameters) in the test's database."""
    cli(
        "cohort",
        "create",
        CODE,
        "--name",
        "PKA angkatan I",
        "--start",
        "2024-03-01",
        "--end",
        "2024-07-31",
    )
    return CODE


@pytest.fixture
def enrolled(cli: Cli, cohort: str, tmp_path: Path) -> list[str]:
    """Three participants enrolled in PKA-1, from three offices; returns their NIPs."""
    rows = [person(n) for n in (1, 2, 3)]
    roster = write_roster(tmp_path / "three.csv", rows)
    cli("enrol", cohort, "--csv", str(roster))
    return [row.split(",")[0] for row in rows]
