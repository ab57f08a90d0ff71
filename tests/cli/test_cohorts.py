"""init, cohort create and cohort list; the database option; input the CLI refuses (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from typer.testing import CliRunner

from changeflow import load_definition
from changeflow.cli.app import app
from changeflow.store.sql import HEAD
from cli.support import CODE, SUPERVISOR, Cli, builtin_supervisor, nip_of, person, write_roster

if TYPE_CHECKING:
    from typing import Any

DATES = ("--start", "2024-03-01", "--end", "2024-07-31")
DATA = Path(__file__).resolve().parents[1] / "data"


def test_init_creates_then_upgrades_in_place(tmp_path: Path) -> None:
    """Init creates the SQLite file with the schema; running it again is harmless."""
    path = tmp_path / "new.db"
    cli = Cli(f"sqlite:///{path}", CliRunner())
    first = cli.json("init")
    assert path.exists()
    assert first["database"] == f"sqlite:///{path}"
    assert first["revision"] == HEAD
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


def _create(cli: Cli, code: str, *extra: str, expect: int = 0) -> dict[str, Any]:
    return cli.json(
        "cohort", "create", code, "--name", f"Cohort {code}", *DATES, *extra, expect=expect
    )


def test_cohort_show_names_the_lifecycle_and_rule_pack(cli: Cli, cohort: str) -> None:
    """Show gives the cohort, the lifecycle it is pinned to and its rule pack."""
    shown = cli.json("cohort", "show", cohort)
    assert list(shown) == ["schema_version", "cohort", "lifecycle", "rule_pack"]
    assert shown["cohort"]["code"] == cohort
    assert shown["lifecycle"]["name"] == "change_project"
    assert len(shown["lifecycle"]["sha256"]) == 64
    assert shown["rule_pack"] == {"id": "probolinggo-2019", "version": "1"}
    text = cli("cohort", "show", cohort).stdout
    assert f"lifecycle: change_project {shown['lifecycle']['version']} (sha256 " in text
    assert "rule pack: probolinggo-2019 1" in text
    cli("cohort", "show", "PKA-9", expect=2)


def test_cohort_create_with_a_lifecycle_file(cli: Cli, tmp_path: Path) -> None:
    """--lifecycle pins the cohort to the definition in a TOML, YAML or JSON file."""
    toml = builtin_supervisor(tmp_path)
    definition = load_definition(toml)
    created = _create(cli, "PKP-1", "--lifecycle", str(toml))
    assert created["lifecycle"] == {
        "name": "supervisor_course",
        "version": "1",
        "sha256": definition.sha256,
    }
    assert cli.json("cohort", "show", "PKP-1")["lifecycle"] == created["lifecycle"]
    yaml = _create(cli, "WS-1", "--lifecycle", str(DATA / "workshop.yaml"))
    assert (yaml["lifecycle"]["name"], yaml["lifecycle"]["version"]) == ("workshop", "2")
    as_json = tmp_path / "supervisor.json"
    as_json.write_text(json.dumps(definition.document()), encoding="utf-8")
    assert _create(cli, "PKP-2", "--lifecycle", str(as_json))["lifecycle"] == created["lifecycle"]
    listed = {c["code"]: c["lifecycle"]["name"] for c in cli.json("cohort", "list")["cohorts"]}
    assert listed == {
        "PKP-1": "supervisor_course",
        "WS-1": "workshop",
        "PKP-2": "supervisor_course",
    }
    assert "supervisor_course 1" in cli("cohort", "list").stdout


def test_an_unusable_lifecycle_file_exits_2_listing_every_problem(cli: Cli, tmp_path: Path) -> None:
    """A broken definition, unregistered rules or an unreadable file: exit 2, no cohort."""
    broken = cli(
        "cohort",
        "create",
        "X",
        "--name",
        "X",
        *DATES,
        "--lifecycle",
        str(DATA / "broken.toml"),
        expect=2,
    )
    lines = broken.stderr.splitlines()
    assert lines[0].startswith("error: lifecycle 'broken' has ")
    problems = [line for line in lines if line.startswith("  - ")]
    assert len(problems) >= 3
    assert any("no_such_rule" in line for line in problems)
    assert any("nowhere" in line for line in problems)
    document = _create(cli, "X", "--lifecycle", str(DATA / "broken.toml"), expect=2)
    assert document["error"]["kind"] == "invalid_lifecycle"
    assert len(document["problems"]) == len(problems)
    unregistered = _create(cli, "X", "--lifecycle", str(SUPERVISOR), expect=2)
    assert any("supervisor_rank" in p for p in unregistered["problems"])
    missing = _create(cli, "X", "--lifecycle", str(tmp_path / "none.toml"), expect=2)
    assert "cannot read" in missing["problems"][0]
    wrong = tmp_path / "lifecycle.txt"
    wrong.write_text("name = 'x'", encoding="utf-8")
    _create(cli, "X", "--lifecycle", str(wrong), expect=2)
    assert cli.json("cohort", "list")["cohorts"] == []


def _supervisor_cohort(cli: Cli, tmp_path: Path) -> Path:
    """PKA-1 on the default lifecycle with one participant per state shown, and the TOML."""
    cli("cohort", "create", CODE, "--name", "PKA", *DATES)
    cli("enrol", CODE, "--csv", str(write_roster(tmp_path / "r.csv", [person(1), person(2)])))
    cli("fire", CODE, nip_of(1), "start_class")
    return builtin_supervisor(tmp_path)


def test_cohort_migrate_prints_the_plan_and_dry_run_writes_nothing(
    cli: Cli, tmp_path: Path
) -> None:
    """A dry run lists every participant's state before and after and changes nothing."""
    toml = _supervisor_cohort(cli, tmp_path)
    entries = cli.json("verify", CODE)["cohorts"][0]["entries"]
    plan = cli.json(
        "cohort",
        "migrate",
        CODE,
        "--lifecycle",
        str(toml),
        "--map",
        "on_class=in_class",
        "--dry-run",
    )
    assert plan["cohort"] == CODE
    assert plan["from"]["name"] == "change_project"
    assert plan["to"]["name"] == "supervisor_course"
    assert plan["participants"] == [
        {"nip": nip_of(1), "from": "on_class", "to": "in_class"},
        {"nip": nip_of(2), "from": "enrolled", "to": "enrolled"},
    ]
    assert (plan["applied"], plan["dry_run"]) == (False, True)
    assert cli.json("verify", CODE)["cohorts"][0]["entries"] == entries
    assert cli.json("cohort", "show", CODE)["lifecycle"]["name"] == "change_project"
    text = cli(
        "cohort",
        "migrate",
        CODE,
        "--lifecycle",
        str(toml),
        "--map",
        "on_class=in_class",
        "--dry-run",
    ).stdout
    assert text.startswith(f"{CODE}: would migrate from change_project ")
    assert "on_class   in_class" in text
    assert text.rstrip().endswith("dry run: nothing was written")


def test_cohort_migrate_applies_the_plan(cli: Cli, tmp_path: Path) -> None:
    """Applied, the cohort runs the new lifecycle; each participant has a migrate entry."""
    toml = _supervisor_cohort(cli, tmp_path)
    applied = cli.json(
        "cohort",
        "migrate",
        CODE,
        "--lifecycle",
        str(toml),
        "--map",
        "on_class=in_class",
        "--actor",
        "BKD",
        "--reason",
        "new regulation",
        "--key",
        "m-1",
    )
    assert (applied["applied"], applied["dry_run"]) == (True, False)
    assert cli.json("cohort", "show", CODE)["lifecycle"] == applied["to"]
    states = {p["nip"]: p["state"] for p in cli.json("status", CODE)["participants"]}
    assert states == {nip_of(1): "in_class", nip_of(2): "enrolled"}
    last = cli.json("history", nip_of(1))["history"][-1]
    assert (last["event"], last["from"], last["to"], last["actor"]) == (
        "migrate",
        "on_class",
        "in_class",
        "BKD",
    )
    assert cli.json("events", CODE, nip_of(1), "--reason", "r")["events"] == ["withdraw"]
    assert cli.json("fire", CODE, nip_of(2), "start_class")["to"] == "in_class"
    assert cli.json("verify", CODE)["ok"] is True
    again = cli.json(
        "cohort",
        "migrate",
        CODE,
        "--lifecycle",
        str(toml),
        "--map",
        "on_class=in_class",
        "--actor",
        "BKD",
        "--reason",
        "new regulation",
        "--key",
        "m-1",
    )
    assert again["participants"] == applied["participants"]
    same = cli.json("cohort", "migrate", CODE, "--lifecycle", str(toml), expect=2)
    assert "already runs this definition" in same["error"]["message"]


def test_a_refused_migration_exits_3_and_writes_nothing(cli: Cli, tmp_path: Path) -> None:
    """An unmapped state or a mapping to an unknown state: exit 3 with every violation."""
    toml = _supervisor_cohort(cli, tmp_path)
    entries = cli.json("verify", CODE)["cohorts"][0]["entries"]
    unmapped = cli.json("cohort", "migrate", CODE, "--lifecycle", str(toml), expect=3)
    assert unmapped["outcome"] == "refused"
    assert unmapped["error"]["kind"] == "migration_refused"
    assert [v["code"] for v in unmapped["violations"]] == ["state_unmapped"]
    unknown = cli(
        "cohort", "migrate", CODE, "--lifecycle", str(toml), "--map", "on_class=lecture", expect=3
    )
    assert unknown.stderr.splitlines()[0] == f"error: migration of {CODE} refused"
    assert unknown.stderr.splitlines()[1].startswith("  state_unknown: ")
    assert cli.json("verify", CODE)["cohorts"][0]["entries"] == entries
    assert cli.json("cohort", "show", CODE)["lifecycle"]["name"] == "change_project"


def test_cohort_migrate_refuses_bad_arguments(cli: Cli, tmp_path: Path) -> None:
    """A malformed or contradictory --map and an unknown cohort exit 2."""
    toml = _supervisor_cohort(cli, tmp_path)
    bad_map = cli.json(
        "cohort", "migrate", CODE, "--lifecycle", str(toml), "--map", "on_class", expect=2
    )
    assert bad_map["error"]["message"] == "--map 'on_class' is not OLD=NEW"
    cli(
        "cohort",
        "migrate",
        CODE,
        "--lifecycle",
        str(toml),
        "--map",
        "a=b",
        "--map",
        "a=c",
        expect=2,
    )
    unknown = cli.json("cohort", "migrate", "PKA-9", "--lifecycle", str(toml), expect=2)
    assert unknown["error"]["kind"] == "unknown_cohort"
