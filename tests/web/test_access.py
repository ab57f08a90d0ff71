"""Who may reach what: signed out, a missing CSRF token, the wrong role, another's mentee.

Every refusal is checked to write nothing: the chain heads and every participant's state
are compared before and after.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import pytest
from starlette.testclient import TestClient

from changeflow import Engine
from changeflow.store.sql import SqlStore
from changeflow.web import create_app
from web.support import (
    COACH,
    CODE,
    EXAMINER,
    MENTOR_A,
    ORGANISER,
    PASSWORD,
    STRANGER,
    Board,
    token_in,
)

if TYPE_CHECKING:
    from pathlib import Path

    from changeflow.staff import Actor, StaffMember

PAGES = [
    "/",
    f"/cohorts/{CODE}",
    f"/cohorts/{CODE}/counts",
    f"/cohorts/{CODE}/participants/{{nip}}",
    f"/cohorts/{CODE}/uploads",
    f"/cohorts/{CODE}/audit",
]
"""Every page but the sign-in page (``{nip}``: the first participant)."""


def _forms(nip: str) -> list[tuple[str, dict[str, str]]]:
    """Every form the board takes, filled as its page fills it (the CSRF token aside)."""
    return [
        ("/signout", {}),
        ("/language", {"language": "id", "next": "/"}),
        (f"/cohorts/{CODE}/advance", {"event": "start_class", "confirm": "yes"}),
        (
            f"/cohorts/{CODE}/participants/{nip}/fire",
            {"event": "approve_proposal", "confirm": "yes"},
        ),
    ]


def _upload(board: Board, data: dict[str, str], kind: str = "scores") -> object:
    content = f"nip,score\n{board.nips[0]},88\n".encode()
    return board.client.post(
        f"/cohorts/{CODE}/uploads/{kind}",
        data=data,
        files={"file": ("scores.csv", io.BytesIO(content), "text/csv")},
        follow_redirects=False,
    )


@pytest.mark.parametrize("template", PAGES)
def test_signed_out_pages_send_to_sign_in(board: Board, template: str) -> None:
    """Signed out, every page redirects to the sign-in page and shows nothing of the cohort."""
    response = board.client.get(template.format(nip=board.nips[0]), follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/signin"
    assert board.nips[0] not in response.text


def test_the_sign_in_page_is_reachable_signed_out(board: Board) -> None:
    """The sign-in page is served signed out, with its form and a CSRF token."""
    response = board.client.get("/signin")
    assert response.status_code == 200
    assert 'name="password"' in response.text
    assert token_in(response.text)


def test_signed_out_forms_are_refused_and_write_nothing(board: Board) -> None:
    """Signed out, with or without a valid token, no form changes the record."""
    before = board.record()
    token = token_in(board.client.get("/signin").text)
    for action, fields in _forms(board.nips[0]):
        if action in {"/signout", "/language"}:
            continue  # harmless without a session: they touch only the cookie
        for data in (fields, {**fields, "csrf": token}):
            response = board.client.post(action, data=data, follow_redirects=False)
            assert response.status_code in {401, 403}, (action, data)
    assert _upload(board, {"csrf": token}).status_code == 401
    assert board.record() == before


def test_sign_in_with_a_wrong_password_or_unknown_login_is_refused(board: Board) -> None:
    """A wrong password, an unknown login, an empty one: 401, still signed out."""
    for login, password in ((ORGANISER, "not-the-password"), ("nobody", PASSWORD), ("", PASSWORD)):
        response = board.sign_in(login, password)
        assert response.status_code == 401
        assert "Wrong login or password" in response.text
        assert not board.signed_in()


def test_sign_in_without_the_csrf_token_is_refused(board: Board) -> None:
    """The sign-in form is protected too (no login CSRF)."""
    board.client.get("/signin")
    response = board.client.post(
        "/signin", data={"login": ORGANISER, "password": PASSWORD}, follow_redirects=False
    )
    assert response.status_code == 403
    assert not board.signed_in()


def test_sign_in_then_out(board: Board) -> None:
    """Signing in opens the cohorts; signing out (a form) closes them again."""
    response = board.sign_in(ORGANISER)
    assert (response.status_code, response.headers["location"]) == (303, "/")
    assert CODE in board.client.get("/").text
    token = token_in(board.client.get("/").text)
    out = board.client.post("/signout", data={"csrf": token}, follow_redirects=False)
    assert (out.status_code, out.headers["location"]) == (303, "/signin")
    assert not board.signed_in()


@pytest.mark.parametrize("login", [ORGANISER, MENTOR_A])
def test_every_form_without_its_csrf_token_is_refused(board: Board, login: str) -> None:
    """Signed in, a form without the session's token (or with another) writes nothing."""
    board.sign_in(login)
    before = board.record()
    for action, fields in _forms(board.nips[0]):
        for data in (fields, {**fields, "csrf": "forged"}):
            response = board.client.post(action, data=data, follow_redirects=False)
            assert response.status_code == 403, (action, data)
    assert _upload(board, {}).status_code == 403
    assert _upload(board, {"csrf": "forged"}).status_code == 403
    assert board.record() == before
    assert board.signed_in()


def test_a_mentor_sees_only_their_own_participants(board: Board) -> None:
    """Mentor A's board shows their three mentees; mentor B's pages stay closed to them."""
    board.sign_in(MENTOR_A)
    page = board.client.get(f"/cohorts/{CODE}").text
    assert [nip for nip in board.nips if nip in page] == board.nips[:3]
    assert board.client.get(f"/cohorts/{CODE}/participants/{board.nips[0]}").status_code == 200
    other = board.client.get(f"/cohorts/{CODE}/participants/{board.nips[3]}")
    assert other.status_code == 403
    assert "Proyek 3" not in other.text


def test_a_mentor_firing_for_another_mentors_participant_is_refused(board: Board) -> None:
    """Mentor A approving mentor B's mentee: 403, nothing written, not even a refusal."""
    board.sign_in(MENTOR_A)
    before = board.record()
    response = board.post(
        f"/cohorts/{CODE}/participants/{board.nips[3]}/fire",
        event="approve_proposal",
        confirm="yes",
    )
    assert response.status_code == 403
    assert board.record() == before
    assert not board.engine.history(board.nips[3], cohort=CODE, event="approve_proposal")


@pytest.mark.parametrize(
    ("login", "action", "fields"),
    [
        (COACH, "advance", {"event": "start_class"}),
        (EXAMINER, "advance", {"event": "present_results"}),
        (MENTOR_A, "advance", {"event": "approve_proposal"}),
        (ORGANISER, "fire", {"event": "approve_proposal"}),
        (EXAMINER, "fire", {"event": "withdraw", "reason": "sakit"}),
        (COACH, "fire", {"event": "graduate"}),
    ],
)
def test_the_wrong_role_is_refused_and_nothing_is_written(
    board: Board, login: str, action: str, fields: dict[str, str]
) -> None:
    """A command the signed-in role may not give: 403 before the engine is asked."""
    board.sign_in(login)
    before = board.record()
    path = (
        f"/cohorts/{CODE}/advance"
        if action == "advance"
        else f"/cohorts/{CODE}/participants/{board.nips[0]}/fire"
    )
    response = board.post(path, confirm="yes", **fields)
    assert response.status_code == 403
    assert board.record() == before


@pytest.mark.parametrize(
    ("login", "kind"),
    [(COACH, "roster"), (EXAMINER, "roster"), (EXAMINER, "projects"), (ORGANISER, "scores")],
)
def test_an_upload_the_role_may_not_make_is_refused(board: Board, login: str, kind: str) -> None:
    """Uploads follow the lifecycle's permissions; anyone else is refused, nothing written.

    The roster and projects are the organiser's, scores an examiner's.
    """
    board.sign_in(login)
    before = board.record()
    token = token_in(board.client.get("/").text)
    assert _upload(board, {"csrf": token}, kind).status_code == 403
    assert board.record() == before


@pytest.mark.parametrize("login", [MENTOR_A, STRANGER])
def test_staff_pages_are_closed_to_others(board: Board, login: str) -> None:
    """Uploads and the audit check are for the cohort's staff; a stranger sees no cohort."""
    board.sign_in(login)
    for page in (f"/cohorts/{CODE}/uploads", f"/cohorts/{CODE}/audit"):
        assert board.client.get(page).status_code == 403
    if login == STRANGER:
        assert CODE not in board.client.get("/").text
        assert board.client.get(f"/cohorts/{CODE}").status_code == 403
        assert board.client.get(f"/cohorts/{CODE}/counts").status_code == 403


def test_an_event_without_its_confirmation_writes_nothing(board: Board) -> None:
    """The confirmation box is required: without it the board refuses with 400."""
    board.sign_in(MENTOR_A)
    before = board.record()
    response = board.post(
        f"/cohorts/{CODE}/participants/{board.nips[0]}/fire", event="approve_proposal"
    )
    assert response.status_code == 400
    assert board.record() == before


def test_responses_carry_the_security_headers_and_a_strict_cookie(board: Board) -> None:
    """No framing, no sniffing, scripts from the board only; the session cookie is HttpOnly."""
    response = board.sign_in(ORGANISER)
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=strict" in cookie
    page = board.client.get(f"/cohorts/{CODE}")
    assert page.headers["x-frame-options"] == "DENY"
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["cache-control"] == "no-store"


def test_htmx_refreshes_signed_out_load_the_sign_in_page_whole(board: Board) -> None:
    """The headcounts' refresh after the session ended asks htmx to go to the sign-in page."""
    response = board.client.get(
        f"/cohorts/{CODE}/counts", headers={"HX-Request": "true"}, follow_redirects=False
    )
    assert response.headers["hx-redirect"] == "/signin"
    assert response.text == ""


def test_the_board_asks_the_engines_authorizer(board: Board, tmp_path: Path) -> None:
    """An HR directory plugged into the engine decides the board's roles as the engine's."""

    def directory(actor: Actor | None, _member: StaffMember | None, /) -> frozenset[str]:
        return frozenset({"organiser"}) if actor and actor.id == STRANGER else frozenset()

    url = f"sqlite:///{tmp_path / 'board.db'}"
    with Engine(SqlStore(url), clock=board.engine.clock, authorizer=directory) as engine:
        client = TestClient(create_app(engine=engine, secret="hr"))  # noqa: S106
        plugged = Board(engine, client, board.nips)
        plugged.sign_in(STRANGER)
        assert plugged.client.get(f"/cohorts/{CODE}/uploads").status_code == 200
        response = plugged.post(
            f"/cohorts/{CODE}/participants/{board.nips[0]}/fire",
            event="withdraw",
            reason="pindah tugas",
            confirm="yes",
        )
        assert response.status_code == 303
        assert engine.state(CODE, board.nips[0]) == "withdrawn"
        plugged.client.cookies.clear()
        plugged.sign_in(ORGANISER)  # staff, but the directory gives them nothing
        assert plugged.client.get(f"/cohorts/{CODE}/uploads").status_code == 403
