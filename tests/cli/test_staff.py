"""The CLI's staff and actors: staff add/list, --actor on writes, refusals and their exits.

The ``cli`` fixture acts as ADMIN (every staff role of the cohorts it creates); these tests
act as others with ``--actor``, and as nobody with an empty CHANGEFLOW_ACTOR.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

from cli.support import ADMIN, AS_MENTOR, MENTOR_NIP, PROJECT, to_seminar

if TYPE_CHECKING:
    from pathlib import Path

    from cli.support import Cli

NOBODY = {"CHANGEFLOW_ACTOR": ""}
"""An environment naming no actor."""
COACH = "bpsdm-coach"
EXAMINER = "penguji-1"


def audit_rows(db_path: Path) -> int:
    """How many audit entries the database file holds."""
    connection = sqlite3.connect(db_path)
    try:
        (count,) = connection.execute("SELECT count(*) FROM audit").fetchone()
    finally:
        connection.close()
    return int(count)


def add_coach_and_examiner(cli: Cli, cohort: str) -> None:
    """Add a coach-only and an examiner-only member, as ADMIN."""
    cli("staff", "add", cohort, COACH, "--name", "Coach BPSDM", "--role", "coach")
    cli("staff", "add", cohort, EXAMINER, "--name", "Penguji Satu", "--role", "examiner")


def at_proposal(cli: Cli, cohort: str, nip: str) -> None:
    """Take an enrolled participant to the proposal, a project with a mentor registered."""
    cli("fire", cohort, nip, "start_class")
    cli("project", cohort, nip, *PROJECT)
    cli("fire", cohort, nip, "present_proposal")


# -- staff add / list -------------------------------------------------------------------------


def test_staff_add_prints_the_member_and_list_shows_every_member(cli: Cli, cohort: str) -> None:
    """The added member is printed (roles repeatable); staff list shows each with its roles."""
    added = cli("staff", "add", cohort, "bkd-2", "--name", "Staf BKD", "--role", "organiser")
    assert added.stdout.strip() == f"{cohort}: bkd-2 (Staf BKD) is organiser"
    both = cli(
        "staff",
        "add",
        cohort,
        COACH,
        "--name",
        "Coach BPSDM",
        "--role",
        "examiner",
        "--role",
        "coach",
    )
    assert both.stdout.strip() == f"{cohort}: {COACH} (Coach BPSDM) is coach, examiner"
    lines = cli("staff", "list", cohort).stdout.splitlines()
    assert lines[0].split() == ["id", "name", "roles"]
    rows = [line.split(maxsplit=1)[0] for line in lines[2:]]
    assert rows == sorted([ADMIN, "bkd-2", COACH])
    (coach_line,) = [line for line in lines if line.startswith(COACH)]
    assert coach_line.rstrip().endswith("coach, examiner")


def test_staff_add_and_list_in_json(cli: Cli, cohort: str) -> None:
    """--json prints the member and its audit seq; the list holds every member's roles."""
    added = cli.json("staff", "add", cohort, EXAMINER, "--name", "Penguji", "--role", "examiner")
    assert added["staff"] == {"id": EXAMINER, "name": "Penguji", "roles": ["examiner"]}
    assert isinstance(added["seq"], int)
    listed = cli.json("staff", "list", cohort)
    assert listed["cohort"] == cohort
    by_id = {m["id"]: m for m in listed["staff"]}
    assert by_id[ADMIN]["roles"] == ["coach", "examiner", "organiser"]
    assert by_id[EXAMINER] == {"id": EXAMINER, "name": "Penguji", "roles": ["examiner"]}
    assert len(by_id) == 2


def test_staff_add_by_a_non_organiser_exits_3(cli: Cli, cohort: str, db_path: Path) -> None:
    """A coach adding staff is refused (not_permitted, exit 3); the staff list is unchanged."""
    add_coach_and_examiner(cli, cohort)
    before = cli.json("staff", "list", cohort)
    rows = audit_rows(db_path)
    refused = cli.json(
        "staff",
        "add",
        cohort,
        "x",
        "--name",
        "X",
        "--role",
        "organiser",
        "--actor",
        COACH,
        expect=3,
    )
    assert [v["code"] for v in refused["violations"]] == ["not_permitted"]
    assert refused["violations"][0]["facts"] == {
        "actor": COACH,
        "allowed": ["organiser"],
        "held": ["coach"],
    }
    assert cli.json("staff", "list", cohort) == before
    assert audit_rows(db_path) == rows + 1


def test_an_unknown_role_is_a_usage_error(cli: Cli, cohort: str, db_path: Path) -> None:
    """--role mentor (not a staff role) exits 2 and writes nothing."""
    rows = audit_rows(db_path)
    result = cli("staff", "add", cohort, "x", "--name", "X", "--role", "mentor", expect=2)
    assert "mentor" in result.stderr
    assert audit_rows(db_path) == rows


# -- actors on writes -------------------------------------------------------------------------


def test_a_write_with_no_actor_exits_2_with_a_hint_and_writes_nothing(
    cli: Cli, enrolled: list[str], db_path: Path
) -> None:
    """No --actor and an empty CHANGEFLOW_ACTOR: exit 2, the hint names both, no audit row."""
    rows = audit_rows(db_path)
    writes = [
        ("fire", "PKA-1", enrolled[0], "start_class"),
        ("staff", "add", "PKA-1", "x", "--name", "X", "--role", "coach"),
        ("project", "PKA-1", enrolled[0], *PROJECT),
    ]
    for write in writes:
        result = cli(*write, env=NOBODY, expect=2)
        assert "--actor" in result.stderr, write
        assert "CHANGEFLOW_ACTOR" in result.stderr, write
    assert audit_rows(db_path) == rows
    assert cli.json("events", "PKA-1", enrolled[0])["state"] == "enrolled"


def test_an_unknown_actor_exits_3_and_only_the_refused_attempt_is_added(
    cli: Cli, enrolled: list[str], db_path: Path
) -> None:
    """An actor who is not staff is refused (exit 3): one refused entry, the state unchanged."""
    nip = enrolled[0]
    rows = audit_rows(db_path)
    refused = cli.json("fire", "PKA-1", nip, "start_class", "--actor", "random-clerk", expect=3)
    assert refused["outcome"] == "refused"
    assert refused["violations"][0]["code"] == "not_permitted"
    assert refused["violations"][0]["facts"]["held"] == []
    assert audit_rows(db_path) == rows + 1
    last = cli.json("history", nip)["history"][-1]
    assert (last["actor"], last["outcome"], last["role"]) == ("random-clerk", "refused", None)
    assert cli.json("events", "PKA-1", nip)["state"] == "enrolled"


def test_approval_by_admin_exits_3_and_by_the_mentor_0(cli: Cli, enrolled: list[str]) -> None:
    """ADMIN (every staff role) may not approve: not_permitted; the mentor's NIP may."""
    nip = enrolled[0]
    at_proposal(cli, "PKA-1", nip)
    refused = cli.json("fire", "PKA-1", nip, "approve_proposal", expect=3)
    assert [v["code"] for v in refused["violations"]] == ["not_permitted"]
    assert refused["violations"][0]["facts"]["allowed"] == ["mentor"]
    accepted = cli.json("fire", "PKA-1", nip, "approve_proposal", *AS_MENTOR)
    assert (accepted["to"], accepted["actor"], accepted["role"]) == (
        "laboratory",
        MENTOR_NIP,
        "mentor",
    )


def test_graduate_by_a_coach_exits_3_and_by_an_examiner_0(
    cli: Cli, enrolled: list[str], db_path: Path
) -> None:
    """A coach-only member may not graduate (exit 3, one refused entry); an examiner may."""
    nip = enrolled[0]
    add_coach_and_examiner(cli, "PKA-1")
    to_seminar(cli, "PKA-1", nip)
    cli("assess", "PKA-1", nip, "--score", "85", "--actor", EXAMINER)
    rows = audit_rows(db_path)
    refused = cli.json("fire", "PKA-1", nip, "graduate", "--actor", COACH, expect=3)
    assert refused["violations"][0]["facts"] == {
        "actor": COACH,
        "allowed": ["examiner"],
        "held": ["coach"],
    }
    assert audit_rows(db_path) == rows + 1
    graduated = cli.json("fire", "PKA-1", nip, "graduate", "--actor", EXAMINER)
    assert (graduated["to"], graduated["role"]) == ("graduated", "examiner")


def test_events_lists_only_what_the_actor_may_fire(cli: Cli, enrolled: list[str]) -> None:
    """With --actor, events lists: the mentor approve, the coach revise, a stranger nothing."""
    nip = enrolled[0]
    add_coach_and_examiner(cli, "PKA-1")
    at_proposal(cli, "PKA-1", nip)

    def listed(*extra: str) -> list[str]:
        events: list[str] = cli.json("events", "PKA-1", nip, *extra)["events"]
        return events

    assert listed(*AS_MENTOR) == ["approve_proposal"]
    assert listed("--actor", COACH) == ["revise_proposal"]
    assert listed("--actor", EXAMINER) == []
    assert listed("--actor", "random-clerk", "--reason", "sakit") == []
    assert listed("--actor", ADMIN, "--reason", "sakit") == ["revise_proposal", "withdraw", "drop"]
    text = cli("events", "PKA-1", nip, *AS_MENTOR).stdout
    assert text.strip() == f"{nip} is proposal; allowed now: approve_proposal"
