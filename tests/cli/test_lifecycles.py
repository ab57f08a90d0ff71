"""Cohorts keep their lifecycle: events, fire, advance, status and diagram use the cohort's own."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from changeflow import (
    ChangeProject,
    Cohort,
    CohortParameters,
    Lifecycle,
    Mentor,
    Office,
    Participant,
    RuleRegistry,
    load_definition,
)
from changeflow.rules import Rank
from changeflow.store.sql import SqlStore
from cli.support import SUPERVISOR, Cli, builtin_supervisor, nip_of, person, write_roster
from factories import trusted_engine

OLD_DATABASE = Path(__file__).resolve().parents[1] / "data" / "schema_0001.sqlite"
SUPERVISOR_STATES = ["enrolled", "in_class", "action_project", "passed", "not_passed", "withdrawn"]
RINA, YOGA = "198504122010012004", "198811302012011005"


@pytest.fixture
def custom_cohort(cli: Cli) -> str:
    """PKP-2024-II written as examples/custom_lifecycle.py does: Rina passed, Yoga in class."""
    rules = RuleRegistry.default()
    rules.register("supervisor_rank", Rank())
    definition = load_definition(SUPERVISOR, rules)
    with trusted_engine(
        SqlStore(cli.url), lifecycle=Lifecycle(definition, rules), rules=rules
    ) as engine:
        engine.create_cohort(
            Cohort(
                code="PKP-2024-II",
                name="PKP angkatan II 2024",
                start=date(2024, 8, 1),
                end=date(2024, 10, 31),
                capacity=20,
                parameters=CohortParameters(
                    eligible_ranks=frozenset({"IV.a", "IV.b", "pengawas"}),
                    min_years_to_retirement=3,
                    max_per_office=1,
                ),
            )
        )
        dishub = Office(code="DISHUB", name="Dinas Perhubungan")
        engine.enrol(
            "PKP-2024-II", Participant(nip=RINA, name="Rina", office=dishub, echelon="IV.a")
        )
        dinkes = Office(code="DINKES", name="Dinas Kesehatan")
        engine.enrol(
            "PKP-2024-II", Participant(nip=YOGA, name="Yoga", office=dinkes, echelon="IV.b")
        )
        engine.advance("PKP-2024-II", "start_class")
        project = ChangeProject(title="Uji KIR", theme="perhubungan", mentor=Mentor(name="Kadis"))
        engine.register_project("PKP-2024-II", RINA, project)
        engine.fire("PKP-2024-II", RINA, "start_project")
        engine.record_assessment("PKP-2024-II", RINA, 84)
        engine.fire("PKP-2024-II", RINA, "pass")
    return "PKP-2024-II"


def test_a_cohort_on_unregistered_rules_is_reported_not_crashed(
    cli: Cli, custom_cohort: str
) -> None:
    """events, fire and advance exit 2 naming supervisor_rank, nothing audited; diagram draws."""
    entries = cli.json("verify", custom_cohort)["cohorts"][0]["entries"]
    for args in (
        ("events", custom_cohort, RINA),
        ("fire", custom_cohort, YOGA, "start_class"),
        ("fire", custom_cohort, YOGA, "start_project"),
        ("advance", custom_cohort, "start_project"),
    ):
        failed = cli.json(*args, expect=2)
        assert failed["error"]["kind"] == "missing_rules", args
        assert failed["rules"] == ["supervisor_rank"]
        assert "supervisor_rank" in failed["error"]["message"]
    text = cli("events", custom_cohort, RINA, expect=2)
    assert text.stderr.splitlines()[0] == (
        "error: lifecycle 'supervisor_course' names rules this changeflow has not registered: "
        "supervisor_rank"
    )
    assert "changeflow.rules" in text.stderr.splitlines()[1]
    drawn = cli("diagram", "--cohort", custom_cohort).stdout  # drawing judges nothing
    assert "in_class --> action_project: start_project" in drawn
    assert "passed : passed (1)" in drawn
    assert cli.json("verify", custom_cohort)["cohorts"][0]["entries"] == entries
    states = {p["nip"]: p["state"] for p in cli.json("status", custom_cohort)["participants"]}
    assert states == {RINA: "passed", YOGA: "in_class"}


def test_status_and_show_read_the_cohorts_own_lifecycle(cli: Cli, custom_cohort: str) -> None:
    """Status counts that lifecycle's states, not the default's; show names the definition."""
    status = cli.json("status", custom_cohort)
    assert list(status["counts"]) == SUPERVISOR_STATES
    assert (status["counts"]["passed"], status["counts"]["in_class"]) == (1, 1)
    assert "on_class" not in cli("status", custom_cohort).stdout
    shown = cli.json("cohort", "show", custom_cohort)
    assert shown["lifecycle"]["name"] == "supervisor_course"
    assert shown["lifecycle"]["sha256"] == load_definition(SUPERVISOR).sha256


def test_a_custom_lifecycle_runs_end_to_end_through_the_cli(cli: Cli, tmp_path: Path) -> None:
    """On a lifecycle with built-in rules: its events, its states, its diagram."""
    toml = builtin_supervisor(tmp_path)
    cli(
        "cohort",
        "create",
        "PKP-1",
        "--name",
        "PKP",
        "--start",
        "2024-08-01",
        "--end",
        "2024-10-31",
        "--lifecycle",
        str(toml),
    )
    roster = write_roster(tmp_path / "r.csv", [person(1), person(2), person(3)])
    cli("enrol", "PKP-1", "--csv", str(roster))
    nip = nip_of(1)
    assert cli.json("events", "PKP-1", nip)["events"] == ["start_class"]
    lacking = cli.json("fire", "PKP-1", nip, "present_proposal", expect=2)
    assert lacking["error"]["kind"] == "unknown_event"
    assert lacking["error"]["hint"] == (
        "known events of supervisor_course: start_class, start_project, pass, fail, withdraw"
    )
    cli("check", "PKP-1", nip, "present_proposal", expect=2)
    cli("advance", "PKP-1", "present_proposal", expect=2)
    moved = cli.json("fire", "PKP-1", nip, "start_class")
    assert (moved["from"], moved["to"]) == ("enrolled", "in_class")
    report = cli.json("advance", "PKP-1", "start_class")
    assert report["accepted"] == [nip_of(2), nip_of(3)]
    status = cli.json("status", "PKP-1")
    assert list(status["counts"]) == SUPERVISOR_STATES
    assert status["counts"]["in_class"] == 3
    drawn = cli("diagram", "--cohort", "PKP-1").stdout
    assert "enrolled --> in_class: start_class" in drawn
    assert "in_class : in_class (3)" in drawn
    assert "on_class" not in drawn
    assert "proposal" not in drawn


def test_a_cohort_pinned_to_no_lifecycle_needs_a_migration(cli: Cli, tmp_path: Path) -> None:
    """A 0001 cohort of a custom lifecycle exits 2 with a hint until migrated to its definition."""
    path = tmp_path / "old.db"
    shutil.copy(OLD_DATABASE, path)
    old = Cli(f"sqlite:///{path}", cli.runner)
    old("init")  # upgrades the 0001 schema (no other command does)
    unpinned = old.json("events", "PKP-2024-II", RINA, expect=2)
    assert unpinned["error"]["kind"] == "definition_mismatch"
    assert "pinned to no lifecycle" in unpinned["error"]["message"]
    assert unpinned["error"]["hint"] == (
        "pin it to its lifecycle: `changeflow cohort migrate PKP-2024-II --lifecycle FILE`"
    )
    old("fire", "PKP-2024-II", RINA, "withdraw", "--reason", "r", expect=2)
    assert old.json("cohort", "show", "PKP-2024-II")["lifecycle"] is None
    shown = old("cohort", "show", "PKP-2024-II")
    assert "lifecycle: none" in shown.stdout
    assert "cohort migrate PKP-2024-II" in shown.stderr
    plan = old.json(
        "cohort",
        "migrate",
        "PKP-2024-II",
        "--lifecycle",
        str(builtin_supervisor(tmp_path)),
        "--reason",
        "pin the lifecycle it ran",
    )
    assert plan["from"] is None
    assert plan["participants"] == [{"nip": RINA, "from": "passed", "to": "passed"}]
    assert old.json("events", "PKP-2024-II", RINA)["events"] == []
    assert old.json("cohort", "show", "PKP-2024-II")["lifecycle"]["name"] == "supervisor_course"
    assert old.json("verify")["ok"] is True
