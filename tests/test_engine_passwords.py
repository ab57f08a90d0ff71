"""Passwords through the engine: set_password, check_password, on every store."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from changeflow import Engine, FixedClock, MemoryStore
from changeflow.errors import InvalidInput
from changeflow.passwords import PASSWORD_MAX, needs_rehash
from changeflow.staff import Actor
from changeflow.store.sql import SqlStore
from changeflow.store.sql.tables import CREDENTIALS

if TYPE_CHECKING:
    from pathlib import Path

    from changeflow.store.base import Store

WHEN = datetime(2024, 3, 1, 8, 0, tzinfo=UTC)
MENTOR = "196501011990031001"
SECRET = "kata-sandi-penguji"  # noqa: S105 - a test password


@pytest.fixture
def engine() -> Engine:
    """An engine on a fresh memory store, its clock at :data:`WHEN`.

    Argon2 is slow on purpose, so most tests run on one store: the store contract
    (changeflow.testing) runs set and check on every backend.
    """
    return Engine(MemoryStore(), clock=FixedClock(WHEN))


def _sqlite(tmp_path: Path, sqlite_template: Path) -> SqlStore:
    path = tmp_path / "changeflow.db"
    path.write_bytes(sqlite_template.read_bytes())
    return SqlStore(f"sqlite:///{path}")


def _credentials(store: SqlStore) -> list[tuple[str, str | None, datetime]]:
    """The credentials rows as stored: login, who set the password, when."""
    table = CREDENTIALS
    query = select(table.c.login, table.c.changed_by, table.c.changed_at).order_by(table.c.login)
    with store.engine.connect() as connection:
        return [(r.login, r.changed_by, r.changed_at) for r in connection.execute(query)]


def test_a_staff_id_and_a_mentors_nip_sign_in_with_their_own_password(each_store: Store) -> None:
    """Each login checks against its own password only, on every store."""
    engine = Engine(each_store, clock=FixedClock(WHEN))
    engine.set_password("penguji", SECRET, actor="bkd-admin")
    engine.set_password(MENTOR, "sandi-mentor-01", actor=Actor("bkd-admin"))
    assert engine.check_password("penguji", SECRET)
    assert engine.check_password(MENTOR, "sandi-mentor-01")
    assert not engine.check_password("penguji", "sandi-mentor-01")
    assert not engine.check_password(MENTOR, SECRET)
    assert not engine.check_password("PENGUJI", SECRET)


def test_an_unknown_login_is_false(engine: Engine) -> None:
    """No password set: False, for any password."""
    assert not engine.check_password("penguji", SECRET)
    engine.set_password("penguji", SECRET, actor="bkd-admin")
    assert not engine.check_password("penguji2", SECRET)


def test_set_password_records_who_and_when(tmp_path: Path, sqlite_template: Path) -> None:
    """The SQL row names the actor's id and the clock's time; no password."""
    clock = FixedClock(WHEN)
    with Engine(_sqlite(tmp_path, sqlite_template), clock=clock) as engine:
        engine.set_password("penguji", SECRET, actor=Actor("bkd-admin", frozenset({"organiser"})))
        engine.set_password(MENTOR, "sandi-mentor-01", actor="bkd-kepegawaian")
        assert _credentials(engine.store) == [
            (MENTOR, "bkd-kepegawaian", WHEN),
            ("penguji", "bkd-admin", WHEN),
        ]
        clock.advance(hours=2)
        engine.set_password("penguji", "sandi-baru-02", actor="penguji")
        assert _credentials(engine.store)[1] == ("penguji", "penguji", WHEN + timedelta(hours=2))
        stored = engine.store.password_hash("penguji")
    assert stored is not None
    assert stored.startswith("$argon2id$")
    assert "sandi-baru-02" not in stored


@pytest.mark.parametrize(
    ("login", "password", "field"),
    [
        ("", SECRET, "login"),
        ("penguji\nroot", SECRET, "login"),
        ("x" * 201, SECRET, "login"),
        ("penguji", "pendek", "password"),
        ("penguji", "x" * (PASSWORD_MAX + 1), "password"),
        ("penguji", "kata\x00sandi-01", "password"),
    ],
)
def test_set_password_refuses_and_stores_nothing(
    engine: Engine, login: str, password: str, field: str
) -> None:
    """A bad login or password is InvalidInput naming the field (never the password)."""
    with pytest.raises(InvalidInput) as caught:
        engine.set_password(login, password, actor="bkd-admin")
    assert caught.value.field == field
    assert password not in str(caught.value)
    assert engine.store.password_hash(login) is None


def test_set_password_refuses_a_blank_actor(engine: Engine) -> None:
    """The actor is checked as on every command: an Actor cannot be empty."""
    with pytest.raises(InvalidInput, match="actor"):
        engine.set_password("penguji", SECRET, actor=Actor(""))
    assert engine.store.password_hash("penguji") is None


@pytest.mark.parametrize("actor", [None, ""])
def test_set_password_needs_a_named_actor(engine: Engine, actor: str | None) -> None:
    """Passwords are store-wide (no cohort's role applies): who sets one must be named."""
    with pytest.raises(InvalidInput, match="name who changes a password"):
        engine.set_password("penguji", SECRET, actor=actor)
    assert engine.store.password_hash("penguji") is None


def test_check_password_calls_the_impossible_false(engine: Engine) -> None:
    """A login or password that could never be set is False, not an error."""
    engine.set_password("penguji", SECRET, actor="bkd-admin")
    for login, password in (
        ("", SECRET),
        ("penguji\n", SECRET),
        ("penguji", "pendek"),
        ("penguji", SECRET + "x" * PASSWORD_MAX),
        ("penguji", f"{SECRET}\x00"),
    ):
        assert not engine.check_password(login, password)


def test_check_password_refuses_what_is_not_text(engine: Engine) -> None:
    """Not a string is a programming error, named by its field."""
    with pytest.raises(InvalidInput) as caught:
        engine.check_password(None, SECRET)  # type: ignore[arg-type]
    assert caught.value.field == "login"
    with pytest.raises(InvalidInput) as caught:
        engine.check_password("penguji", b"kata-sandi")  # type: ignore[arg-type]
    assert caught.value.field == "password"


def test_a_correct_password_on_an_old_hash_is_hashed_again(engine: Engine) -> None:
    """A hash made at a lower cost is replaced on the next correct sign-in, not a wrong one."""
    old = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(SECRET)
    engine.store.set_password_hash("penguji", old, by="bkd-admin", at=WHEN)
    assert not engine.check_password("penguji", "kata-sandi-salah")
    assert engine.store.password_hash("penguji") == old
    assert engine.check_password("penguji", SECRET)
    new = engine.store.password_hash("penguji")
    assert new is not None
    assert new != old
    assert not needs_rehash(new)
    assert engine.check_password("penguji", SECRET)
    assert engine.store.password_hash("penguji") == new


def _fastest(engine: Engine, login: str) -> float:
    """The quickest of three wrong-password checks for ``login``, in seconds."""
    times = []
    for _ in range(3):
        start = time.perf_counter()
        assert not engine.check_password(login, "kata-sandi-salah")
        times.append(time.perf_counter() - start)
    return min(times)


def test_an_unknown_login_costs_a_verify_like_a_known_one(engine: Engine) -> None:
    """Timing does not tell which logins exist: an unknown login still runs Argon2."""
    engine.set_password("penguji", SECRET, actor="bkd-admin")
    engine.check_password("nobody", SECRET)  # the dummy hash is made once, not timed
    known, unknown = _fastest(engine, "penguji"), _fastest(engine, "nobody")
    # Argon2 at its default cost takes tens of milliseconds; skipping it takes microseconds.
    assert known > 0.005
    assert unknown > known / 4
