"""Password hashing (changeflow.passwords): Argon2id, bounded input, no password in a message."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from changeflow.errors import InvalidInput
from changeflow.passwords import (
    ARGON2_HINT,
    PASSWORD_MAX,
    PASSWORD_MIN,
    check_login,
    hash_password,
    needs_rehash,
    verify_password,
)

SRC = Path(__file__).resolve().parents[1] / "src"
SECRET = "rahasia-kantor-7"  # noqa: S105 - a test password

passwords = st.text(
    st.characters(exclude_categories=("Cs",), exclude_characters="\x00"),
    min_size=PASSWORD_MIN,
    max_size=40,
)
"""Any password hash_password accepts (kept short: the length does not change the path)."""


@pytest.fixture(scope="module")
def hashed() -> str:
    """The hash of :data:`SECRET`, made once (Argon2 is slow on purpose)."""
    return hash_password(SECRET)


def test_a_hash_is_argon2id_salted_and_without_the_password(hashed: str) -> None:
    """The hash names Argon2id at the library's default cost; a second hash has another salt."""
    assert hashed.startswith("$argon2id$v=19$")
    assert SECRET not in hashed
    assert not needs_rehash(hashed)
    again = hash_password(SECRET)
    assert again != hashed
    assert verify_password(again, SECRET)


def test_verify_accepts_the_password_only(hashed: str) -> None:
    """Only the very password verifies: not another case, not a prefix, not with a space."""
    assert verify_password(hashed, SECRET)
    for other in (SECRET.upper(), SECRET[:-1], f"{SECRET} "):
        assert not verify_password(hashed, other), other


@given(password=passwords, other=passwords)
@settings(max_examples=8, deadline=None)  # each example hashes once and verifies twice
def test_any_valid_password_verifies_against_its_own_hash_only(password: str, other: str) -> None:
    """Property: hash(p) verifies p and refuses any other valid password."""
    assume(other != password)
    made = hash_password(password)
    assert verify_password(made, password)
    assert not verify_password(made, other)


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("kurang7", "at least 8 characters"),
        ("", "at least 8 characters"),
        ("x" * (PASSWORD_MAX + 1), f"at most {PASSWORD_MAX} characters"),
        ("rahasia\x00kantor", "NUL"),
        ("rahasia\ud800kantor", "surrogate"),
    ],
)
def test_hash_refuses_an_unusable_password_without_quoting_it(password: str, problem: str) -> None:
    """Too short, too long, NUL, a lone surrogate: InvalidInput naming the field, not the text."""
    with pytest.raises(InvalidInput) as caught:
        hash_password(password)
    assert caught.value.field == "password"
    assert problem in str(caught.value)
    if password:
        assert password not in str(caught.value)
        assert "rahasia" not in str(caught.value)


def test_the_bounds_themselves_are_accepted() -> None:
    """Exactly 8 and exactly 1024 characters are passwords."""
    for password in ("x" * PASSWORD_MIN, "y" * PASSWORD_MAX):
        assert verify_password(hash_password(password), password)


def test_hash_refuses_what_is_not_text() -> None:
    """Bytes or None is a programming error, named as such."""
    for value in (b"rahasia-kantor", None):
        with pytest.raises(InvalidInput, match="must be a string"):
            hash_password(value)  # type: ignore[arg-type]
        with pytest.raises(InvalidInput, match="must be a string"):
            verify_password("$argon2id$", value)  # type: ignore[arg-type]


def test_verify_calls_an_unusable_password_wrong(hashed: str) -> None:
    """What hash_password refuses is nobody's password: False, not an error."""
    for password in ("pendek", "x" * (PASSWORD_MAX + 1), f"{SECRET}\x00"):
        assert not verify_password(hashed, password)


def test_verify_and_rehash_refuse_a_hash_changeflow_did_not_write() -> None:
    """A stored value that is no Argon2 hash is InvalidInput (``hashed``), not a silent False."""
    for bad in ("", "plain-text-password", "$2b$12$abcdefghijklmnopqrstuv"):
        with pytest.raises(InvalidInput) as caught:
            verify_password(bad, SECRET)
        assert caught.value.field == "hashed"
        with pytest.raises(InvalidInput):
            needs_rehash(bad)


def test_a_hash_made_at_a_lower_cost_verifies_and_needs_rehash() -> None:
    """An older, cheaper hash still verifies, and asks to be hashed again."""
    cheap = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(SECRET)
    assert verify_password(cheap, SECRET)
    assert not verify_password(cheap, "rahasia-kantor-8")
    assert needs_rehash(cheap)


@pytest.mark.parametrize(
    ("login", "problem"),
    [
        ("", "must not be empty"),
        ("   ", "must not be empty"),
        ("x" * 201, "at most 200 characters"),
        ("penguji\nadmin", "one line"),
        ("pen\x00guji", "NUL"),
        (42, "must be a string"),
    ],
)
def test_check_login_refuses_what_cannot_be_an_actor_id(login: object, problem: str) -> None:
    """A login is checked as an actor id: one line, 1 to 200 characters, text."""
    with pytest.raises(InvalidInput, match=problem) as caught:
        check_login(login)
    assert caught.value.field == "login"


def test_check_login_returns_an_id_or_a_nip() -> None:
    """A staff id and a mentor's NIP are logins as given."""
    assert check_login("bkd-admin") == "bkd-admin"
    assert check_login("196501011990031001") == "196501011990031001"


def test_without_argon2_the_error_says_what_to_install() -> None:
    """With argon2-cffi missing, hashing raises PasswordsUnavailable naming the web extra."""
    script = (
        "import sys\n"
        "sys.modules['argon2'] = None  # what an environment without the extra looks like\n"
        "from changeflow.errors import InvalidInput\n"
        "from changeflow.passwords import PasswordsUnavailable, hash_password, check_login\n"
        "assert check_login('penguji') == 'penguji'  # no hashing, no argon2 needed\n"
        "try:\n"
        "    hash_password('rahasia-kantor')\n"
        "except PasswordsUnavailable as exc:\n"
        "    assert isinstance(exc, InvalidInput)\n"
        "    print(exc)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        env={"PYTHONPATH": str(SRC)},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert done.stdout.strip() == f"password: passwords need argon2-cffi: {ARGON2_HINT}"
    assert "pip install 'changeflow[web]'" in done.stdout
