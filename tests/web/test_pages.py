"""What the board shows and does for the people allowed: pages, commands, uploads, language."""

from __future__ import annotations

import io
import re
import sqlite3
from pathlib import Path

from starlette.testclient import TestClient

from changeflow import Engine
from changeflow.staff import ROLES
from changeflow.states.default import DEFAULT_LIFECYCLE, DEFAULT_PERMISSIONS
from changeflow.store.sql import SqlStore
from changeflow.web import create_app
from changeflow.web.language import INDONESIAN
from factories import make_nip, make_participant, office
from web.support import CODE, EXAMINER, MENTOR_A, ORGANISER, Board, token_in

WEB = Path(__file__).resolve().parents[2] / "src" / "changeflow" / "web"


def test_the_cohorts_page_lists_the_cohorts_with_the_persons_roles(board: Board) -> None:
    """The organiser sees the cohort as organiser; a mentor as mentor."""
    board.sign_in(ORGANISER)
    assert re.search(rf"{CODE}.*organiser", board.client.get("/").text, re.S)
    board.client.cookies.clear()
    board.sign_in(MENTOR_A)
    assert re.search(rf"{CODE}.*mentor", board.client.get("/").text, re.S)


def test_the_board_has_a_column_per_state_the_diagram_and_the_schedule(board: Board) -> None:
    """Every state of the lifecycle is a column; the headcounts; the schedule's windows."""
    board.sign_in(ORGANISER)
    page = board.client.get(f"/cohorts/{CODE}").text
    for state in DEFAULT_LIFECYCLE.state_names:
        assert f'class="column" data-state="{state}"' in page
    assert re.search(r'data-testid="count-proposal">6<', page)
    assert re.search(r'data-testid="count-enrolled">0<', page)
    assert all(nip in page for nip in board.nips)
    assert "2019-04-04" in page  # the class window opens with the cohort
    assert 'data-testid="advance-present_results"' not in page  # nobody in the laboratory
    fragment = board.client.get(f"/cohorts/{CODE}/counts")
    assert fragment.status_code == 200
    assert fragment.text.lstrip().startswith('<section class="diagram"')


def test_the_participant_page_offers_only_the_persons_events(board: Board) -> None:
    """The mentor may approve or nothing else; the organiser may withdraw, not approve."""
    board.sign_in(MENTOR_A)
    page = board.client.get(f"/cohorts/{CODE}/participants/{board.nips[0]}").text
    assert re.findall(r'data-testid="fire-(\w+)"', page) == ["approve_proposal"]
    assert "Proyek 0" in page
    board.client.cookies.clear()
    board.sign_in(ORGANISER)
    page = board.client.get(f"/cohorts/{CODE}/participants/{board.nips[0]}").text
    offered = re.findall(r'data-testid="fire-(\w+)"', page)
    assert "approve_proposal" not in offered
    assert {"revise_proposal", "withdraw", "drop"} <= set(offered)


def test_a_mentor_approves_their_participants_proposal(board: Board) -> None:
    """The event runs on the engine as the mentor: moved, recorded with actor and role."""
    board.sign_in(MENTOR_A)
    path = f"/cohorts/{CODE}/participants/{board.nips[1]}"
    response = board.post(f"{path}/fire", event="approve_proposal", confirm="yes", reason="ok")
    assert (response.status_code, response.headers["location"]) == (303, path)
    assert board.engine.state(CODE, board.nips[1]) == "laboratory"
    entry = board.engine.history(board.nips[1], cohort=CODE)[-1]
    assert (entry.event, entry.actor, entry.role, entry.reason) == (
        "approve_proposal",
        MENTOR_A,
        "mentor",
        "ok",
    )
    page = board.client.get(path).text
    assert 'data-testid="flash"' in page
    assert "laboratory" in page


def test_a_refusal_by_the_rules_is_shown_with_its_reasons_and_recorded(board: Board) -> None:
    """Withdrawing without a reason: the engine refuses (audited); the page says why."""
    board.sign_in(ORGANISER)
    path = f"/cohorts/{CODE}/participants/{board.nips[0]}"
    board.post(f"{path}/fire", event="withdraw", confirm="yes")
    assert board.engine.state(CODE, board.nips[0]) == "proposal"
    page = board.client.get(path).text
    assert "reason_required" in page
    refused = board.engine.history(board.nips[0], cohort=CODE, event="withdraw")
    assert [e.outcome for e in refused] == ["refused"]
    assert 'class="refused' in page  # the history lists the refused attempt


def test_the_organiser_advances_the_cohort(board: Board) -> None:
    """Advance: every participant in the source state is moved, as the organiser."""
    board.sign_in(MENTOR_A)
    for nip in board.nips[:3]:
        board.post(
            f"/cohorts/{CODE}/participants/{nip}/fire",
            event="approve_proposal",
            confirm="yes",
        )
    board.client.cookies.clear()
    board.sign_in(ORGANISER)
    page = board.client.get(f"/cohorts/{CODE}").text
    assert 'data-testid="advance-present_results"' in page
    response = board.post(f"/cohorts/{CODE}/advance", event="present_results", confirm="yes")
    assert response.status_code == 303
    states = [board.engine.state(CODE, nip) for nip in board.nips]
    assert states == ["seminar"] * 3 + ["proposal"] * 3
    assert "3 moved, 0 refused" in board.client.get(f"/cohorts/{CODE}").text


def _csv(board: Board, kind: str, text: str, **fields: str) -> object:
    token = token_in(board.client.get("/").text)
    return board.client.post(
        f"/cohorts/{CODE}/uploads/{kind}",
        data={"csrf": token, **fields},
        files={"file": (f"{kind}.csv", io.BytesIO(text.encode()), "text/csv")},
    )


def test_a_roster_upload_reports_every_line(board: Board) -> None:
    """Accepted, refused (with the rule's code) and unusable lines, each by its line number."""
    board.sign_in(ORGANISER)
    fresh = make_participant(office=office(7), nip=make_nip(sequence=300))
    junior = make_participant(office=office(8), nip=make_nip(sequence=301), echelon="IV.a")
    text = (
        "nip,name,office,echelon\n"
        f"{fresh.nip},{fresh.name},{fresh.office.name},III.a\n"
        f"{junior.nip},{junior.name},{junior.office.name},IV.a\n"
        "123,Nobody,Somewhere,III.a\n"
    )
    response = _csv(board, "roster", text)
    assert response.status_code == 200
    rows = re.findall(r'<tr class="(\w+)"><td>(\d+)</td><td>([^<]*)</td>', response.text)
    assert rows == [
        ("accepted", "2", fresh.nip),
        ("refused", "3", junior.nip),
        ("refused", "4", "123"),
    ]
    assert "rank" in response.text or "echelon" in response.text
    assert board.engine.participant(CODE, fresh.nip).state == "enrolled"


def test_a_dry_run_upload_writes_nothing(board: Board) -> None:
    """Checking only judges every line and writes nothing."""
    board.sign_in(EXAMINER)
    before = board.record()
    response = _csv(board, "scores", f"nip,score\n{board.nips[0]},88\n", dry_run="yes")
    assert response.status_code == 200
    assert "nothing was written" in response.text
    assert board.record() == before
    applied = _csv(board, "scores", f"nip,score\n{board.nips[0]},88\n")
    assert '<tr class="accepted">' in applied.text
    assert board.engine.participant(CODE, board.nips[0]).scores == {"overall": 88.0}


def test_an_unusable_file_is_refused_whole(board: Board) -> None:
    """A file with the wrong header is refused with 400 before any row is applied."""
    board.sign_in(ORGANISER)
    before = board.record()
    response = _csv(board, "projects", "who,what\n1,2\n")
    assert response.status_code == 400
    assert board.record() == before


def test_the_audit_check_verifies_the_chain(board: Board) -> None:
    """The audit page runs verify: the chain holds, with its head."""
    board.sign_in(ORGANISER)
    page = board.client.get(f"/cohorts/{CODE}/audit").text
    head = board.engine.checkpoints()[0]
    assert "The chain verifies" in page
    assert head.hash in page


def test_unknown_cohorts_and_participants_are_not_found(board: Board) -> None:
    """Signed in: 404 for a cohort or a NIP that does not exist (to staff)."""
    board.sign_in(ORGANISER)
    assert board.client.get("/cohorts/NOPE-1").status_code == 404
    missing = make_nip(sequence=999)
    assert board.client.get(f"/cohorts/{CODE}/participants/{missing}").status_code == 404


def test_the_board_speaks_indonesian(board: Board) -> None:
    """Choosing Bahasa Indonesia (a form) or asking for it in the browser translates pages."""
    board.client.headers["accept-language"] = "id-ID,id;q=0.9"
    assert "Kata sandi" in board.client.get("/signin").text
    del board.client.headers["accept-language"]
    board.sign_in(ORGANISER)
    response = board.post("/language", language="id", next=f"/cohorts/{CODE}")
    assert response.headers["location"] == f"/cohorts/{CODE}"
    page = board.client.get(f"/cohorts/{CODE}").text
    assert "seminar rancangan" in page
    assert "Jadwal" in page
    for elsewhere in ("//evil.example/", "/\\evil.example/", "https://evil.example/"):
        away = board.post("/language", language="en", next=elsewhere)
        assert away.headers["location"] == "/"


def test_every_text_the_board_shows_has_its_indonesian_translation() -> None:
    """Each ``t("...")`` of the templates and the code, and every default name, is translated.

    And the catalogue holds nothing the board no longer shows.
    """
    pattern = re.compile(r"(?<![\w.])t\(\s*(\"[^\"]+\"|'[^']+')")
    used = set()
    for path in [*WEB.glob("templates/*.html"), *WEB.glob("*.py")]:
        used |= {m[1:-1] for m in pattern.findall(path.read_text(encoding="utf-8"))}
    titles = {"Roster", "Change projects", "Scores"}
    names = {
        name.replace("_", " ")
        for name in (
            *DEFAULT_LIFECYCLE.state_names,
            *DEFAULT_LIFECYCLE.events,
            *DEFAULT_LIFECYCLE.commands,
            *DEFAULT_PERMISSIONS,
            "create_cohort",
            *ROLES,
            "accepted",
            "refused",
            "already_enrolled",
            "unchanged",
        )
    }
    shown = used | titles | names
    assert shown - set(INDONESIAN) == set()
    assert set(INDONESIAN) - shown == set()


def test_a_busy_store_is_a_retry_page_and_writes_nothing(board: Board, tmp_path: Path) -> None:
    """Another writer holding the database: 503 (try again), the command not half done."""
    url = f"sqlite:///{tmp_path / 'board.db'}"
    with Engine(SqlStore(url, lock_timeout=0.2), clock=board.engine.clock) as engine:
        client = TestClient(create_app(engine=engine, secret="busy"))  # noqa: S106
        busy = Board(engine, client, board.nips)
        busy.sign_in(MENTOR_A)
        before = busy.record()
        holder = sqlite3.connect(tmp_path / "board.db", isolation_level=None)
        try:
            holder.execute("BEGIN IMMEDIATE")
            response = busy.post(
                f"/cohorts/{CODE}/participants/{board.nips[0]}/fire",
                event="approve_proposal",
                confirm="yes",
            )
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert response.status_code == 503
        assert busy.record() == before


def test_the_scripts_and_styles_are_served_from_the_package(board: Board) -> None:
    """Htmx and the stylesheet come from the board itself (no CDN), signed out too."""
    script = board.client.get("/static/htmx.min.js")
    assert script.status_code == 200
    assert "htmx" in script.text[:2000]
    assert board.client.get("/static/board.css").status_code == 200
    page = board.client.get("/signin").text
    assert '<script src="/static/htmx.min.js"' in page
    assert "https://" not in page


def test_a_resubmitted_form_is_replayed_not_repeated(board: Board) -> None:
    """Each rendered form carries its own key: a double click or a resent POST writes once."""
    board.sign_in(MENTOR_A)
    path = f"/cohorts/{CODE}/participants/{board.nips[0]}"
    key = re.search(r'name="key" value="([^"]+)"', board.client.get(path).text)
    assert key
    for _ in range(2):
        response = board.post(f"{path}/fire", event="approve_proposal", confirm="yes", key=key[1])
        assert response.status_code == 303
    entries = board.engine.history(board.nips[0], cohort=CODE, event="approve_proposal")
    assert [e.outcome for e in entries] == ["accepted"]  # no refused second attempt
    forged = board.post(f"{path}/fire", event="approve_proposal", confirm="yes", key="x; drop")
    assert forged.status_code == 400
