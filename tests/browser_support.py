"""Browser-test support: find the Chromium to drive, and serve an ASGI app on a real port.

The web board's browser tests (``tests/browser``) drive Chromium through Playwright's sync
API. Playwright's own browser downloads are not used (the machines running the suite may not
reach them): the tests launch the Chromium this module finds, the same one
``scripts/ensure-chromium`` looks for and, as root, installs:

``CHANGEFLOW_CHROMIUM``
    The executable to use; when set, the only candidate (a wrong path is reported, not
    replaced by another browser).
``/usr/bin/chromium``, then ``chromium`` or ``chromium-browser`` on ``PATH``
    Where Debian and most distributions put it.
``CI=true``
    A missing Chromium fails the browser tests instead of skipping them.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import uvicorn

if TYPE_CHECKING:
    from collections.abc import Iterator

    from starlette.types import ASGIApp

__all__ = ["LAUNCH_ARGS", "find_chromium", "live_server", "require_chromium"]

LAUNCH_ARGS = ("--no-sandbox",)
"""Chromium's arguments: its sandbox refuses to start as root, which CI machines run as."""

_INSTALL_HINT = (
    "run `scripts/ensure-chromium` as root (`make test` does) to install Chromium, "
    "or set CHANGEFLOW_CHROMIUM to a Chromium executable"
)
_START_SECONDS = 10.0


def find_chromium() -> Path | None:
    """The Chromium executable to drive, found as ``scripts/ensure-chromium`` finds it."""
    chosen = os.environ.get("CHANGEFLOW_CHROMIUM")
    if chosen:
        return Path(chosen) if _executable(Path(chosen)) else None
    debian = Path("/usr/bin/chromium")
    if _executable(debian):
        return debian
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return Path(found)
    return None


def _executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def require_chromium() -> Path:
    """The Chromium to drive; without one, skip the test (fail it under ``CI=true``)."""
    found = find_chromium()
    if found is not None:
        return found
    chosen = os.environ.get("CHANGEFLOW_CHROMIUM")
    where = (
        f"CHANGEFLOW_CHROMIUM={chosen} is not an executable file"
        if chosen
        else "no chromium at /usr/bin/chromium or on PATH (chromium, chromium-browser)"
    )
    message = f"Chromium unavailable: {where}; {_INSTALL_HINT}"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message} (CI=true: a missing Chromium is a failure, not a skip)")
    pytest.skip(message)


@contextlib.contextmanager
def live_server(app: ASGIApp) -> Iterator[str]:
    """Serve ``app`` with uvicorn on a free 127.0.0.1 port in a thread; its base URL.

    The listening socket is bound here and handed to uvicorn, so no other process can take
    the port between choosing and serving it. On exit the server is asked to stop, finishes
    what it serves and its thread is joined.
    """
    config = uvicorn.Config(
        app,
        log_level="warning",
        ws="none",  # the board needs no websockets; importing them only risks warnings
        lifespan="on",
    )
    server = uvicorn.Server(config)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
        # uvicorn's own loop in its own thread: Playwright's sync API, in the test's thread,
        # refuses to run where an asyncio loop is running.
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name=f"uvicorn:{port}", daemon=True
        )
        thread.start()
        try:
            _wait_started(server, thread)
            yield f"http://127.0.0.1:{port}"
        finally:
            server.should_exit = True
            thread.join(_START_SECONDS)
        assert not thread.is_alive(), f"the server on port {port} did not stop"


def _wait_started(server: uvicorn.Server, thread: threading.Thread) -> None:
    deadline = time.monotonic() + _START_SECONDS
    while not server.started:
        if not thread.is_alive():
            pytest.fail("the live server's thread ended before it started serving")
        if time.monotonic() > deadline:
            pytest.fail(f"the live server did not start within {_START_SECONDS:.0f} s")
        time.sleep(0.01)
