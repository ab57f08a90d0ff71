"""`changeflow demo`: the 2019 cohort end to end on a fresh SQLite file."""

from __future__ import annotations

from typing import TYPE_CHECKING

from typer.testing import CliRunner

from changeflow.cli.app import app

if TYPE_CHECKING:
    from pathlib import Path

    import pytest


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
    assert "PKA-III-VII-2019: 30 participant(s)" in out
    last = out.splitlines()[-1]
    assert last.startswith("PKA-III-VII-2019: audit chain intact (185 entries, head 185 ")
    assert "changeflow-demo.db" in result.stderr
    assert not mine.exists()  # CHANGEFLOW_DB is never the demo's database
    status = CliRunner().invoke(
        app, ["--db", "sqlite:///changeflow-demo.db", "status", "PKA-III-VII-2019", "--json"]
    )
    assert '"graduated": 28' in status.stdout


def test_demo_needs_an_sqlite_file(tmp_path: Path) -> None:
    """A non-SQLite --db is refused (exit 2); a named SQLite file is used instead."""
    refused = CliRunner().invoke(app, ["demo", "--db", "postgresql://localhost/x"])
    assert refused.exit_code == 2
    assert refused.stderr.startswith("error: the demo needs an SQLite file URL")
    target = tmp_path / "story.db"
    done = CliRunner().invoke(app, ["demo", "--db", f"sqlite:///{target}"])
    assert done.exit_code == 0
    assert target.exists()
