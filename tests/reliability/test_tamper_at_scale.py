"""Tamper evidence at scale: random tamperings of a 2,000-row audit trail are all named.

On each backend a cohort's trail of 2,000 entries is built once, then seeded random
tamperings (edit a field, delete a row, swap two rows' contents, append a correctly chained
forged row past the head, truncate the tail) are applied one at a time to the pristine
trail, as a database owner could: SQLite gets a fresh copy of the file for each case;
PostgreSQL's rows are put back after each case and compared with the pristine table at the
end. The first broken entry :meth:`Engine.verify` names must be the one computed here.
"""

from __future__ import annotations

import random
import shutil
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy import exc as sa_exc

from changeflow import Engine, FixedClock
from changeflow.audit import chain_hash
from changeflow.store.sql import SqlStore
from factories import make_cohort, make_participant, office

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from sqlalchemy import Connection

CODE = "PKA-III-VII-2019"
PEOPLE = 400
REFUSED_ROUNDS = 3
ENTRIES = PEOPLE * (2 + REFUSED_ROUNDS)
CASES = {"sqlite": 100, "postgresql": 100}
KINDS = ("edit", "delete", "swap", "append", "truncate")
FIELDS = ("actor", "reason", "nip", "event", "hash")
COLUMNS = (
    "cohort_id, seq, at, nip, event, source, target, outcome, actor, reason, payload, "
    "violations, data, effective_date, hash"
)


@dataclass(frozen=True)
class Expected:
    """What verify must report for one tampering."""

    first_bad_seq: int
    missing_tail: bool = False


def _build(url: str) -> str:
    """Fill a database with a cohort of ``ENTRIES`` entries; the hash of a forged next one."""
    store = SqlStore(url, synchronous="OFF")
    try:
        engine = Engine(store, clock=FixedClock(datetime(2019, 4, 4, 8, tzinfo=UTC)))
        engine.create_cohort(make_cohort(capacity=PEOPLE, max_per_office=PEOPLE))
        for i in range(PEOPLE):
            engine.enrol(CODE, make_participant(office=office(i % 40)), actor=f"BKD-{i}")
        assert len(engine.advance(CODE, "start_class", actor="BKD").accepted) == PEOPLE
        for _ in range(REFUSED_ROUNDS):  # nobody has a project: every attempt is refused
            assert len(engine.advance(CODE, "present_proposal", actor="coach").refused) == PEOPLE
        check = engine.verify(CODE)[0]
        assert check.ok
        assert check.entries == ENTRIES
        last, last_hash = store.trail(CODE)[-1]
        # A forger's next entry: a copy of the last one, correctly chained after it.
        return chain_hash(last_hash, last._replace(seq=ENTRIES + 1))
    finally:
        store.close()


@contextmanager
def _superuser(url: str) -> Iterator[Connection]:
    """A connection that bypasses the append-only triggers; committed when the block ends."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "postgresql":
                connection.exec_driver_sql("SET session_replication_role = replica")
            else:
                connection.exec_driver_sql("DROP TRIGGER IF EXISTS audit_append_only_update")
                connection.exec_driver_sql("DROP TRIGGER IF EXISTS audit_append_only_delete")
            yield connection
            connection.commit()
    finally:
        engine.dispose()


def _verify(url: str) -> Any:
    """The audit check of the cohort, through a fresh store closed afterwards."""
    store = SqlStore(url)
    try:
        return Engine(store).verify(CODE)[0]
    finally:
        store.close()


def _tamper(
    connection: Connection, kind: str, rng: random.Random, forged_hash: str
) -> tuple[Expected, set[int]]:
    """Apply one tampering of ``kind``; what verify must say and the seqs touched."""
    if kind == "edit":
        seq, column = rng.randint(1, ENTRIES), rng.choice(FIELDS)
        value = {"nip": "197001012000031999", "hash": "f" * 64}.get(column, f"forged-{seq}")
        connection.execute(
            text(f"UPDATE audit SET {column} = :v WHERE seq = :s"),  # noqa: S608
            {"v": value, "s": seq},
        )
        return Expected(seq), {seq}
    if kind == "delete":
        seq = rng.randint(1, ENTRIES)
        connection.execute(text("DELETE FROM audit WHERE seq = :s"), {"s": seq})
        # The last row gone, the rest chains fine but the head names one more entry.
        return Expected(seq, missing_tail=seq == ENTRIES), {seq}
    if kind == "swap":
        a, b = sorted(rng.sample(range(1, ENTRIES + 1), 2))
        names = [c.strip() for c in COLUMNS.split(",") if c.strip() not in ("cohort_id", "seq")]
        rows = {
            row.seq: row
            for row in connection.execute(
                text(f"SELECT seq, {', '.join(names)} FROM audit WHERE seq IN (:a, :b)"),  # noqa: S608
                {"a": a, "b": b},
            )
        }
        assignments = ", ".join(f"{n} = :{n}" for n in names)
        for target, source in ((a, b), (b, a)):
            params = {n: getattr(rows[source], n) for n in names}
            connection.execute(
                text(f"UPDATE audit SET {assignments} WHERE seq = :target"),  # noqa: S608
                {**params, "target": target},
            )
        return Expected(a), {a, b}
    if kind == "append":
        # A forger appends a correctly chained entry but cannot update the head unnoticed.
        forged = ENTRIES + 1
        copied = COLUMNS.replace("seq, ", ":f, ", 1).replace(", hash", ", :h")
        connection.execute(
            text(f"INSERT INTO audit ({COLUMNS}) SELECT {copied} FROM audit WHERE seq = :s"),  # noqa: S608
            {"f": forged, "h": forged_hash, "s": ENTRIES},
        )
        return Expected(forged), {forged}
    keep = rng.randint(0, ENTRIES - 1)
    connection.execute(text("DELETE FROM audit WHERE seq > :k"), {"k": keep})
    return Expected(keep + 1, missing_tail=True), set(range(keep + 1, ENTRIES + 1))


def _snapshot(connection: Connection) -> list[tuple[Any, ...]]:
    """Every audit row, every column, in seq order."""
    return [tuple(r) for r in connection.execute(text("SELECT * FROM audit ORDER BY seq, id"))]


def _assert_detected(check: Any, expected: Expected, kind: str) -> None:
    """Verify failed, naming exactly the expected first broken entry."""
    assert not check.ok, kind
    assert (check.first_bad_seq, check.missing_tail) == (
        expected.first_bad_seq,
        expected.missing_tail,
    ), (kind, check.problem)


def _assert_append_only(url: str) -> None:
    """Through the store's own connections, UPDATE and DELETE on audit are refused."""
    store = SqlStore(url)
    try:
        for statement in ("UPDATE audit SET actor = 'x' WHERE seq = 1", "DELETE FROM audit"):
            with (
                pytest.raises(sa_exc.DBAPIError, match="append-only"),
                store.engine.begin() as connection,
            ):
                connection.execute(text(statement))
        assert Engine(store).verify(CODE)[0].ok
    finally:
        store.close()


def test_sqlite_tamperings_are_all_named(tmp_path: Path) -> None:
    """100 random tamperings, each on a fresh copy of a 2,000-row SQLite trail, are named."""
    pristine = tmp_path / "pristine.db"
    url = f"sqlite:///{pristine}"
    forged_hash = _build(url)
    _assert_append_only(url)
    rng = random.Random(1)
    counts = dict.fromkeys(KINDS, 0)
    for case in range(CASES["sqlite"]):
        kind = KINDS[case % len(KINDS)]
        copy = tmp_path / "case.db"
        shutil.copyfile(pristine, copy)
        copy_url = f"sqlite:///{copy}"
        with _superuser(copy_url) as connection:
            expected, _ = _tamper(connection, kind, rng, forged_hash)
        _assert_detected(_verify(copy_url), expected, kind)
        counts[kind] += 1
    print(f"sqlite: {sum(counts.values())} tamperings detected, {counts}")
    assert sum(counts.values()) == CASES["sqlite"]


def test_postgresql_tamperings_are_all_named(pg_url: str) -> None:
    """100 random tamperings of a 2,000-row PostgreSQL trail, each undone after, are named."""
    forged_hash = _build(pg_url)
    _assert_append_only(pg_url)
    with _superuser(pg_url) as connection:
        pristine = _snapshot(connection)
    rng = random.Random(2)
    counts = dict.fromkeys(KINDS, 0)
    store = SqlStore(pg_url)
    owner = create_engine(pg_url)
    try:
        for case in range(CASES["postgresql"]):
            kind = KINDS[case % len(KINDS)]
            with owner.connect() as connection:
                connection.exec_driver_sql("SET session_replication_role = replica")
                expected, touched = _tamper(connection, kind, rng, forged_hash)
                connection.commit()
                _assert_detected(Engine(store).verify(CODE)[0], expected, kind)
                # Put the touched rows back exactly as they were in the pristine trail.
                lo, hi = min(touched), max(touched)
                connection.execute(
                    text("DELETE FROM audit WHERE seq >= :lo AND seq <= :hi"), {"lo": lo, "hi": hi}
                )
                restore = [r for r in pristine if lo <= r[2] <= hi]
                if restore:
                    marks = ", ".join(["%s"] * len(restore[0]))
                    connection.exec_driver_sql(f"INSERT INTO audit VALUES ({marks})", restore)  # noqa: S608
                connection.commit()
            counts[kind] += 1
    finally:
        owner.dispose()
        store.close()
    with _superuser(pg_url) as connection:
        assert _snapshot(connection) == pristine
    assert _verify(pg_url).ok
    print(f"postgresql: {sum(counts.values())} tamperings detected, {counts}")
    assert sum(counts.values()) == CASES["postgresql"]
