"""The whole cohort: advance, status, history, verify, export and diagram."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from datetime import date, timedelta
from typing import TYPE_CHECKING

import pytest

from changeflow.cli.app import app as cli_app
from cli.support import AS_MENTOR, PROJECT, Cli, nip_of, person, tamper, to_seminar, write_roster

if TYPE_CHECKING:
    from pathlib import Path


def test_advance_reports_accepted_refused_and_skipped(cli: Cli, enrolled: list[str]) -> None:
    """A bulk event lists who moved and who was refused (exit 3), and counts the skipped."""
    cli("advance", "PKA-1", "start_class")
    cli("project", "PKA-1", enrolled[0], "--title", "T", "--theme", "t", "--mentor", "M")
    cli("fire", "PKA-1", enrolled[2], "withdraw", "--reason", "moved")
    report = cli.json("advance", "PKA-1", "present_proposal", expect=3)
    assert report["cohort"] == "PKA-1"
    assert report["event"] == "present_proposal"
    assert report["accepted"] == [enrolled[0]]
    assert [r["nip"] for r in report["refused"]] == [enrolled[1]]
    assert report["refused"][0]["violations"][0]["code"] == "change_project_missing"
    assert report["skipped"] == 1


def test_advance_table_and_exit_0(cli: Cli, enrolled: list[str]) -> None:
    """With nobody refused advance exits 0 and draws a table with participants' names."""
    assert len(enrolled) == 3
    result = cli("advance", "PKA-1", "start_class", "--actor", "BKD")
    assert result.stdout.splitlines()[0] == (
        "start_class: 3 accepted, 0 refused, 0 skipped (in other states)"
    )
    assert "Peserta 1" in result.stdout
    assert "enrolled -> on_class" in result.stdout
    assert result.stderr == ""
    assert cli.json("advance", "PKA-1", "start_class")["accepted"] == []


def test_advance_shows_progress_on_stderr_for_large_cohorts(
    cli: Cli, enrolled: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the threshold a progress note goes to stderr while stdout stays pure JSON."""
    monkeypatch.setattr("changeflow.cli.cohort_views.PROGRESS_THRESHOLD", len(enrolled))
    result = cli("advance", "PKA-1", "start_class", "--json")
    assert json.loads(result.stdout)["accepted"] == enrolled
    assert result.stderr.startswith("start_class: 3 participants of PKA-1 ...")
    assert "done in" in result.stderr


def test_advance_with_an_unknown_event_or_cohort_exits_2(cli: Cli, enrolled: list[str]) -> None:
    """Advance refuses unknown names before touching anyone."""
    assert enrolled
    cli("advance", "PKA-1", "promote", expect=2)
    cli("advance", "PKA-9", "start_class", expect=2)


def test_status_json_and_table(cli: Cli, enrolled: list[str]) -> None:
    """Status lists participants with state and office, and counts every state."""
    cli("fire", "PKA-1", enrolled[0], "start_class")
    status = cli.json("status", "PKA-1")
    assert status["cohort"] == "PKA-1"
    first = status["participants"][0]
    assert first["nip"] == enrolled[0]
    assert first["name"] == "Peserta 1"
    assert first["office"] == "DINAS-NOMOR-1"
    assert first["state"] == "on_class"
    assert status["counts"]["on_class"] == 1
    assert status["counts"]["enrolled"] == 2
    assert status["counts"]["graduated"] == 0
    assert set(status["counts"]) >= {"withdrawn", "dropped", "not_passed"}
    assert status["total"] == 3
    table = cli("status", "PKA-1").stdout
    assert "PKA-1: 3 participant(s)" in table
    assert "on_class" in table
    cli("status", "PKA-9", expect=2)


def test_history_is_oldest_first_with_refusals(cli: Cli, enrolled: list[str]) -> None:
    """History gives every attempt in order, refused ones with their violations."""
    nip = enrolled[0]
    cli("fire", "PKA-1", nip, "withdraw", expect=3)
    cli("fire", "PKA-1", nip, "start_class", "--actor", "BKD")
    document = cli.json("history", nip)
    assert document["nip"] == nip
    entries = document["history"]
    assert [e["event"] for e in entries] == ["enrol", "withdraw", "start_class"]
    assert [e["outcome"] for e in entries] == ["accepted", "refused", "accepted"]
    assert entries[0]["seq"] < entries[1]["seq"] < entries[2]["seq"]
    for key in (
        "seq",
        "at",
        "cohort",
        "actor",
        "event",
        "from",
        "to",
        "outcome",
        "reason",
        "violations",
    ):
        assert key in entries[1]
    assert entries[1]["violations"][0]["code"] == "reason_required"
    assert (entries[2]["from"], entries[2]["to"], entries[2]["actor"]) == (
        "enrolled",
        "on_class",
        "BKD",
    )
    assert len(cli.json("history", nip, "--cohort", "PKA-1")["history"]) == 3
    table = cli("history", nip).stdout
    assert "reason_required" in table


def test_history_of_an_unknown_nip_or_cohort_exits_2(cli: Cli, enrolled: list[str]) -> None:
    """A NIP with no history, or an unknown --cohort, is an unknown name."""
    assert cli.json("history", nip_of(99), expect=2)["error"]["kind"] == "unknown_participant"
    cli("history", enrolled[0], "--cohort", "PKA-9", expect=2)


def test_history_filtered_by_event_actor_and_time(cli: Cli, enrolled: list[str]) -> None:
    """--event, --actor, --since and --until narrow the history; without a NIP, anyone's."""
    cli("staff", "add", "PKA-1", "coach-1", "--name", "Coach", "--role", "organiser")
    cli("fire", "PKA-1", enrolled[0], "start_class")
    cli("fire", "PKA-1", enrolled[1], "start_class", "--actor", "coach-1")
    cli("fire", "PKA-1", enrolled[2], "withdraw", "--actor", "coach-1", expect=3)
    started = cli.json("history", "--cohort", "PKA-1", "--event", "start_class")
    assert started["nip"] is None
    assert [e["nip"] for e in started["history"]] == enrolled[:2]
    by_coach = cli.json("history", "--actor", "coach-1")["history"]
    assert [(e["nip"], e["outcome"]) for e in by_coach] == [
        (enrolled[1], "accepted"),
        (enrolled[2], "refused"),
    ]
    everything = cli.json("history", "--cohort", "PKA-1")["history"]
    middle = everything[-2]["at"]  # coach-1's start_class
    since = cli.json("history", "--cohort", "PKA-1", "--since", middle)["history"]
    assert [e["seq"] for e in since] == [e["seq"] for e in everything[-2:]]
    until = cli.json("history", "--cohort", "PKA-1", "--until", middle)["history"]
    assert [e["seq"] for e in until] == [e["seq"] for e in everything[:-2]]
    today = date.fromisoformat(everything[-1]["at"][:10])
    assert (
        cli.json("history", "--until", today.isoformat())["history"]
        == cli.json("history")["history"]
    )
    tomorrow = (today + timedelta(days=1)).isoformat()
    assert cli.json("history", enrolled[0], "--since", tomorrow)["history"] == []
    table = cli("history", "--event", "start_class").stdout
    assert enrolled[1] in table
    assert " nip " in table.splitlines()[0] + " "


def test_history_filters_refuse_bad_input_and_unknown_people(cli: Cli, enrolled: list[str]) -> None:
    """A bad --since is exit 2; a NIP with no history at all stays unknown under filters."""
    bad = cli.json("history", "--since", "yesterday", expect=2)["error"]
    assert "--since 'yesterday' is neither a date nor a date and time" in bad["message"]
    unknown = cli.json("history", nip_of(99), "--event", "enrol", expect=2)["error"]
    assert unknown["kind"] == "unknown_participant"
    assert cli.json("history", enrolled[0], "--event", "graduate")["history"] == []


def test_status_lists_only_the_states_asked_for(cli: Cli, enrolled: list[str]) -> None:
    """--state (repeatable) lists the participants in those states; the counts stay whole."""
    cli("fire", "PKA-1", enrolled[1], "start_class")
    document = cli.json("status", "PKA-1", "--state", "on_class")
    assert [p["nip"] for p in document["participants"]] == [enrolled[1]]
    assert document["counts"]["enrolled"] == 2
    both = cli.json("status", "PKA-1", "--state", "on_class", "--state", "enrolled")
    assert [p["nip"] for p in both["participants"]] == enrolled
    unknown = cli.json("status", "PKA-1", "--state", "graduating", expect=2)["error"]
    assert "'graduating' is not a state of PKA-1's lifecycle" in unknown["message"]


def test_verify_an_intact_chain(cli: Cli, enrolled: list[str]) -> None:
    """Verify exits 0 and reports each cohort's entries and head."""
    checked = cli.json("verify")
    assert checked["ok"] is True
    (cohort,) = checked["cohorts"]
    assert cohort["cohort"] == "PKA-1"
    assert cohort["ok"] is True
    assert cohort["entries"] == len(enrolled) + 2  # create_cohort, then the staff added
    assert cohort["head"]["seq"] == len(enrolled) + 2
    assert cohort["differences"] == []
    assert "audit chain intact (5 entries" in cli("verify", "PKA-1").stdout


def test_verify_names_the_first_edited_row(cli: Cli, enrolled: list[str], db_path: Path) -> None:
    """An audit row edited behind changeflow's back makes verify exit 1 naming that row."""
    assert enrolled
    tamper(db_path, "UPDATE audit SET actor = 'forger' WHERE seq = 2")
    checked = cli.json("verify", "PKA-1", expect=1)
    assert checked["ok"] is False
    assert checked["cohorts"][0]["first_bad_seq"] == 2
    result = cli("verify", "PKA-1", expect=1)
    assert "BROKEN at entry 2" in result.stdout
    assert result.stderr.startswith("hint: ")


def test_verify_notices_a_missing_tail(cli: Cli, enrolled: list[str], db_path: Path) -> None:
    """Deleting the last audit rows makes verify exit 1 and report the missing tail."""
    assert len(enrolled) == 3  # seq 1 creates the cohort, 2 adds its staff, 3 to 5 enrol
    tamper(db_path, "DELETE FROM audit WHERE seq = 5")
    checked = cli.json("verify", expect=1)["cohorts"][0]
    assert checked["missing_tail"] is True
    assert checked["first_bad_seq"] == 5
    assert "missing tail" in cli("verify", expect=1).stdout


def test_verify_an_unknown_cohort_exits_2(cli: Cli) -> None:
    """Verifying a cohort that does not exist is an unknown name."""
    cli("verify", "PKA-9", expect=2)
    assert cli.json("verify") == {"schema_version": 2, "ok": True, "cohorts": [], "against": None}


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("data", "'{\"grade\": '"),
        ("payload", "'[1]'"),
        ("violations", "'nope'"),
        ("change", "'{bad'"),
        ("at", "'yesterday'"),
        ("effective_date", "'2024-02-30'"),
        ("at", "20240301"),
    ],
)
def test_verify_names_a_malformed_audit_row_and_its_column(
    cli: Cli, enrolled: list[str], db_path: Path, column: str, value: str
) -> None:
    """A malformed value in an audit row: verify exits 1 naming cohort, entry and column.

    History and status --as-of exit 1 naming the row too, never with an internal error.
    """
    tamper(db_path, f"UPDATE audit SET {column} = {value} WHERE seq = 4")  # noqa: S608
    [check] = cli.json("verify", expect=1)["cohorts"]
    assert (check["cohort"], check["first_bad_seq"], check["field"]) == ("PKA-1", 4, column)
    result = cli("verify", "PKA-1", expect=1)
    assert f"PKA-1: audit chain BROKEN at entry 4: entry 4 cannot be read ({column}): " in (
        result.stdout
    )
    for command in (
        ("history", enrolled[1]),
        ("status", "PKA-1", "--as-of", "2099-01-01T00:00Z"),
    ):
        error = cli.json(*command, expect=1)["error"]
        assert error["kind"] == "unreadable_entry"
        assert f"audit entry 4 of PKA-1 cannot be read ({column})" in error["message"]


def test_verify_of_a_file_cut_short_names_the_entry_or_the_damage(
    cli: Cli, tmp_path: Path, db_path: Path
) -> None:
    """A copy cut 100 bytes short (in audit pages): verify names the entry, or the damage.

    Exit 1 naming the first entry that cannot be read, or (should SQLite refuse the file)
    a message that the database is damaged: never an internal error.
    """
    cli("cohort", "create", "PKA-9", "--name", "Besar", "--start", "2024-03-01",
        "--end", "2024-07-31", "--capacity", "400")  # fmt: skip
    roster = write_roster(tmp_path / "many.csv", [person(n) for n in range(1, 241)])
    # One transaction per row leaves the audit trail's pages last in the file.
    cli("enrol", "PKA-9", "--csv", str(roster), "--batch-size", "1")
    connection = sqlite3.connect(db_path, isolation_level=None)
    try:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        last = connection.execute(
            "SELECT name FROM dbstat WHERE pageno = (SELECT max(pageno) FROM dbstat)"
        ).fetchone()
    finally:
        connection.close()
    assert last == ("audit",)  # the cut lands in the audit trail's pages
    cut = tmp_path / "cut.db"
    data = db_path.read_bytes()
    cut.write_bytes(data[:-100])
    damaged = Cli(f"sqlite:///{cut}", cli.runner)
    result = damaged("verify", expect=None)
    assert result.exit_code in {1, 2}
    assert "internal error" not in result.output
    if "BROKEN at entry" in result.stdout:
        assert result.exit_code == 1
        assert re.search(
            r"PKA-9: audit chain BROKEN at entry (\d+): entry \1 cannot be read \(", result.stdout
        )
    else:
        assert "damaged" in result.stderr or "malformed" in result.stderr


def test_export_prints_or_writes_the_engine_export(
    cli: Cli, enrolled: list[str], tmp_path: Path
) -> None:
    """Export is the engine's JSON export, on stdout or into --output."""
    exported = json.loads(cli("export", "PKA-1").stdout)
    assert exported["schema_version"] == 1
    assert exported["cohort"]["code"] == "PKA-1"
    assert [p["nip"] for p in exported["participants"]] == enrolled
    assert exported["lifecycle"]["name"] == "change_project"
    assert [e["event"] for e in exported["history"]] == ["create_cohort", "add_staff"] + [
        "enrol"
    ] * 3
    assert exported["head"]["seq"] == 5
    target = tmp_path / "export.json"
    written = cli("export", "PKA-1", "--output", str(target))
    assert written.stdout == ""
    assert json.loads(target.read_text(encoding="utf-8")) == exported
    cli("export", "PKA-9", expect=2)
    cli("export", "PKA-1", "--output", str(tmp_path / "no" / "such.json"), expect=2)


def test_export_gives_the_same_bytes_in_every_process(
    cli: Cli, enrolled: list[str], tmp_path: Path
) -> None:
    """Two exports of the same data, in this process and in two others (hash seeds 1 and 2)."""
    cli("project", "PKA-1", enrolled[0], *PROJECT)
    cli("assess", "PKA-1", enrolled[0], "--score", "88")
    exported = cli("export", "PKA-1").stdout
    assert cli("export", "PKA-1").stdout == exported
    for seed in ("1", "2"):
        target = tmp_path / f"seed-{seed}.json"
        args = ["--db", cli.url, "export", "PKA-1", "--output", str(target)]
        done = subprocess.run(
            [sys.executable, "-m", "changeflow.cli", *args],
            capture_output=True,
            timeout=60,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        )
        assert done.stdout == b""
        assert target.read_bytes() == exported.encode("utf-8")


def test_export_overwrites_a_file_only_with_force(
    cli: Cli, enrolled: list[str], tmp_path: Path
) -> None:
    """An existing --output file is left unchanged (exit 2, a hint) unless --force is given."""
    target = tmp_path / "export.json"
    target.write_text("keep me", encoding="utf-8")
    refused = cli("export", "PKA-1", "--output", str(target), expect=2)
    assert "already exists" in refused.stderr
    assert "hint: pass --force to overwrite it" in refused.stderr
    assert target.read_text(encoding="utf-8") == "keep me"
    cli("export", "PKA-1", "--output", str(target), "--force")
    exported = json.loads(target.read_text(encoding="utf-8"))
    assert [p["nip"] for p in exported["participants"]] == enrolled


def test_diagram_formats_and_headcounts(cli: Cli, enrolled: list[str]) -> None:
    """Diagram prints Mermaid or dot; with --cohort each state carries its headcount."""
    assert enrolled
    mermaid = cli("diagram").stdout
    assert mermaid.startswith("stateDiagram-v2\n")
    assert "enrolled --> on_class: start_class" in mermaid
    dot = cli("diagram", "--format", "dot").stdout
    assert dot.startswith('digraph "')
    counted = cli("diagram", "--cohort", "PKA-1").stdout
    assert "enrolled : enrolled (3)" in counted
    assert "on_class : on_class (0)" in counted
    assert 'label="enrolled (3)"' in cli("diagram", "--format", "dot", "--cohort", "PKA-1").stdout
    cli("diagram", "--format", "svg", expect=2)
    cli("diagram", "--cohort", "PKA-9", expect=2)


def test_diagram_without_a_cohort_needs_no_database(tmp_path: Path) -> None:
    """The plain lifecycle diagram works before any database exists."""
    from typer.testing import CliRunner  # noqa: PLC0415

    result = CliRunner().invoke(cli_app, ["--db", f"sqlite:///{tmp_path / 'none.db'}", "diagram"])
    assert result.exit_code == 0
    assert not (tmp_path / "none.db").exists()


def test_verbose_logs_transitions_on_stderr(cli: Cli, enrolled: list[str]) -> None:
    """-v logs each transition on stderr and leaves stdout to the result."""
    result = cli("-v", "fire", "PKA-1", enrolled[0], "start_class", "--json")
    assert json.loads(result.stdout)["to"] == "on_class"
    assert "transition" in result.stderr
    assert "start_class" in result.stderr
    quiet = cli("fire", "PKA-1", enrolled[1], "start_class")
    assert quiet.stderr == ""


def test_groups_are_audited_and_refused_once_someone_graduated(
    cli: Cli, enrolled: list[str]
) -> None:
    """Each placement is a form_groups entry; after a graduation a re-run is refused (exit 3)."""
    for nip in enrolled:
        cli("project", "PKA-1", nip, *PROJECT)
    formed = cli.json("groups", "PKA-1", "--count", "2", "--actor", "BKD", "--reason", "week 1")
    placed = {nip: g["number"] for g in formed["groups"] for nip in g["members"]}
    entry = cli.json("history", enrolled[0])["history"][-1]
    assert (entry["event"], entry["actor"], entry["reason"]) == ("form_groups", "BKD", "week 1")
    assert entry["data"]["group"] == placed[enrolled[0]]
    nip = enrolled[0]
    cli("fire", "PKA-1", nip, "start_class")
    cli("fire", "PKA-1", nip, "present_proposal")
    cli("fire", "PKA-1", nip, "approve_proposal", *AS_MENTOR)
    cli("fire", "PKA-1", nip, "present_results")
    cli("assess", "PKA-1", nip, "--score", "85")
    cli("fire", "PKA-1", nip, "graduate")
    refused = cli.json("groups", "PKA-1", "--count", "3", expect=3)
    assert refused["event"] == "form_groups"
    assert [v["code"] for v in refused["violations"]] == ["record_closed"]
    assert refused["violations"][0]["facts"]["nip"] == nip
    text = cli("groups", "PKA-1", "--count", "3", expect=3)
    assert (
        text.stderr.splitlines()[0] == "error: 'form_groups' refused in PKA-1: nobody was regrouped"
    )
    after = {p["nip"]: p["group"] for p in cli.json("status", "PKA-1")["participants"]}
    assert after == placed


def test_status_as_of_replays_the_chain(cli: Cli, enrolled: list[str]) -> None:
    """--as-of shows states, projects, scores and groups as they were at that moment."""
    nip = enrolled[0]
    to_seminar(cli, "PKA-1", nip)
    then = cli.json("history", nip)["history"][-1]["at"]  # present_results: in the seminar
    cli("assess", "PKA-1", nip, "--score", "85")
    cli("groups", "PKA-1", "--count", "1")
    cli("fire", "PKA-1", nip, "graduate")
    now = cli.json("status", "PKA-1")
    assert now["as_of"] is None
    assert (now["participants"][0]["state"], now["participants"][0]["scores"]) == (
        "graduated",
        {"overall": 85.0},
    )
    past = cli.json("status", "PKA-1", "--as-of", then)
    assert past["as_of"] == then
    first = past["participants"][0]
    assert (first["state"], first["scores"], first["group"]) == ("seminar", {}, None)
    assert first["project"]["title"] == "Antrean online"
    assert past["counts"]["seminar"] == 1
    assert past["counts"]["graduated"] == 0
    assert past["total"] == 3
    before_anything = cli.json("status", "PKA-1", "--as-of", "2000-01-01T00:00:00+07:00")
    assert before_anything["participants"] == []
    text = cli("status", "PKA-1", "--as-of", then).stdout
    assert text.startswith(f"PKA-1 as of {then}: 3 participant(s)")
    assert "Antrean online" in text


def test_status_as_of_needs_a_timezone(cli: Cli, enrolled: list[str]) -> None:
    """A time without a timezone, or no time at all, is unusable input (exit 2)."""
    assert enrolled
    naive = cli("status", "PKA-1", "--as-of", "2024-04-01T12:00", expect=2)
    assert naive.stderr.splitlines()[0] == "error: --as-of '2024-04-01T12:00' has no timezone"
    cli("status", "PKA-1", "--as-of", "yesterday", expect=2)
    assert cli.json("status", "PKA-1", "--as-of", "2024-04-01T12:00Z")["as_of"] == (
        "2024-04-01T12:00:00+00:00"
    )


def test_verify_catches_a_score_edited_on_the_database_file(
    cli: Cli, enrolled: list[str], db_path: Path
) -> None:
    """UPDATE assessments SET score = 99 behind changeflow's back: exit 1 naming the fact."""
    nip = enrolled[0]
    to_seminar(cli, "PKA-1", nip)
    cli("assess", "PKA-1", nip, "--score", "85")
    assert cli.json("verify", "PKA-1")["ok"] is True
    connection = sqlite3.connect(db_path, isolation_level=None)
    try:
        connection.execute("UPDATE assessments SET score = 99")
    finally:
        connection.close()
    checked = cli.json("verify", "PKA-1", expect=1)
    assert checked["ok"] is False
    (cohort,) = checked["cohorts"]
    assert cohort["first_bad_seq"] is None  # the chain itself is intact
    assert cohort["differences"] == [
        {"table": "assessments", "key": nip, "field": "overall", "stored": 99.0, "replayed": 85.0}
    ]
    result = cli("verify", "PKA-1", expect=1)
    assert result.stdout.splitlines() == [
        "PKA-1: stored facts DIFFER from the audit chain (1 difference(s)):",
        f"  assessments {nip} overall: stored 99.0, the audit chain says 85.0",
    ]
    assert result.stderr.startswith("hint: ")


def test_verify_catches_a_project_edited_on_the_database_file(
    cli: Cli, enrolled: list[str], db_path: Path
) -> None:
    """A project title changed directly in the database is a difference too."""
    cli("project", "PKA-1", enrolled[0], *PROJECT)
    tamper(db_path, "UPDATE change_projects SET title = 'Forged'")
    checked = cli.json("verify", expect=1)["cohorts"][0]
    assert [(d["table"], d["key"]) for d in checked["differences"]] == [
        ("change_projects", enrolled[0])
    ]
    assert "Forged" in cli("verify", expect=1).stdout


def test_advance_dry_run_judges_everyone_and_moves_nobody(cli: Cli, enrolled: list[str]) -> None:
    """A dry run reports who would move and who would be refused; nobody moves, nothing audited."""
    cli("advance", "PKA-1", "start_class")
    cli("project", "PKA-1", enrolled[0], "--title", "T", "--theme", "t", "--mentor", "M")
    before = cli.json("checkpoints")["checkpoints"]
    report = cli.json("advance", "PKA-1", "present_proposal", "--dry-run", expect=3)
    assert (report["dry_run"], report["accepted"]) == (True, [enrolled[0]])
    assert [r["nip"] for r in report["refused"]] == enrolled[1:]
    assert cli.json("checkpoints")["checkpoints"] == before  # the chain heads did not move
    states = {p["nip"]: p["state"] for p in cli.json("status", "PKA-1")["participants"]}
    assert set(states.values()) == {"on_class"}
    assert (
        "dry run: nothing was written" in cli("advance", "PKA-1", "start_class", "--dry-run").stderr
    )
