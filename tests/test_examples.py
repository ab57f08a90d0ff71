"""Every example under ``examples/`` runs as a script and shows what it claims."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _run(name: str) -> str:
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / name)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    return done.stdout


def test_every_example_is_covered() -> None:
    """Each script in examples/ has a test here, so none can rot unnoticed."""
    scripts = {p.name for p in EXAMPLES.glob("*.py")}
    assert scripts == {
        "probolinggo_2019.py",
        "hr_embedding.py",
        "custom_lifecycle.py",
        "cli_roster.py",
    }


def test_probolinggo_demo_tells_the_whole_story() -> None:
    """The 2019 demo enrols 30, explains each refusal and ends with 28 graduates."""
    out = _run("probolinggo_2019.py")
    for code in ("office_quota", "retirement_horizon", "rank", "cohort_capacity"):
        assert f"[{code}]" in out
    assert "30 participants enrolled from 15 offices" in out
    assert "sent back for revision" in out
    assert "withdraws" in out
    assert "graduated     28" in out
    assert "not_passed     1" in out
    assert "withdrawn      1" in out


def test_probolinggo_demo_fails_on_grounds_and_shows_a_correction_in_a_history() -> None:
    """The fail carries the failing grade; a graduate's corrected score shows in her history."""
    out = _run("probolinggo_2019.py")
    assert "the grounds recorded with 'fail': 68.0 (kurang memuaskan)" in out
    assert "Dewi Lestari's score was entered as 83.6; the examiners' sheet says 73.6" in out
    assert "corrected to 73.6 (cukup memuaskan); still graduated" in out
    story = out.split("history of Dewi Lestari", 1)[1].split("\n\n", 1)[0].splitlines()[1:]
    events = [line.split()[2] for line in story]
    assert events[0] == "enrol"
    assert events[-3:] == ["record_assessment", "graduate", "correct_assessment"]
    assert "register_project" in events
    assert "form_groups" in events
    recorded, graduated, corrected = story[-3:]
    assert recorded.endswith("(seminar)              by penguji-1 as examiner; 83.6 (memuaskan)")
    assert "seminar -> graduated" in graduated
    assert graduated.endswith("by penguji-1 as examiner; 83.6 (memuaskan)")
    assert corrected.endswith(
        '(graduated)            by bkd-probolinggo as organiser, "entered wrongly; the '
        "examiners' sheet says 73.6\"; 83.6 -> 73.6 (cukup memuaskan)"
    )


def test_hr_embedding_applies_the_custom_rule_and_notifies() -> None:
    """The custom rule refuses Edi; the listener sees Ani's six moves and two data commands."""
    out = _run("hr_embedding.py")
    assert "Edi refused: ['surat keterangan sehat belum ada']" in out
    assert "sangat memuaskan" in out
    notified = [line.split()[3] for line in out.splitlines() if line.startswith("HR notified:")]
    assert notified == [
        "enrol",
        "start_class",
        "register_project",
        "present_proposal",
        "approve_proposal",
        "present_results",
        "record_assessment",
        "graduate",
    ]
    assert "record_assessment (seminar -> seminar)" in out


@pytest.mark.parametrize("name", ["custom_lifecycle.py"])
def test_custom_lifecycle_from_toml(name: str) -> None:
    """The TOML supervisor course runs with its own rule pack to 'passed'."""
    out = _run(name)
    assert "Yoga refused: ('office_quota',)" in out
    assert "{'passed': 1}" in out


def test_custom_lifecycle_cohort_keeps_its_lifecycle() -> None:
    """A fresh engine on the file runs the stored course; wrong engines get typed errors."""
    out = _run("custom_lifecycle.py")
    assert "cohort PKP-2024-II runs supervisor_course 1 (" in out
    assert "its events: ('start_class', 'start_project', 'pass', 'fail', 'withdraw')" in out
    assert "Rina is in_class" in out
    assert "verified: True" in out
    assert "MissingRules: ('supervisor_rank',)" in out
    assert "DefinitionMismatch: pinned to supervisor_course" in out


def test_cli_roster_drives_a_cohort_through_the_command_line() -> None:
    """The CSV roster goes through the CLI: refusals by line, a safe re-run, a clean finish."""
    out = _run("cli_roster.py")
    assert "dry run: 4 would be accepted, nothing written" in out
    assert "line 4: 198005172005012003 refused ['office_quota']" in out
    assert "line 6: 197503152000031004 refused ['already_enrolled', 'already_active']" in out
    assert "line 7: 19791222200303201 refused ['invalid_input']" in out
    assert "line 8: 196505052000031007 refused ['retirement_horizon']" in out
    assert "run again: 4 already enrolled, nothing changed" in out
    assert "corrected roster: 1 newly enrolled, 4 already enrolled" in out
    assert "on_class: 5 of 5" in out
    assert "audit chain intact: True" in out
