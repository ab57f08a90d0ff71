"""The board in real headless Chromium: the 2019 cohort from its roster to a graduate.

An organiser uploads the 2019 roster and the projects and advances the cohort; a mentor
approves their participant's proposal; the organiser sends the laboratory to the seminar;
an examiner uploads the scores and graduates the participant. After each step the board's
headcounts are read from the page. Screenshots of the board and of the participant page
are written to ``$CHANGEFLOW_SCREENSHOTS`` when set (``make screenshots`` refreshes the
ones in ``docs/images``), else to the test's temporary directory.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect

from changeflow import Engine, FixedClock, StaffMember
from changeflow.demo import COHORT
from changeflow.store.sql import SqlStore
from changeflow.web import create_app

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from contextlib import AbstractContextManager

    from playwright.sync_api import Page
    from starlette.types import ASGIApp

FILES = Path(__file__).resolve().parents[2] / "examples" / "probolinggo_2019"
ORGANISER, COACH, EXAMINER = "bkd-probolinggo", "coach-bpsdm-jatim", "penguji-1"
PASSWORD = "sandi-uji-coba"  # noqa: S105 - the test accounts' password
FIRST = "196801011992031001"
"""The roster's first participant; projects.csv names their mentor."""
CODE = COHORT.code


def _mentor_of(nip: str) -> str:
    for line in (FILES / "projects.csv").read_text(encoding="utf-8").splitlines()[1:]:
        cells = line.split(",")
        if cells[0] == nip:
            return cells[4]
    raise AssertionError(f"{nip} has no project in projects.csv")


MENTOR = _mentor_of(FIRST)


@pytest.fixture
def clock() -> FixedClock:
    """The course's clock: the first of April 2019, moved on by the test as the course runs."""
    return FixedClock(datetime(2019, 4, 1, 8, tzinfo=UTC))


@pytest.fixture
def served(
    tmp_path: Path,
    clock: FixedClock,
    live_server: Callable[[ASGIApp], AbstractContextManager[str]],
) -> Iterator[tuple[str, Engine]]:
    """The board on a new database holding the empty 2019 cohort and its staff's passwords."""
    url = f"sqlite:///{tmp_path / 'board.db'}"
    with Engine(SqlStore(url), clock=clock) as engine:
        engine.create_cohort(COHORT, actor=ORGANISER)
        for member in (
            StaffMember(id=COACH, name="Dr. Hary Wahyudi", roles={"coach"}),
            StaffMember(id=EXAMINER, name="Tim penguji seminar", roles={"examiner"}),
        ):
            engine.add_staff(CODE, member, actor=ORGANISER)
        for login in (ORGANISER, EXAMINER, MENTOR):
            engine.set_password(login, PASSWORD, actor=ORGANISER)
        with live_server(create_app(engine=engine, secret="browser-test")) as base:  # noqa: S106
            yield base, engine


def _sign_in(page: Page, base: str, login: str) -> None:
    page.goto(f"{base}/")
    expect(page).to_have_url(f"{base}/signin")
    page.get_by_label("Login").fill(login)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("signed-in")).to_have_text(login)


def _sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def _board(page: Page, base: str) -> None:
    page.goto(f"{base}/cohorts/{CODE}")
    expect(page.get_by_test_id("board")).to_be_visible()


def _count(page: Page, state: str) -> int:
    return int(page.get_by_test_id(f"count-{state}").inner_text())


def _upload(page: Page, base: str, kind: str) -> str:
    page.goto(f"{base}/cohorts/{CODE}/uploads")
    page.get_by_test_id(f"file-{kind}").set_input_files(FILES / f"{kind}.csv")
    page.get_by_test_id(f"upload-{kind}").click()
    summary = page.get_by_test_id("summary")
    expect(summary).to_be_visible()
    return summary.inner_text()


def _advance(page: Page, base: str, event: str) -> str:
    _board(page, base)
    form = page.locator("form.fire", has=page.get_by_test_id(f"advance-{event}"))
    form.get_by_role("checkbox").check()
    form.get_by_test_id(f"advance-{event}").click()
    flash = page.get_by_test_id("flash")
    expect(flash).to_be_visible()
    return flash.inner_text()


def _fire(page: Page, event: str, reason: str) -> str:
    form = page.locator("form.fire", has=page.get_by_test_id(f"fire-{event}"))
    form.get_by_placeholder("Reason").fill(reason)
    form.get_by_role("checkbox").check()
    form.get_by_test_id(f"fire-{event}").click()
    flash = page.get_by_test_id("flash")
    expect(flash).to_be_visible()
    return flash.inner_text()


def _shots(tmp_path: Path) -> Path:
    where = os.environ.get("CHANGEFLOW_SCREENSHOTS")
    return Path(where) if where else tmp_path


def test_a_cohort_from_roster_to_graduate_in_the_browser(
    page: Page, served: tuple[str, Engine], clock: FixedClock, tmp_path: Path
) -> None:
    """Organiser, mentor and examiner drive the 2019 cohort; the board follows each step."""
    base, engine = served
    _sign_in(page, base, ORGANISER)
    expect(page.get_by_role("link", name=CODE)).to_be_visible()

    report = _upload(page, base, "roster")
    assert re.search(r"accepted: 30\b", report)
    assert re.search(r"refused: 4\b", report)
    expect(page.locator("tr.refused")).to_have_count(4)
    _board(page, base)
    assert _count(page, "enrolled") == 30

    assert "30 moved, 0 refused" in _advance(page, base, "start_class")
    assert (_count(page, "enrolled"), _count(page, "on_class")) == (0, 30)
    assert re.search(r"accepted: 30\b", _upload(page, base, "projects"))
    clock.set(datetime(2019, 4, 29, 8, tzinfo=UTC))
    assert "30 moved, 0 refused" in _advance(page, base, "present_proposal")
    assert _count(page, "proposal") == 30
    _sign_out(page)

    _sign_in(page, base, MENTOR)
    _board(page, base)
    cards = page.locator("a.card")
    expect(cards).to_have_count(1)
    cards.first.click()
    expect(page.get_by_test_id("state")).to_have_text("proposal")
    assert "done" in _fire(page, "approve_proposal", "rancangan layak dilaksanakan")
    expect(page.get_by_test_id("state")).to_have_text("laboratory")
    _sign_out(page)

    _sign_in(page, base, ORGANISER)
    clock.set(datetime(2019, 7, 8, 8, tzinfo=UTC))
    assert "1 moved, 0 refused" in _advance(page, base, "present_results")
    assert (_count(page, "laboratory"), _count(page, "seminar")) == (0, 1)
    _sign_out(page)

    _sign_in(page, base, EXAMINER)
    assert re.search(r"accepted: \d+", _upload(page, base, "scores"))
    page.goto(f"{base}/cohorts/{CODE}/participants/{FIRST}")
    assert "done" in _fire(page, "graduate", "lulus seminar hasil")
    expect(page.get_by_test_id("state")).to_have_text("graduated")
    expect(page.get_by_test_id("history")).to_contain_text("approve proposal")
    shots = _shots(tmp_path)
    page.screenshot(path=shots / "board-participant.png", full_page=True)
    _board(page, base)
    assert (_count(page, "seminar"), _count(page, "graduated"), _count(page, "proposal")) == (
        0,
        1,
        29,
    )
    page.screenshot(path=shots / "board.png")
    page.get_by_role("button", name="Bahasa Indonesia").click()
    expect(page.get_by_role("heading", name="Jadwal")).to_be_visible()

    graduate = engine.participant(CODE, FIRST)
    assert graduate.state == "graduated"
    assert [c.ok for c in engine.verify(CODE)] == [True]
    for name in ("board.png", "board-participant.png"):
        assert (shots / name).read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
