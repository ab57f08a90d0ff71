"""``changeflow serve``: the board served by uvicorn in a real process, signed into over HTTP."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import httpx
import pytest

from changeflow import Engine, FixedClock
from changeflow.demo import COHORT
from changeflow.store.sql import SqlStore
from changeflow.web.demo import DEMO_PASSWORD

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

_WAIT = 60.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run(
    cwd: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """This Python run with ``args`` in ``cwd`` to its end (no stdin), its output captured."""
    return subprocess.run(
        [sys.executable, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        stdin=subprocess.DEVNULL,
        env=env,
        timeout=_WAIT,
    )


class Served:
    """A ``changeflow serve`` process, what it printed before serving, and its base URL."""

    def __init__(self, process: subprocess.Popen[str], lines: list[str], base: str) -> None:
        self.process = process
        self.lines = lines
        self.base = base


@contextmanager
def _serve(cwd: Path, *args: str) -> Iterator[Served]:
    port = _free_port()
    env = {**os.environ, "CHANGEFLOW_LANG": "en", "COLUMNS": "120"}
    env.pop("CHANGEFLOW_DB", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "changeflow.cli", *args, "--port", str(port)],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    lines: list[str] = []
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + _WAIT
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line.rstrip("\n"))
            if line.startswith("serving the board on"):
                break
        base = f"http://127.0.0.1:{port}"
        _wait_listening(base, process)
        yield Served(process, lines, base)
    finally:
        process.terminate()
        process.wait(timeout=_WAIT)
        if process.stdout is not None:
            process.stdout.close()


def _wait_listening(base: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + _WAIT
    while time.monotonic() < deadline:
        assert process.poll() is None, "changeflow serve exited"
        try:
            httpx.get(f"{base}/signin", timeout=2)
        except httpx.TransportError:
            time.sleep(0.1)
        else:
            return
    raise AssertionError(f"nothing listens on {base}")


@pytest.fixture
def demo_server(tmp_path: Path) -> Iterator[Served]:
    """``changeflow serve --demo`` in an empty directory."""
    with _serve(tmp_path, "serve", "--demo") as served:
        yield served


def test_serve_demo_prints_the_accounts_and_they_sign_in(
    demo_server: Served, tmp_path: Path
) -> None:
    """The demo database is made, its accounts listed, and the organiser's signs in."""
    printed = "\n".join(demo_server.lines)
    assert (tmp_path / "changeflow-demo.db").is_file()
    assert repr(DEMO_PASSWORD) in printed
    logins = re.findall(r"^  (\S+)\s", printed, re.M)
    assert logins[:3] == ["bkd-probolinggo", "coach-bpsdm-jatim", "penguji-1"]
    assert len(logins) == 5  # the staff and two mentors
    with httpx.Client(base_url=demo_server.base) as client:
        page = client.get("/signin")
        token = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert token
        signed = client.post(
            "/signin",
            data={"csrf": token.group(1), "login": logins[0], "password": DEMO_PASSWORD},
        )
        assert signed.status_code == 303
        board = client.get(f"/cohorts/{COHORT.code}")
        assert board.status_code == 200
        assert 'data-testid="count-graduated">28<' in board.text


def test_serve_uses_the_database_given(tmp_path: Path) -> None:
    """Without --demo the board serves --db; a signed-out visit gets the sign-in page."""
    url = f"sqlite:///{tmp_path / 'given.db'}"
    made = _run(tmp_path, "-m", "changeflow.cli", "demo", "--db", url)
    assert made.returncode == 0, made.stderr
    with _serve(tmp_path, "--db", url, "serve") as served:
        response = httpx.get(f"{served.base}/", follow_redirects=False)
        assert (response.status_code, response.headers["location"]) == (303, "/signin")


def test_serve_demo_refuses_another_database(tmp_path: Path) -> None:
    """--demo replaces the demo file only: with --db it refuses, serving nothing."""
    url = f"sqlite:///{tmp_path / 'mine.db'}"
    done = _run(tmp_path, "-m", "changeflow.cli", "--db", url, "serve", "--demo")
    assert done.returncode == 2
    assert "--demo serves the demo database only" in done.stderr
    assert not (tmp_path / "mine.db").exists()


def test_serve_workers_share_the_store_and_the_sessions(pg_url: str, tmp_path: Path) -> None:
    """Two worker processes on PostgreSQL: a sign-in holds whichever worker serves next."""
    with Engine(SqlStore(pg_url), clock=FixedClock(datetime(2019, 4, 4, 8, tzinfo=UTC))) as engine:
        engine.create_cohort(COHORT, actor="bkd-admin")
        engine.set_password("bkd-admin", DEMO_PASSWORD, actor="bkd-admin")
    serving = ("--db", pg_url, "serve", "--workers", "2", "--secret", "shared-by-workers")
    with _serve(tmp_path, *serving) as served:
        fresh = httpx.Limits(max_keepalive_connections=0)  # a new connection per request
        with httpx.Client(base_url=served.base, limits=fresh) as client:
            token = re.search(r'name="csrf" value="([^"]+)"', client.get("/signin").text)
            assert token
            data = {"csrf": token.group(1), "login": "bkd-admin", "password": DEMO_PASSWORD}
            assert client.post("/signin", data=data).status_code == 303
            pages = [client.get(f"/cohorts/{COHORT.code}") for _ in range(12)]
        assert [p.status_code for p in pages] == [200] * 12


def test_serve_workers_need_a_secret(tmp_path: Path) -> None:
    """Several workers with random secrets would end every session: refused, exit 2."""
    without = {k: v for k, v in os.environ.items() if k != "CHANGEFLOW_WEB_SECRET"}
    done = _run(tmp_path, "-m", "changeflow.cli", "serve", "--workers", "2", env=without)
    assert done.returncode == 2
    assert "--workers needs --secret" in done.stderr


def test_serve_without_the_web_extra_says_how_to_install_it(tmp_path: Path) -> None:
    """Without uvicorn (the [web] extra), serve exits 2 with the pip command to run."""
    script = (
        "import sys; sys.modules['uvicorn'] = None; "
        "from changeflow.cli import main; sys.argv = ['changeflow', 'serve']; main()"
    )
    done = _run(tmp_path, "-c", script)
    assert done.returncode == 2, done.stderr
    assert "the web board is not installed" in done.stderr
    assert "pip install 'changeflow[web]'" in done.stderr
