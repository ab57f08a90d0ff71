"""Target 9: the server time of the web board's cohort page (``changeflow serve``).

A cohort of 30 and one of 5,000 participants on SQLite files, on the class's first morning
(everyone in class, so every card is in one column and the agenda has a line each). The
organiser is signed in; each request to ``/cohorts/{code}`` is timed inside the server, from
the request reaching the app to the last byte of the page, with Starlette's test client
driving it (no sockets). A round is the median of several requests; the first request of
each size warms the template cache and is not timed.
"""

from __future__ import annotations

import re
import statistics
import time
from typing import TYPE_CHECKING

from benchmarks.common import CODE, STAFF, STAFF_ID, Results, clock, cohort, people

if TYPE_CHECKING:
    from pathlib import Path

    from starlette.types import ASGIApp, Message, Receive, Scope, Send

PASSWORD = "bench-password"  # noqa: S105 - a throwaway benchmark account


class _Stopwatch:
    """An ASGI wrapper timing each HTTP request from its arrival to its last body byte."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.times: list[float] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()

        async def sending(message: Message) -> None:
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                self.times.append(time.perf_counter() - started)

        await self.app(scope, receive, sending)


def _cohort_database(path: Path, size: int) -> str:
    """An SQLite database holding a cohort of ``size`` in class, and the organiser's password."""
    from changeflow import Engine  # noqa: PLC0415
    from changeflow.store.sql import SqlStore  # noqa: PLC0415

    url = f"sqlite:///{path}"
    with Engine(SqlStore(url), clock=clock()) as engine:
        engine.create_cohort(cohort(size=size), actor=STAFF_ID)
        engine.add_staff(CODE, STAFF, actor=STAFF_ID)
        with engine.batch(CODE):
            for person in people(size, offices=max(size // 2, 1)):
                engine.enrol(CODE, person, actor=STAFF_ID)
        engine.advance(CODE, "start_class", actor=STAFF_ID)
        engine.set_password(STAFF_ID, PASSWORD, actor=STAFF_ID)
    return url


def _page_times(url: str, size: int, requests: int, rounds: int) -> list[float]:
    """Per round, the median server time of ``requests`` board pages (milliseconds)."""
    from starlette.testclient import TestClient  # noqa: PLC0415

    from changeflow import Engine  # noqa: PLC0415
    from changeflow.store.sql import SqlStore  # noqa: PLC0415
    from changeflow.web import create_app  # noqa: PLC0415

    with Engine(SqlStore(url), clock=clock()) as engine:
        watch = _Stopwatch(create_app(engine=engine, secret="bench"))  # noqa: S106
        with TestClient(watch) as client:
            page = client.get("/signin").text
            token = re.search(r'name="csrf" value="([^"]+)"', page)
            assert token is not None  # noqa: S101 - the sign-in form carries one
            data = {"csrf": token.group(1), "login": STAFF_ID, "password": PASSWORD}
            client.post("/signin", data=data, follow_redirects=False)
            shown = client.get(f"/cohorts/{CODE}")  # warms the templates: not timed
            cards = shown.text.count('class="card')
            if shown.status_code != 200 or cards != size:
                raise RuntimeError(f"the board showed {cards} cards, not {size}")
            runs = []
            for _ in range(rounds):
                watch.times.clear()
                for _ in range(requests):
                    client.get(f"/cohorts/{CODE}")
                runs.append(statistics.median(watch.times) * 1000)
    return runs


def board(results: Results, folder: Path, sizes: tuple[int, int], rounds: int) -> None:
    """Figures ``web.board.small`` and ``web.board.large``: the board page's server time."""
    for key, size, requests in (("small", sizes[0], 20), ("large", sizes[1], 3)):
        url = _cohort_database(folder / f"board-{size}.db", size)
        runs = _page_times(url, size, requests, rounds)
        results.add(
            f"web.board.{key}",
            f"board page, {size:,} participants (server time)",
            "ms",
            runs,
            note=f"median of {requests} requests per round",
        )
