"""A cohort in its proposal stage for the board's tests, and a client that signs in.

Six participants from three offices; mentors ``MENTOR_A`` (the first three) and
``MENTOR_B`` (the others) have their projects; the class has started and the proposals
were presented. Everyone below has the password :data:`PASSWORD`; ``STRANGER`` has one too
but no seat in the cohort.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from starlette.testclient import TestClient

from changeflow import ChangeProject, Engine, FixedClock, Mentor, StaffMember
from changeflow.store.sql import SqlStore
from changeflow.web import create_app
from factories import make_cohort, make_nip, make_participant, office

if TYPE_CHECKING:
    from pathlib import Path

    from changeflow import Checkpoint

CODE = "PKA-III-VII-2019"
ORGANISER, COACH, EXAMINER, STRANGER = "bkd-admin", "coach-jatim", "penguji-1", "tamu"
MENTOR_A = make_nip(sequence=901)
MENTOR_B = make_nip(sequence=902)
PASSWORD = "kata-sandi-rahasia"  # noqa: S105 - the test accounts' password
NOW = datetime(2019, 4, 29, 8, tzinfo=UTC)
"""The clock of the course: the day after the proposals were presented."""


def build_course(path: Path) -> list[str]:
    """Write the course's SQLite database at ``path``; the participants' NIPs, in order."""
    clock = FixedClock(datetime(2019, 4, 4, 8, tzinfo=UTC))
    with Engine(SqlStore(f"sqlite:///{path}"), clock=clock) as engine:
        engine.create_cohort(make_cohort(CODE), actor=ORGANISER)
        engine.add_staff(
            CODE, StaffMember(id=COACH, name="Coach", roles={"coach"}), actor=ORGANISER
        )
        engine.add_staff(
            CODE, StaffMember(id=EXAMINER, name="Penguji", roles={"examiner"}), actor=ORGANISER
        )
        nips = []
        for i in range(6):
            person = make_participant(office=office(i // 2), nip=make_nip(sequence=100 + i))
            engine.enrol(CODE, person, actor=ORGANISER)
            nips.append(person.nip)
        engine.advance(CODE, "start_class", actor=ORGANISER)
        for i, nip in enumerate(nips):
            mentor = MENTOR_A if i < 3 else MENTOR_B
            project = ChangeProject(
                title=f"Proyek {i}", theme="pelayanan", mentor=Mentor(name=f"M{i}", nip=mentor)
            )
            engine.register_project(CODE, nip, project, actor=ORGANISER)
        clock.set(datetime(2019, 4, 28, 8, tzinfo=UTC))
        engine.advance(CODE, "present_proposal", actor=ORGANISER)
        for login in (ORGANISER, COACH, EXAMINER, STRANGER, MENTOR_A, MENTOR_B):
            engine.set_password(login, PASSWORD, actor=ORGANISER)
    return nips


@dataclass
class Board:
    """The app on a copy of the course database, its engine, and the participants' NIPs."""

    engine: Engine
    client: TestClient
    nips: list[str]

    def csrf(self) -> str:
        """The session's CSRF token, as the sign-in page's form carries it."""
        response = self.client.get("/signin" if not self.signed_in() else "/")
        return token_in(response.text)

    def signed_in(self) -> bool:
        """Whether the client's session is signed in (the cohorts page is served)."""
        return self.client.get("/", follow_redirects=False).status_code == 200

    def sign_in(self, login: str, password: str = PASSWORD) -> Any:
        """Sign in as ``login``; the response to the sign-in form."""
        token = token_in(self.client.get("/signin").text)
        return self.client.post(
            "/signin",
            data={"csrf": token, "login": login, "password": password},
            follow_redirects=False,
        )

    def post(self, path: str, **fields: str) -> Any:
        """Post a form to ``path`` with the session's CSRF token (redirects not followed)."""
        token = token_in(self.client.get("/").text)
        return self.client.post(path, data={"csrf": token, **fields}, follow_redirects=False)

    def record(self) -> tuple[list[Checkpoint], dict[str, str]]:
        """What a refused request must leave as it was: the chain heads and every state."""
        states = {m.nip: m.state for m in self.engine.participants(CODE)}
        return self.engine.checkpoints(), states


def token_in(html: str) -> str:
    """The CSRF token of the first form in ``html``."""
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF token in the page"
    return found.group(1)


def open_board(template: Path, directory: Path, nips: list[str]) -> Board:
    """A :class:`Board` on a fresh copy of the course database made at ``template``."""
    target = directory / "board.db"
    shutil.copyfile(template, target)
    engine = Engine(SqlStore(f"sqlite:///{target}"), clock=FixedClock(NOW))
    client = TestClient(create_app(engine=engine, secret="test-secret"))  # noqa: S106
    return Board(engine, client, nips)
