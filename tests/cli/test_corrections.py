"""Corrections: correct score, correct participant and transfer, each audited with a reason."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cli.support import nip_of, person, to_seminar, write_roster

if TYPE_CHECKING:
    from pathlib import Path

    from cli.support import Cli


def _graduate(cli: Cli, nip: str, score: str = "85") -> None:
    to_seminar(cli, "PKA-1", nip)
    cli("assess", "PKA-1", nip, "--score", score)
    cli("fire", "PKA-1", nip, "graduate")


def test_correcting_a_graduates_score_regrades(cli: Cli, enrolled: list[str]) -> None:
    """A corrected score on a graduate re-grades, with the scores before and after audited."""
    nip = enrolled[0]
    _graduate(cli, nip)
    corrected = cli.json(
        "correct", "score", "PKA-1", nip, "--score", "92", "--reason", "typo", "--actor", "BKD"
    )
    assert corrected["before"] == {"overall": 85.0}
    assert corrected["after"] == {"overall": 92.0}
    assert corrected["grade"] == {"score": 92.0, "band": "sangat memuaskan", "passed": True}
    entry = corrected["entry"]
    assert (entry["event"], entry["from"], entry["to"]) == (
        "correct_assessment",
        "graduated",
        "graduated",
    )
    assert (entry["reason"], entry["actor"]) == ("typo", "BKD")
    text = cli("correct", "score", "PKA-1", nip, "--score", "93", "--reason", "again").stdout
    assert text.startswith(f"{nip}: overall corrected 92 -> 93, audit #")
    assert "grade: 93 sangat memuaskan (passes)" in text
    history = cli("history", nip).stdout
    assert "correct_assessment" in history
    assert "scores.overall 92.0 -> 93.0" in history
    assert cli.json("status", "PKA-1")["participants"][0]["scores"] == {"overall": 93.0}


def test_a_correction_may_not_turn_a_pass_into_a_fail(cli: Cli, enrolled: list[str]) -> None:
    """outcome_would_change (exit 3, nothing changed) until the graduation is reopened."""
    nip = enrolled[0]
    _graduate(cli, nip)
    refused = cli.json("correct", "score", "PKA-1", nip, "--score", "40", "--reason", "r", expect=3)
    assert [v["code"] for v in refused["violations"]] == ["outcome_would_change"]
    assert refused["event"] == "correct_assessment"
    assert cli.json("status", "PKA-1")["participants"][0]["scores"] == {"overall": 85.0}
    no_reason = cli.json("correct", "score", "PKA-1", nip, "--score", "90", expect=3)
    assert [v["code"] for v in no_reason["violations"]] == ["reason_required"]
    cli("fire", "PKA-1", nip, "reopen", "--reason", "score was mistyped")
    cli("correct", "score", "PKA-1", nip, "--score", "40", "--reason", "r")
    failed = cli.json("fire", "PKA-1", nip, "fail")
    assert failed["to"] == "not_passed"
    assert failed["data"]["score"] == 40.0  # the failing grade is the grounds


def test_a_score_never_recorded_cannot_be_corrected(cli: Cli, enrolled: list[str]) -> None:
    """Correcting a component with no score is unusable input (exit 2); bad scores too."""
    nip = enrolled[0]
    none_yet = cli.json(
        "correct", "score", "PKA-1", nip, "--score", "80", "--reason", "r", expect=2
    )
    assert none_yet["error"]["kind"] == "invalid_input"
    assert "has no 'overall' score" in none_yet["error"]["message"]
    cli("correct", "score", "PKA-1", nip, "--score", "101", "--reason", "r", expect=2)
    cli("correct", "score", "PKA-1", nip_of(99), "--score", "80", "--reason", "r", expect=2)
    assert cli.json("history", nip)["history"][-1]["event"] == "enrol"


def test_correct_participant_records_the_facts_before_and_after(
    cli: Cli, enrolled: list[str]
) -> None:
    """A name and an echelon corrected with a reason; the entry keeps both versions."""
    nip = enrolled[0]
    corrected = cli.json(
        "correct",
        "participant",
        "PKA-1",
        nip,
        "--name",
        "Peserta Satu",
        "--echelon",
        "III.b",
        "--reason",
        "typo in the nomination",
    )
    assert corrected["before"]["name"] == "Peserta 1"
    assert corrected["after"]["name"] == "Peserta Satu"
    assert (corrected["before"]["echelon"], corrected["after"]["echelon"]) == ("III.a", "III.b")
    assert corrected["entry"]["event"] == "correct_participant"
    assert cli.json("status", "PKA-1")["participants"][0]["name"] == "Peserta Satu"
    text = cli(
        "correct",
        "participant",
        "PKA-1",
        nip,
        "--birth-date",
        "1975-06-01",
        "--name",
        "P1",
        "--reason",
        "r",
    ).stdout
    assert text.startswith(f"{nip}: corrected participant.name 'Peserta Satu' -> 'P1', audit #")


def test_correct_participant_refuses_bad_corrections(cli: Cli, enrolled: list[str]) -> None:
    """Nothing to correct or a bad date exit 2; no reason exits 3; nothing is changed."""
    nip = enrolled[0]
    nothing = cli.json("correct", "participant", "PKA-1", nip, "--reason", "r", expect=2)
    assert nothing["error"]["kind"] == "invalid_input"
    cli(
        "correct",
        "participant",
        "PKA-1",
        nip,
        "--birth-date",
        "1-6-1975",
        "--reason",
        "r",
        expect=2,
    )
    disagrees = cli.json(
        "correct",
        "participant",
        "PKA-1",
        nip,
        "--birth-date",
        "1980-01-01",
        "--reason",
        "r",
        expect=2,
    )
    assert disagrees["error"]["kind"] == "invalid_input"
    no_reason = cli.json("correct", "participant", "PKA-1", nip, "--name", "X", expect=3)
    assert [v["code"] for v in no_reason["violations"]] == ["reason_required"]
    assert cli.json("status", "PKA-1")["participants"][0]["name"] == "Peserta 1"


def test_transfer_to_a_stored_or_a_new_office(cli: Cli, enrolled: list[str]) -> None:
    """A stored office keeps its name; a new one needs --office-name; both are audited."""
    nip = enrolled[0]
    moved = cli.json("transfer", "PKA-1", nip, "--office", "DINAS-NOMOR-2", "--reason", "mutasi")
    assert moved["office"] == {"code": "DINAS-NOMOR-2", "name": "Dinas Nomor 2"}
    assert moved["before"] == {"code": "DINAS-NOMOR-1", "name": "Dinas Nomor 1"}
    assert moved["entry"]["event"] == "transfer_office"
    unknown = cli.json("transfer", "PKA-1", nip, "--office", "BAPPEDA", "--reason", "r", expect=2)
    assert unknown["error"]["kind"] == "unknown_office"
    text = cli(
        "transfer",
        "PKA-1",
        nip,
        "--office",
        "BAPPEDA",
        "--office-name",
        "Bappeda",
        "--reason",
        "mutasi",
    ).stdout
    assert text.startswith(f"{nip}: transferred to BAPPEDA (Bappeda), audit #")
    first = cli.json("status", "PKA-1")["participants"][0]
    assert (first["office"], first["office_name"]) == ("BAPPEDA", "Bappeda")
    assert "office.code 'DINAS-NOMOR-2' -> 'BAPPEDA'" in cli("history", nip).stdout


def test_transfer_is_judged(cli: Cli, cohort: str, tmp_path: Path) -> None:
    """A full office refuses the transfer (office_quota); no reason or the same office too."""
    rows = [person(1, "BKD"), person(2, "BKD"), person(3, "DINKES")]
    cli("enrol", cohort, "--csv", str(write_roster(tmp_path / "r.csv", rows)))
    full = cli.json("transfer", cohort, nip_of(3), "--office", "BKD", "--reason", "r", expect=3)
    assert [v["code"] for v in full["violations"]] == ["office_quota"]
    no_reason = cli.json("transfer", cohort, nip_of(1), "--office", "DINKES", expect=3)
    assert [v["code"] for v in no_reason["violations"]] == ["reason_required"]
    same = cli.json("transfer", cohort, nip_of(1), "--office", "BKD", "--reason", "r", expect=2)
    assert same["error"]["kind"] == "invalid_input"
    offices = [p["office"] for p in cli.json("status", cohort)["participants"]]
    assert offices == ["BKD", "BKD", "DINKES"]
