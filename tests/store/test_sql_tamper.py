"""Tamper evidence on real databases: edits, deletions, reordering and truncation are named."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import Connection, text

from changeflow import Engine, FixedClock
from changeflow.audit import Checkpoint, chain_hash
from changeflow.store.sql import SqlStore
from factories import make_cohort, make_participant, office

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

CODE = "PKA-III-VII-2019"
ENTRIES = 12


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh database URL on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'tamper.db'}"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def store(url: str) -> Iterator[SqlStore]:
    """A store holding one cohort with a 12-entry audit trail."""
    store = SqlStore(url)
    engine = Engine(store, clock=FixedClock(datetime(2019, 4, 4, 8, tzinfo=UTC)))
    engine.create_cohort(make_cohort())
    nips = [engine.enrol(CODE, make_participant(office=office(i))).nip for i in range(6)]
    for nip in nips:
        engine.fire(CODE, nip, "start_class")
    assert len(engine.history(cohort=CODE)) == ENTRIES
    yield store
    store.close()


@contextmanager
def superuser(store: SqlStore) -> Iterator[Connection]:
    """A connection that bypasses the append-only triggers, as a database owner could."""
    with store.engine.connect() as connection:
        if store.dialect == "postgresql":
            connection.exec_driver_sql("SET session_replication_role = replica")
        else:
            connection.exec_driver_sql("DROP TRIGGER IF EXISTS audit_append_only_update")
            connection.exec_driver_sql("DROP TRIGGER IF EXISTS audit_append_only_delete")
        yield connection
        connection.commit()
        if store.dialect == "postgresql":
            # The setting outlives the transaction: never hand it back to the pool.
            connection.exec_driver_sql("RESET session_replication_role")
            connection.commit()


def _check(store: SqlStore, **kw: Any) -> Any:
    return Engine(store).verify(CODE, **kw)[0]


def test_an_intact_trail_verifies(store: SqlStore) -> None:
    """Untouched, the chain verifies and its head is the last entry."""
    check = _check(store)
    assert check.ok
    assert (check.entries, check.head.seq) == (ENTRIES, ENTRIES)


def _edit(seq: int) -> Callable[[Connection], int]:
    def apply(connection: Connection) -> int:
        connection.execute(text("UPDATE audit SET actor = 'forger' WHERE seq = :s"), {"s": seq})
        return seq

    return apply


def _delete(seq: int) -> Callable[[Connection], int]:
    def apply(connection: Connection) -> int:
        connection.execute(text("DELETE FROM audit WHERE seq = :s"), {"s": seq})
        return seq

    return apply


def _swap(seq: int) -> Callable[[Connection], int]:
    def apply(connection: Connection) -> int:
        # Swap the contents of two rows but leave their sequence numbers in place.
        rows = connection.execute(
            text("SELECT seq, nip, event FROM audit WHERE seq IN (:a, :b) ORDER BY seq"),
            {"a": seq, "b": seq + 1},
        ).all()
        for (s, _, _), (_, nip, event) in zip(rows, reversed(rows), strict=True):
            connection.execute(
                text("UPDATE audit SET nip = :n, event = :e WHERE seq = :s"),
                {"n": nip, "e": event, "s": s},
            )
        return seq

    return apply


@pytest.mark.parametrize(
    "tamper",
    [_edit(1), _edit(7), _edit(ENTRIES), _delete(5), _swap(3)],
    ids=["edit-first", "edit-middle", "edit-last", "delete-middle", "swap"],
)
def test_tampering_names_the_first_broken_row(
    store: SqlStore, tamper: Callable[[Connection], int]
) -> None:
    """An edited, deleted or reordered row is named as the first broken entry."""
    with superuser(store) as connection:
        first = tamper(connection)
    check = _check(store)
    assert not check.ok
    assert check.first_bad_seq == first
    assert not check.missing_tail


def test_truncating_the_tail_is_caught_by_the_chain_head(store: SqlStore) -> None:
    """Removing the last rows leaves a chain that verifies link by link, but the head says more."""
    with superuser(store) as connection:
        connection.execute(text("DELETE FROM audit WHERE seq > 9"))
    check = _check(store)
    assert not check.ok
    assert check.missing_tail
    assert check.first_bad_seq == 10


def test_a_rewritten_chain_is_caught_by_an_exported_checkpoint(store: SqlStore) -> None:
    """A forger who recomputes every hash and the head is still caught by a kept checkpoint."""
    kept = Engine(store).checkpoints()
    with superuser(store) as connection:
        connection.execute(text("UPDATE audit SET actor = 'forger' WHERE seq = 4"))
        connection.commit()
    previous = "0" * 64
    with superuser(store) as connection:
        for entry, _ in store.trail(CODE):
            previous = chain_hash(previous, entry)
            connection.execute(
                text("UPDATE audit SET hash = :h WHERE seq = :s"), {"h": previous, "s": entry.seq}
            )
        connection.execute(text("UPDATE cohorts SET chain_hash = :h"), {"h": previous})
    assert _check(store).ok  # the forger's rewrite is self-consistent ...
    check = _check(store, expected=kept)
    assert not check.ok  # ... but not with the checkpoint kept outside the database
    assert check.first_bad_seq == ENTRIES


def test_a_checkpoint_beyond_the_trail_reports_a_missing_tail(store: SqlStore) -> None:
    """A checkpoint naming more entries than the trail holds fails as a missing tail."""
    head = store.head(CODE)
    ahead = Checkpoint(CODE, head.seq + 3, "f" * 64)
    check = _check(store, expected=[ahead])
    assert not check.ok
    assert check.missing_tail
