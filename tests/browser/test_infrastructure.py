"""The browser-test machinery itself: a live server, a headless Chromium, a screenshot."""

from __future__ import annotations

import html
import socket
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

if TYPE_CHECKING:
    from collections.abc import Callable
    from contextlib import AbstractContextManager
    from pathlib import Path

    from playwright.sync_api import Page
    from starlette.requests import Request
    from starlette.types import ASGIApp

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _page(greeting: str) -> HTMLResponse:
    return HTMLResponse(
        "<!doctype html><title>Papan</title>"
        f'<p id="greeting">{html.escape(greeting)}</p>'
        '<form method="post" action="/greet">'
        '<label>Nama <input name="name" required></label>'
        "<button>Sapa</button></form>"
    )


async def _home(request: Request) -> HTMLResponse:  # noqa: ARG001 - Starlette's signature
    return _page("Belum ada yang menyapa")


async def _greet(request: Request) -> HTMLResponse:
    form = await request.form()
    return _page(f"Selamat datang, {form['name']}")


def _app() -> Starlette:
    return Starlette(routes=[Route("/", _home), Route("/greet", _greet, methods=["POST"])])


def test_a_form_posted_in_chromium_changes_the_page(
    page: Page,
    live_server: Callable[[ASGIApp], AbstractContextManager[str]],
    tmp_path: Path,
) -> None:
    """Fill a field, click, and the server's answer shows; a screenshot is a PNG file."""
    with live_server(_app()) as url:
        page.goto(url)
        greeting = page.locator("#greeting")
        expect(greeting).to_have_text("Belum ada yang menyapa")
        page.get_by_label("Nama").fill("Sri Wahyuni <BKD>")
        page.get_by_role("button", name="Sapa").click()
        expect(greeting).to_have_text("Selamat datang, Sri Wahyuni <BKD>")
        assert page.url == f"{url}/greet"
        shot = tmp_path / "board.png"
        page.screenshot(path=shot, full_page=True)
    assert shot.read_bytes().startswith(PNG_SIGNATURE)


def test_the_live_server_stops_listening_when_left(
    live_server: Callable[[ASGIApp], AbstractContextManager[str]],
) -> None:
    """After the ``with`` block the port refuses connections: nothing keeps serving."""
    with live_server(_app()) as url:
        port = int(url.rsplit(":", 1)[1])
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5)
