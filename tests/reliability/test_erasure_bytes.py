"""After an erasure, the person's NIP and name are nowhere in the database (issue 11 item 4).

SQLite: the bytes of the database file and of its WAL are searched (after the erasure's
checkpoint). ``secure_delete`` zeroes deleted rows and index cells, so no copy survives in
free pages or in a page's free space; the erasure truncates the WAL. PostgreSQL: every row
of every table is read as text and searched (dead tuples are the server's; row level is
what a client can see).

The person goes through everything that stores their data: enrolment, a corrected name,
a project whose mentor is given by NIP, a score, attendance, an idempotency key naming
them, reasons quoting their name, a refused attempt in another cohort.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import inspect, text

from changeflow import (
    Assessment,
    ChangeProject,
    Engine,
    FixedClock,
    Mentor,
    TransitionRejected,
)
from changeflow.store.sql import SqlStore
from factories import BKD, DINKES, make_cohort, make_participant, trusted_engine

if TYPE_CHECKING:
    from pathlib import Path

CODE, FULL = "PKA-III-VII-2019", "PKA-III-FULL-2019"
NAME, CORRECTED = "Zulaikha Prameswari Anggraini", "Zulaikha Prameswari Anggraeni"
MENTOR = Mentor(name="Mardiyanto Wicaksono Hadi", nip="196501011990031001")
PERSON = make_participant(name=NAME, office=DINKES)
OTHER = make_participant(name="Sri Wahyuningtyas Kencana", office=BKD)


def _secrets() -> list[bytes]:
    """What must not be found: the NIP, both names, their parts, the mentor's NIP and name."""
    texts = [PERSON.nip, NAME, CORRECTED, "Prameswari", MENTOR.nip, "Mardiyanto"]
    return [t.encode() for t in texts]


def _live_through_everything(engine: Engine, clock: FixedClock) -> None:
    engine.create_cohort(make_cohort(CODE))
    engine.create_cohort(make_cohort(FULL, capacity=1))
    engine.enrol(FULL, OTHER)
    with pytest.raises(TransitionRejected):
        engine.enrol(FULL, PERSON, reason=f"usulan {NAME}")
    engine.enrol(CODE, PERSON, reason=f"usulan {NAME}", key=f"enrol-{PERSON.nip}")
    engine.correct_participant(CODE, PERSON.nip, name=CORRECTED, reason=f"bukan {NAME}")
    engine.fire(CODE, PERSON.nip, "start_class")
    engine.record_attendance(CODE, PERSON.nip, date(2019, 4, 4), "present")
    project = ChangeProject(title="Antrean daring", theme="kesehatan", mentor=MENTOR)
    engine.register_project(CODE, PERSON.nip, project, key=f"project-{PERSON.nip}")
    for event in ("present_proposal", "approve_proposal", "present_results"):
        engine.fire(CODE, PERSON.nip, event)
    engine.record_assessment(CODE, PERSON.nip, Assessment(score=85.0))
    engine.fire(CODE, PERSON.nip, "graduate")
    clock.advance(days=400)
    engine.erase(PERSON.nip, reason="permintaan penghapusan data 7/2024", actor="BKD")
    assert all(check.ok for check in engine.verify())


def test_sqlite_file_and_wal_hold_no_trace(tmp_path: Path) -> None:
    """Neither the NIP nor a name is in the database file or its WAL after the erasure."""
    path = tmp_path / "erase.db"
    clock = FixedClock(datetime(2019, 4, 4, 8, tzinfo=UTC))
    store = SqlStore(f"sqlite:///{path}")
    engine = trusted_engine(store, clock=clock)
    before = path.read_bytes() + _wal(path)
    _live_through_everything(engine, clock)
    found = path.read_bytes() + _wal(path)
    assert not [s for s in _secrets() if s in found]
    assert OTHER.nip.encode() in found  # the search would see a NIP that is still there
    store.close()
    closed = path.read_bytes() + _wal(path)
    assert not [s for s in _secrets() if s in closed]
    assert PERSON.nip.encode() not in before  # the file did not start with it either


def test_sqlite_held_the_data_before_the_erasure(tmp_path: Path) -> None:
    """Control: without the erasure, the same search finds the NIP and the name."""
    path = tmp_path / "kept.db"
    clock = FixedClock(datetime(2019, 4, 4, 8, tzinfo=UTC))
    with trusted_engine(SqlStore(f"sqlite:///{path}"), clock=clock) as engine:
        engine.create_cohort(make_cohort(CODE))
        engine.enrol(CODE, PERSON)
        engine.fire(CODE, PERSON.nip, "withdraw", reason="mutasi")
    found = path.read_bytes() + _wal(path)
    assert PERSON.nip.encode() in found
    assert NAME.encode() in found


def test_postgres_rows_hold_no_trace(pg_url: str) -> None:
    """No row of any table holds the NIP or a name after the erasure, read as text."""
    clock = FixedClock(datetime(2019, 4, 4, 8, tzinfo=UTC))
    store = SqlStore(pg_url)
    try:
        _live_through_everything(trusted_engine(store, clock=clock), clock)
        with store.engine.connect() as connection:
            tables = inspect(connection).get_table_names()
            assert {"audit", "subjects", "personal_data", "enrolments"} <= set(tables)
            seen = b""
            for table in tables:
                query = text(f'SELECT t::text FROM "{table}" AS t')  # noqa: S608 - known names
                seen += "\n".join(row[0] for row in connection.execute(query)).encode()
        assert not [s for s in _secrets() if s in seen]
        assert OTHER.nip.encode() in seen
    finally:
        store.close()


def _wal(path: Path) -> bytes:
    wal = path.with_name(path.name + "-wal")
    return wal.read_bytes() if wal.exists() else b""
