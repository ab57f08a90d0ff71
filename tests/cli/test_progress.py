"""Progress of long commands: on stderr only, a bar on a terminal, plain lines elsewhere."""

from __future__ import annotations

import io
import json
from typing import TYPE_CHECKING

import pytest

from changeflow.cli.progress import Progress
from cli.support import person, write_roster

if TYPE_CHECKING:
    from pathlib import Path

    from cli.support import Cli


class _Terminal(io.StringIO):
    """A text stream that says it is a terminal, as stderr does in an interactive shell."""

    def isatty(self) -> bool:
        return True


def test_a_terminal_gets_a_bar_with_the_count(monkeypatch: pytest.MonkeyPatch) -> None:
    """On a terminal, work past the quiet time draws a bar counting done of total."""
    monkeypatch.setenv("CHANGEFLOW_PROGRESS_AFTER", "0")
    screen = _Terminal()
    with Progress("enrolling PKA-1", 3, stream=screen) as progress:
        for _ in range(3):
            progress.advance()
    assert "enrolling PKA-1" in screen.getvalue()
    assert "3/3" in screen.getvalue()


def test_elsewhere_plain_lines_say_how_far_and_how_it_ended(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Piped, progress is plain text lines: the count so far, then how the work ended."""
    monkeypatch.setenv("CHANGEFLOW_PROGRESS_AFTER", "0")
    log = io.StringIO()

    def interrupted() -> None:
        with Progress("scores of K", 10, stream=log) as progress:
            progress.advance(4)
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        interrupted()
    lines = log.getvalue().splitlines()
    assert lines[0].startswith("scores of K: 4 of 10 rows, ")
    assert lines[-1].endswith("(stopped)")


@pytest.mark.parametrize("setting", ["3600", "not a number"])
def test_short_work_shows_nothing(monkeypatch: pytest.MonkeyPatch, setting: str) -> None:
    """Work that ends within the quiet time (1 s unless set) writes nothing at all."""
    monkeypatch.setenv("CHANGEFLOW_PROGRESS_AFTER", setting)
    screen = _Terminal()
    with Progress("enrolling", 2, stream=screen) as progress:
        progress.advance(2)
    assert screen.getvalue() == ""


def test_a_roster_reports_progress_on_stderr_and_json_on_stdout(
    cli: Cli, cohort: str, tmp_path: Path
) -> None:
    """Under --json stdout is exactly the report; the progress line goes to stderr."""
    roster = write_roster(tmp_path / "five.csv", [person(n) for n in range(1, 6)])
    result = cli(
        "enrol", cohort, "--csv", str(roster), "--json", env={"CHANGEFLOW_PROGRESS_AFTER": "0"}
    )
    assert len(json.loads(result.stdout)["accepted"]) == 5
    assert f"enrolling {cohort}: 5 of 5 rows" in result.stderr
    assert result.stderr.rstrip().endswith("(done)")


def test_progress_speaks_the_cli_language(cli: Cli, cohort: str, tmp_path: Path) -> None:
    """Under --lang id the progress line is Indonesian."""
    roster = write_roster(tmp_path / "two.csv", [person(n) for n in range(1, 3)])
    result = cli(
        "--lang", "id", "enrol", cohort, "--csv", str(roster),
        env={"CHANGEFLOW_PROGRESS_AFTER": "0"},
    )  # fmt: skip
    assert f"mendaftarkan peserta {cohort}: 2 dari 2 baris" in result.stderr
    assert "(selesai)" in result.stderr
