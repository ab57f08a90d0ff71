"""Fixtures of the browser tests: a headless Chromium, a fresh page, a live server.

Chromium starts once per test process (``browser`` is session-scoped) and each test gets
its own context and page, so cookies and storage never leak between tests. Every test here
carries ``xdist_group("browser")``: under ``--dist loadgroup`` one worker runs them all and
starts one Chromium. ``make test`` uses ``--dist worksteal``, which ignores groups; there each
worker that is handed a browser test starts its own Chromium (about a second), and workers
that are handed none start nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import sync_playwright

from browser_support import LAUNCH_ARGS, live_server, require_chromium

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from contextlib import AbstractContextManager

    from playwright.sync_api import Browser, Page, ViewportSize
    from starlette.types import ASGIApp

VIEWPORT: ViewportSize = {"width": 1280, "height": 900}
_HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Put every browser test in one xdist group (honoured by ``--dist loadgroup``)."""
    for item in items:
        if item.path.is_relative_to(_HERE):
            item.add_marker(pytest.mark.xdist_group("browser"))


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    """The Chromium executable; missing, the test skips (fails under ``CI=true``)."""
    return require_chromium()


@pytest.fixture(scope="session")
def browser(chromium_path: Path) -> Iterator[Browser]:
    """A headless Chromium driven by Playwright, started once per test process."""
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=chromium_path, args=list(LAUNCH_ARGS), headless=True
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh page in a context of its own (no cookies shared with other tests)."""
    context = browser.new_context(viewport=VIEWPORT)
    # Fail in seconds, not Playwright's default half a minute, when an element never shows.
    context.set_default_timeout(10_000)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture(name="live_server")
def live_server_fixture() -> Callable[[ASGIApp], AbstractContextManager[str]]:
    """Serve an ASGI app on a free local port: ``with live_server(app) as url: ...``."""
    return live_server
