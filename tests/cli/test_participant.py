"""One participant: fire, check, events, project, assess and groups, with every exit status."""

from __future__ import annotations

import sqlite3
from datetime import date
from typing import TYPE_CHECKING

import pytest

from changeflow import Cohort, CohortParameters, ConcurrentTransition, Engine, GradingScheme
from changeflow.store.sql import SqlStore
from cli.support import ADMIN, PROJECT, nip_of, person, to_seminar, write_roster
from factories import trusted_engine

if TYPE_CHECKING:
    from pathlib import Path

    from cli.support import Cli


def test_an_accepted_event_prints_the_audit_entry(cli: Cli, enrolled: list[str]) -> None:
    """Fire exits 0 and its JSON is the accepted audit entry."""
    entry = cli.json("fire", "PKA-1", enrolled[0], "start_class", "--actor", "BKD")
    assert entry["outcome"] == "accepted"
    assert (entry["from"], entry["to"]) == ("enrolled", "on_class")
    assert entry["event"] == "start_class"
    assert entry["actor"] == "BKD"
    assert entry["nip"] == enrolled[0]
    assert entry["violations"] == []
    assert isinstance(entry["seq"], int)
    text = cli("fire", "PKA-1", enrolled[1], "start_class").stdout
    assert text.startswith(f"{enrolled[1]}: enrolled -> on_class (start_class), audit #")


def test_a_refused_event_exits_3_with_every_reason_and_is_audited(
    cli: Cli, enrolled: list[str]
) -> None:
    """A rule's refusal exits 3, lists its violations and is recorded as refused."""
    nip = enrolled[0]
    cli("fire", "PKA-1", nip, "start_class")
    refused = cli.json("fire", "PKA-1", nip, "present_proposal", expect=3)
    assert refused["outcome"] == "refused"
    assert refused["from"] == "on_class"
    assert [v["code"] for v in refused["violations"]] == ["change_project_missing"]
    assert refused["error"]["exit_code"] == 3
    text = cli("fire", "PKA-1", nip, "withdraw", expect=3)
    assert text.stdout == ""
    assert text.stderr.splitlines()[1] == "  reason_required: 'withdraw' needs a reason"
    history = cli.json("history", nip)["history"]
    assert [e["outcome"] for e in history[-2:]] == ["refused", "refused"]


def test_an_illegal_event_exits_3_and_is_audited(cli: Cli, enrolled: list[str]) -> None:
    """An event that does not leave the current state exits 3 (illegal_transition)."""
    result = cli.json("fire", "PKA-1", enrolled[0], "graduate", expect=3)
    assert result["error"]["kind"] == "illegal_transition"
    assert result["violations"][0]["code"] == "illegal_transition"
    assert cli.json("history", enrolled[0])["history"][-1]["event"] == "graduate"


def test_unknown_names_exit_2_and_are_not_audited(cli: Cli, enrolled: list[str]) -> None:
    """An unknown event, NIP or cohort exits 2 with a hint and writes nothing."""
    entries = cli.json("verify", "PKA-1")["cohorts"][0]["entries"]
    event = cli.json("fire", "PKA-1", enrolled[0], "promote", expect=2)["error"]
    assert event["kind"] == "unknown_event"
    assert "start_class" in event["hint"]
    who = cli.json("fire", "PKA-1", nip_of(99), "start_class", expect=2)["error"]
    assert who["kind"] == "unknown_participant"
    where = cli("fire", "PKA-9", enrolled[0], "start_class", expect=2)
    assert where.stderr.splitlines()[0] == "error: unknown cohort 'PKA-9'"
    assert cli.json("verify", "PKA-1")["cohorts"][0]["entries"] == entries


def test_data_and_effective_date_are_recorded(cli: Cli, enrolled: list[str]) -> None:
    """--data (a JSON object) and --effective-date land in the audit entry."""
    entry = cli.json(
        "fire",
        "PKA-1",
        enrolled[0],
        "start_class",
        "--data",
        '{"room": "A", "n": 2}',
        "--effective-date",
        "2024-03-04",
    )
    assert entry["payload"] == {"room": "A", "n": 2}
    assert entry["effective_date"] == "2024-03-04"


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--data", "{room: A}", "--data is not valid JSON"),
        ("--data", "[1, 2]", "--data must be a JSON object"),
        ("--effective-date", "04/03/2024", "--effective-date '04/03/2024' is not a date"),
    ],
)
def test_malformed_options_exit_2(
    cli: Cli, enrolled: list[str], option: str, value: str, message: str
) -> None:
    """Malformed JSON or dates are one error line and exit 2; nothing is fired."""
    result = cli("fire", "PKA-1", enrolled[0], "start_class", option, value, expect=2)
    assert result.stderr.splitlines()[0].startswith(f"error: {message}")
    assert cli.json("status", "PKA-1")["counts"]["on_class"] == 0


def test_an_idempotency_key_replays_and_refuses_reuse(cli: Cli, enrolled: list[str]) -> None:
    """The same --key returns the first entry; reused for another command it exits 2."""
    first = cli.json("fire", "PKA-1", enrolled[0], "start_class", "--key", "k-1")
    again = cli.json("fire", "PKA-1", enrolled[0], "start_class", "--key", "k-1")
    assert again == first
    reused = cli.json("fire", "PKA-1", enrolled[1], "start_class", "--key", "k-1", expect=2)
    assert reused["error"]["kind"] == "idempotency_conflict"


def test_a_concurrent_writer_exits_4(
    cli: Cli, enrolled: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """ConcurrentTransition is retryable: exit 4 with a hint to retry."""

    def clash(*_args: object, **_kwargs: object) -> None:
        raise ConcurrentTransition(cohort="PKA-1", nip=enrolled[0], expected_version=1)

    monkeypatch.setattr(Engine, "fire", clash)
    result = cli.json("fire", "PKA-1", enrolled[0], "start_class", expect=4)
    assert result["error"]["kind"] == "conflict"
    assert "retry" in result["error"]["hint"]


def test_a_held_lock_exits_4_after_the_lock_timeout(
    cli: Cli, enrolled: list[str], db_path: Path
) -> None:
    """Another writer holding the database past --lock-timeout makes the command exit 4."""
    holder = sqlite3.connect(db_path, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        busy = cli("--lock-timeout", "0.1", "fire", "PKA-1", enrolled[0], "start_class", expect=4)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert busy.stderr.startswith("error: ")
    assert "hint: another process holds the lock" in busy.stderr
    assert cli.json("status", "PKA-1")["counts"]["on_class"] == 0


def test_check_is_a_dry_run(cli: Cli, enrolled: list[str]) -> None:
    """Check exits 0 or 3 like fire would, and records nothing."""
    nip = enrolled[0]
    ok = cli.json("check", "PKA-1", nip, "start_class")
    assert ok["allowed"] is True
    assert ok["violations"] == []
    assert ok["state"] == "enrolled"
    no = cli.json("check", "PKA-1", nip, "withdraw", expect=3)
    assert no["allowed"] is False
    assert [v["code"] for v in no["violations"]] == ["reason_required"]
    cli("check", "PKA-1", nip, "withdraw", "--reason", "moved")
    text = cli("check", "PKA-1", nip, "graduate", expect=3).stdout
    assert "would be refused" in text
    assert "illegal_transition" in text
    assert cli.json("history", nip)["history"][-1]["event"] == "enrol"
    cli("check", "PKA-1", nip, "promote", expect=2)


def test_events_lists_what_is_allowed_now(cli: Cli, enrolled: list[str]) -> None:
    """Events lists the acceptable events; with --reason, withdraw and drop too."""
    listed = cli.json("events", "PKA-1", enrolled[0])
    assert listed["state"] == "enrolled"
    assert listed["events"] == ["start_class"]
    with_reason = cli.json("events", "PKA-1", enrolled[0], "--reason", "moved")["events"]
    assert with_reason == ["start_class", "withdraw", "drop"]
    result = cli("events", "PKA-1", enrolled[0])
    assert "allowed now: start_class" in result.stdout
    assert result.stderr.startswith("hint: ")
    cli("events", "PKA-1", nip_of(99), expect=2)


def test_a_registered_project_lets_the_proposal_through(cli: Cli, enrolled: list[str]) -> None:
    """Project registers the change project with its mentor; the proposal is then accepted."""
    nip = enrolled[0]
    cli("fire", "PKA-1", nip, "start_class")
    registered = cli.json("project", "PKA-1", nip, *PROJECT, "--mentor-position", "Kepala")
    assert registered["project"]["title"] == "Antrean online"
    assert registered["project"]["theme"] == "kesehatan"
    assert registered["project"]["mentor"]["name"] == "Kepala Dinas"
    assert registered["project"]["mentor"]["position"] == "Kepala"
    assert cli.json("fire", "PKA-1", nip, "present_proposal")["to"] == "proposal"
    cli("project", "PKA-1", nip, "--title", "T", "--theme", "t", "--mentor-nip", nip, expect=2)
    without = cli("project", "PKA-1", nip, "--title", "T", "--theme", "t")
    assert without.stderr.startswith("hint: a proposal needs a mentor")
    cli("project", "PKA-1", nip_of(99), *PROJECT, expect=2)


def test_assess_prints_the_grade_band_and_graduation_records_it(
    cli: Cli, enrolled: list[str]
) -> None:
    """Assess reports the band once complete; graduate then records score and band."""
    nip = enrolled[0]
    to_seminar(cli, "PKA-1", nip)
    scored = cli.json("assess", "PKA-1", nip, "--score", "91.5")
    assert scored["grade"] == {"score": 91.5, "band": "sangat memuaskan", "passed": True}
    assert scored["missing"] == []
    assert "sangat memuaskan (passes)" in cli("assess", "PKA-1", nip, "--score", "91.5").stdout
    graduated = cli("fire", "PKA-1", nip, "graduate").stdout
    assert "grade: 91.5 sangat memuaskan" in graduated
    cli("assess", "PKA-1", nip, "--score", "101", expect=2)
    cli("assess", "PKA-1", nip, "--score", "abc", expect=2)


def test_assess_with_components_waits_for_every_one(cli: Cli, tmp_path: Path) -> None:
    """With weighted components the grade stays pending until all are scored."""
    store = SqlStore(cli.url)
    try:
        trusted_engine(store).create_cohort(
            Cohort(
                code="W-1",
                name="Weighted",
                start=date(2024, 3, 1),
                end=date(2024, 7, 31),
                parameters=CohortParameters(
                    grading=GradingScheme(weights={"seminar": 0.6, "attitude": 0.4})
                ),
            ),
            actor=ADMIN,
        )
    finally:
        store.close()
    cli.staff_every_role("W-1")
    cli("enrol", "W-1", "--csv", str(write_roster(tmp_path / "w.csv", [person(1)])))
    pending = cli.json("assess", "W-1", nip_of(1), "--score", "88", "--component", "seminar")
    assert pending["grade"] is None
    assert pending["missing"] == ["attitude"]
    text = cli("assess", "W-1", nip_of(1), "--score", "88", "--component", "seminar").stdout
    assert "grade pending, missing: attitude" in text
    done = cli.json("assess", "W-1", nip_of(1), "--score", "95", "--component", "attitude")
    assert done["grade"]["band"] == "sangat memuaskan"


def test_groups_split_by_theme(cli: Cli, enrolled: list[str]) -> None:
    """Groups splits the seated participants; --count below 1 exits 2."""
    for nip, theme in zip(enrolled, ("kesehatan", "kesehatan", "desa"), strict=True):
        cli("project", "PKA-1", nip, "--title", "T", "--theme", theme)
    groups = cli.json("groups", "PKA-1", "--count", "2")["groups"]
    assert [sorted(g["members"]) for g in groups] == [sorted(enrolled[:2]), [enrolled[2]]]
    assert groups[0]["themes"] == ["kesehatan"]
    assert groups[0]["number"] == 1
    assert "kesehatan" in cli("groups", "PKA-1").stdout
    cli("groups", "PKA-1", "--count", "0", expect=2)
    cli("groups", "PKA-9", expect=2)


def test_project_and_assess_are_audited_commands(cli: Cli, enrolled: list[str]) -> None:
    """Project and assess take --actor, --reason and --key and appear in the history."""
    nip = enrolled[0]
    registered = cli.json(
        "project", "PKA-1", nip, *PROJECT, "--actor", "BKD", "--reason", "SK 12", "--key", "p-1"
    )
    entry = registered["entry"]
    assert (entry["event"], entry["outcome"], entry["actor"]) == (
        "register_project",
        "accepted",
        "BKD",
    )
    assert entry["change"]["project"]["before"] is None
    assert entry["change"]["project"]["after"]["title"] == "Antrean online"
    again = cli.json(
        "project", "PKA-1", nip, *PROJECT, "--actor", "BKD", "--reason", "SK 12", "--key", "p-1"
    )
    assert again["entry"]["seq"] == entry["seq"]  # the retry repeats nothing
    reused = cli.json(
        "project", "PKA-1", nip, "--title", "T", "--theme", "t", "--key", "p-1", expect=2
    )
    assert reused["error"]["kind"] == "idempotency_conflict"
    cli("assess", "PKA-1", nip, "--score", "70", "--actor", "BKD", "--key", "a-1")
    cli("assess", "PKA-1", nip, "--score", "70", "--actor", "BKD", "--key", "a-1")
    history = cli.json("history", nip)["history"]
    assert [(e["event"], e["actor"], e["role"]) for e in history] == [
        ("enrol", "BKD", "organiser"),
        ("register_project", "BKD", "organiser"),
        ("record_assessment", "BKD", "examiner"),
    ]
    assert history[1]["reason"] == "SK 12"
    assert history[2]["change"] == {"scores": {"before": None, "after": {"overall": 70.0}}}
    table = cli("history", nip).stdout
    assert "register_project" in table
    assert "scores.overall - -> 70.0" in table


def test_a_closed_record_refuses_project_and_assess(cli: Cli, enrolled: list[str]) -> None:
    """A graduate's or a withdrawn participant's record is closed: exit 3, nothing changes."""
    graduate, leaver = enrolled[0], enrolled[1]
    to_seminar(cli, "PKA-1", graduate)
    cli("assess", "PKA-1", graduate, "--score", "85")
    cli("fire", "PKA-1", graduate, "graduate")
    before = cli.json("status", "PKA-1")["participants"][0]
    refused = cli.json("assess", "PKA-1", graduate, "--score", "40", expect=3)
    assert refused["outcome"] == "refused"
    assert refused["event"] == "record_assessment"
    assert [v["code"] for v in refused["violations"]] == ["record_closed"]
    assert refused["error"]["kind"] == "refused"
    text = cli("project", "PKA-1", graduate, "--title", "Lain", "--theme", "t", expect=3)
    assert text.stdout == ""
    assert text.stderr.splitlines()[0] == (
        f"error: 'register_project' refused for {graduate} in PKA-1"
    )
    assert text.stderr.splitlines()[1].startswith("  record_closed: ")
    assert cli.json("status", "PKA-1")["participants"][0] == before
    assert before["scores"] == {"overall": 85.0}
    assert before["project"]["mentor"]["name"] == "Kepala Dinas"
    cli("fire", "PKA-1", leaver, "withdraw", "--reason", "moved")
    withdrawn = cli.json("assess", "PKA-1", leaver, "--score", "99", expect=3)
    assert [v["code"] for v in withdrawn["violations"]] == ["record_closed"]
    assert cli.json("status", "PKA-1")["participants"][1]["scores"] == {}
    history = cli.json("history", graduate)["history"]
    assert [(e["event"], e["outcome"]) for e in history[-2:]] == [
        ("record_assessment", "refused"),
        ("register_project", "refused"),
    ]


def test_fail_needs_grounds(cli: Cli, enrolled: list[str]) -> None:
    """Failing someone assessed at 95 is refused (assessment_passes); unassessed needs a reason."""
    assessed, unassessed = enrolled[0], enrolled[1]
    for nip in (assessed, unassessed):
        to_seminar(cli, "PKA-1", nip)
    cli("assess", "PKA-1", assessed, "--score", "95")
    refused = cli.json("fire", "PKA-1", assessed, "fail", "--reason", "absent", expect=3)
    assert [v["code"] for v in refused["violations"]] == ["assessment_passes"]
    assert cli.json("status", "PKA-1")["participants"][0]["state"] == "seminar"
    no_reason = cli.json("fire", "PKA-1", unassessed, "fail", expect=3)
    assert [v["code"] for v in no_reason["violations"]] == ["reason_required"]
    failed = cli.json("fire", "PKA-1", unassessed, "fail", "--reason", "no seminar held")
    assert failed["to"] == "not_passed"


def test_reopen_undoes_a_mistaken_withdrawal(cli: Cli, enrolled: list[str]) -> None:
    """Fire reopen (with a reason) returns a withdrawn participant to the state left."""
    nip = enrolled[0]
    cli("fire", "PKA-1", nip, "start_class")
    cli("fire", "PKA-1", nip, "withdraw", "--reason", "wrong person")
    assert cli.json("events", "PKA-1", nip, "--reason", "x")["events"] == ["reopen"]
    refused = cli.json("fire", "PKA-1", nip, "reopen", expect=3)
    assert [v["code"] for v in refused["violations"]] == ["reason_required"]
    reopened = cli.json("fire", "PKA-1", nip, "reopen", "--reason", "withdrawn by mistake")
    assert (reopened["from"], reopened["to"], reopened["event"]) == (
        "withdrawn",
        "on_class",
        "reopen",
    )
    assert cli.json("status", "PKA-1")["participants"][0]["state"] == "on_class"


@pytest.mark.parametrize(
    ("command", "reason"),
    [
        (
            ("fire", "PKA-1", "budi", "start_class"),
            "must be exactly 18 digits, found U+0062 LATIN SMALL LETTER B at 0",
        ),
        (
            ("check", "PKA-1", "1975", "start_class"),
            "must be exactly 18 digits, got 4 character(s)",
        ),
        (("events", "PKA-1", "197513452000031001"), "birth date 19751345 is not a real date"),
        (("assess", "PKA-1", "budi", "--score", "80"), "must be exactly 18 digits, found U+0062"),
        (("history", "budi"), "must be exactly 18 digits, found U+0062"),
    ],
)
@pytest.mark.usefixtures("enrolled")
def test_something_that_is_not_a_nip_is_told_so(
    cli: Cli, command: tuple[str, ...], reason: str
) -> None:
    """A NIP argument that is no NIP exits 2 saying why, not "participant not found"."""
    entries = cli.json("verify", "PKA-1")["cohorts"][0]["entries"]
    error = cli.json(*command, expect=2)["error"]
    assert error["kind"] == "usage"
    assert f"is not a NIP: NIP {reason}" in error["message"]
    assert "not found" not in cli(*command, expect=2).stderr
    assert cli.json("verify", "PKA-1")["cohorts"][0]["entries"] == entries


def test_a_nip_printed_with_spaces_is_accepted(cli: Cli, enrolled: list[str]) -> None:
    """The spaces NIPs are printed with are removed, as a roster removes them."""
    nip = enrolled[0]
    spaced = f"{nip[:8]} {nip[8:14]} {nip[14]} {nip[15:]}"
    assert cli.json("fire", "PKA-1", spaced, "start_class")["nip"] == nip


def test_an_effective_date_outside_the_cohort_exits_3(cli: Cli, enrolled: list[str]) -> None:
    """--effective-date 1900-01-01 on the 2024 cohort is refused (exit 3), the state unchanged."""
    refused = cli.json(
        "fire", "PKA-1", enrolled[0], "start_class", "--effective-date", "1900-01-01", expect=3
    )
    assert [v["code"] for v in refused["violations"]] == ["effective_date_outside_cohort"]
    assert refused["violations"][0]["facts"]["cohort_start"] == "2024-03-01"
    assert cli.json("status", "PKA-1")["counts"]["enrolled"] == 3
