"""init, cohort create and cohort list; the database option; input the CLI refuses (exit 2)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from typer.testing import CliRunner

from changeflow.cli.app import app
from cli.support import CODE, Cli

if TYPE_CHECKING:
    from pathlib import Path

DATES = ("--start", "2024-03-01", "--end", "2024-07-31")


def test_init_creates_then_upgrades_in_place(tmp_path: Path) -> None:
    """Init creates the SQLite file with the schema; running it again is harmless."""
    path = tmp_path / "new.db"
    cli = Cli(f"sqlite:///{path}", CliRunner())
    first = cli.json("init")
    assert path.exists()
    assert first["database"] == f"sqlite:///{path}"
    assert first["revision"] == "0001"
    assert first["cohorts"] == 0
    assert "database ready" in cli("init").stdout


def test_commands_refuse_a_missing_database_file(tmp_path: Path) -> None:
    """Without init, commands exit 2 with a hint and create no file."""
    path = tmp_path / "typo.db"
    cli = Cli(f"sqlite:///{path}", CliRunner())
    result = cli("cohort", "list", expect=2)
    assert result.stderr.splitlines() == [
        f"error: no changeflow database at '{path}'",
        "hint: create it with `changeflow init`, or point --db / CHANGEFLOW_DB at an existing "
        "database",
    ]
    assert not path.exists()


def test_database_comes_from_the_environment(db_path: Path) -> None:
    """Without --db, CHANGEFLOW_DB names the database."""
    result = CliRunner().invoke(
        app, ["cohort", "list"], env={"CHANGEFLOW_DB": f"sqlite:///{db_path}"}
    )
    assert result.exit_code == 0
    assert "no cohorts yet" in result.stdout


def test_unusable_database_urls_exit_2(tmp_path: Path) -> None:
    """A malformed URL, an unsupported database or a missing directory exit 2."""
    for url in ("nonsense", "mysql://host/db", f"sqlite:///{tmp_path / 'no' / 'dir.db'}"):
        result = Cli(url, CliRunner())("init", expect=2)
        assert result.stderr.startswith("error: ")


def test_unreachable_database_exits_4() -> None:
    """A database that refuses connections is retryable: exit 4, one line and a hint."""
    cli = Cli("postgresql://changeflow@127.0.0.1:1/changeflow", CliRunner())
    result = cli("cohort", "list", expect=4)
    assert result.stderr.startswith("error: database unreachable: ")
    assert result.stderr.splitlines()[1].startswith("hint: ")
    assert cli.json("status", CODE, expect=4)["error"]["kind"] == "unavailable"


def test_cohort_create_json_carries_every_parameter(cli: Cli) -> None:
    """Creating a cohort stores the dates, seats and rule parameters given."""
    created = cli.json(
        "cohort",
        "create",
        CODE,
        "--name",
        "PKA angkatan I",
        *DATES,
        "--capacity",
        "25",
        "--max-per-office",
        "3",
        "--min-years-to-retirement",
        "5",
        "--retirement-age",
        "60",
        "--organiser",
        "BKD",
    )
    cohort = created["cohort"]
    assert cohort["code"] == CODE
    assert cohort["name"] == "PKA angkatan I"
    assert (cohort["start"], cohort["end"]) == ("2024-03-01", "2024-07-31")
    assert cohort["capacity"] == 25
    assert cohort["organiser"] == "BKD"
    assert cohort["parameters"]["max_per_office"] == 3
    assert cohort["parameters"]["min_years_to_retirement"] == 5
    assert cohort["parameters"]["retirement_age"] == 60


def test_cohort_create_refuses_bad_input(cli: Cli) -> None:
    """Bad dates, reversed dates, no seats and a taken code exit 2 with one error line."""
    name = ("--name", "X")
    bad_date = cli(
        "cohort", "create", "X", *name, "--start", "2024-3-1", "--end", "2024-07-31", expect=2
    )
    assert bad_date.stderr.splitlines()[0] == "error: --start '2024-3-1' is not a date"
    reversed_dates = cli.json(
        "cohort", "create", "X", *name, "--start", "2024-08-01", "--end", "2024-07-31", expect=2
    )
    assert reversed_dates["error"]["kind"] == "invalid_input"
    assert reversed_dates["error"]["message"].startswith("end: ")
    cli("cohort", "create", "X", *name, *DATES, "--capacity", "0", expect=2)
    cli("cohort", "create", "bad code!", *name, *DATES, expect=2)
    cli("cohort", "create", "X", *name, *DATES)
    taken = cli.json("cohort", "create", "X", *name, *DATES, expect=2)
    assert taken["error"]["kind"] == "already_exists"


def test_cohort_list_json_and_table(cli: Cli, enrolled: list[str]) -> None:
    """Listing cohorts shows each one with its headcount, as JSON or a table."""
    listed = cli.json("cohort", "list")["cohorts"]
    assert len(listed) == 1
    assert listed[0]["code"] == CODE
    assert listed[0]["name"] == "PKA angkatan I"
    assert (listed[0]["start"], listed[0]["end"]) == ("2024-03-01", "2024-07-31")
    assert listed[0]["capacity"] == 30
    assert listed[0]["participants"] == len(enrolled)
    table = cli("cohort", "list").stdout
    assert "PKA angkatan I" in table
    assert "3/30" in table


def test_empty_cohort_list_hints_on_stderr(cli: Cli) -> None:
    """With no cohorts the text says so and the hint goes to stderr; JSON lists nothing."""
    result = cli("cohort", "list")
    assert result.stdout == "no cohorts yet\n"
    assert result.stderr.startswith("hint: ")
    assert cli.json("cohort", "list")["cohorts"] == []


def test_lock_timeout_must_be_positive(cli: Cli) -> None:
    """--lock-timeout 0 is unusable input (exit 2)."""
    result = cli.runner.invoke(app, ["--db", cli.url, "--lock-timeout", "0", "cohort", "list"])
    assert result.exit_code == 2
    assert "lock_timeout" in result.stderr
