"""`changeflow demo`: the 2019 cohort end to end on a fresh SQLite file."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from typer.testing import CliRunner

from changeflow.cli.app import app

if TYPE_CHECKING:
    from pathlib import Path

    import pytest

DEWI = "197104221995032004"  # the graduate whose score the demo corrects


def test_demo_tells_the_story_on_a_fresh_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The demo replaces changeflow-demo.db, tells the story, shows status and the audit check."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "changeflow-demo.db").write_text("not a database", encoding="utf-8")
    mine = tmp_path / "mine.db"
    result = CliRunner().invoke(
        app, ["demo"], env={"CHANGEFLOW_DB": f"sqlite:///{mine}"}, catch_exceptions=False
    )
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "== Enrolment: nominations judged against the rules" in out
    for code in ("office_quota", "retirement_horizon", "rank", "cohort_capacity"):
        assert f"[{code}]" in out
    assert "Graduation, 19 July 2019: 28 graduated" in out
    assert "the grounds recorded with 'fail': 68.0 (kurang memuaskan)" in out
    assert "== Correction, 24 July 2019: Dewi Lestari's score was entered as 83.6" in out
    assert "correct_assessment (graduated)            by bkd-probolinggo as organiser, " in out
    assert out.index("== Correction") < out.index("PKA-III-VII-2019: 30 participant(s)")
    last = out.splitlines()[-1]
    # every command is an entry: the cohort's creation, its two staff members, the schedule
    # with its visit, enrolments, moves (and the organiser's refused approval), 92 attendance
    # records (30 x 3 visit days, 2 sick days), projects, scores, group placements, the fail
    # and the correction
    assert last.startswith("PKA-III-VII-2019: audit chain intact (372 entries, head 372 ")
    assert "the organiser may not approve for a mentor: not_permitted" in out
    assert "  on_class    2019-04-04 to 2019-04-26 (15 working day(s))" in out
    assert "  visit       2019-04-23 to 2019-04-25, Kabupaten Kulon Progo, DI Yogyakarta" in out
    assert "  agenda on 2019-06-10: 29 active, 0 overdue" in out
    assert "    29 x present_results due 2019-07-01 (by the participant)" in out
    assert "changeflow-demo.db" in result.stderr
    assert not mine.exists()  # CHANGEFLOW_DB is never the demo's database
    status = CliRunner().invoke(
        app, ["--db", "sqlite:///changeflow-demo.db", "status", "PKA-III-VII-2019", "--json"]
    )
    assert '"graduated": 28' in status.stdout
    history = CliRunner().invoke(
        app, ["--db", "sqlite:///changeflow-demo.db", "history", DEWI, "--json"]
    )
    assert history.exit_code == 0, history.stderr
    entries = json.loads(history.stdout)["history"]
    assert [e["event"] for e in entries][-3:] == [
        "record_assessment",
        "graduate",
        "correct_assessment",
    ]
    assert entries[-1]["reason"] == "entered wrongly; the examiners' sheet says 73.6"


def test_demo_needs_an_sqlite_file(tmp_path: Path) -> None:
    """A non-SQLite --db is refused (exit 2); a named SQLite file is used instead."""
    refused = CliRunner().invoke(app, ["demo", "--db", "postgresql://localhost/x"])
    assert refused.exit_code == 2
    assert refused.stderr.startswith("error: the demo needs an SQLite file URL")
    target = tmp_path / "story.db"
    done = CliRunner().invoke(app, ["demo", "--db", f"sqlite:///{target}"])
    assert done.exit_code == 0
    assert target.exists()
