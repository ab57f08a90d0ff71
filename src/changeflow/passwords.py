"""Staff passwords (kata sandi) for the web board's sign-in, hashed with Argon2id.

A password is hashed with argon2-cffi's :class:`argon2.PasswordHasher` at its default
cost (the optional ``web`` extra: ``pip install 'changeflow[web]'``); only the hash is
stored. A password is text of :data:`PASSWORD_MIN` to :data:`PASSWORD_MAX` characters
without NUL: the upper bound keeps a sign-in form from making the server hash megabytes
(Argon2 on a huge input is a denial of service). No message ever quotes a password.

A login is the id a person acts under (``--actor``): a staff member's id, or a mentor's
NIP; :func:`check_login` checks it as an actor id is checked.

>>> hashed = hash_password("rahasia-123")
>>> verify_password(hashed, "rahasia-123"), verify_password(hashed, "rahasia-124")
(True, False)
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from changeflow.errors import InvalidInput
from changeflow.inputs import ACTOR_MAX, check_text

if TYPE_CHECKING:
    from argon2 import PasswordHasher

__all__ = [
    "ARGON2_HINT",
    "PASSWORD_MAX",
    "PASSWORD_MIN",
    "PasswordsUnavailable",
    "check_login",
    "check_password_text",
    "hash_password",
    "needs_rehash",
    "verify_password",
]

PASSWORD_MIN = 8
"""The shortest password accepted."""

PASSWORD_MAX = 1024
"""The longest password accepted (Argon2 on a longer input only costs the server)."""

ARGON2_HINT = "install the web extra to hash passwords: pip install 'changeflow[web]'"
"""What to do when argon2-cffi is missing."""


class PasswordsUnavailable(InvalidInput):
    """A password was to be hashed or checked but argon2-cffi (the ``web`` extra) is missing."""


@cache
def _hasher() -> PasswordHasher:
    """The one hasher, at argon2-cffi's default cost; :class:`PasswordsUnavailable` if missing."""
    try:
        from argon2 import PasswordHasher  # noqa: PLC0415 - an optional extra, loaded on use
    except ImportError:
        raise PasswordsUnavailable(
            "password", f"passwords need argon2-cffi: {ARGON2_HINT}"
        ) from None
    return PasswordHasher()


def check_login(login: object) -> str:
    """``login`` when it can be an actor id (one line, at most 200 characters, not empty).

    Raises :class:`InvalidInput` naming the field ``login`` otherwise.
    """
    if not isinstance(login, str):
        raise InvalidInput("login", f"must be a string, got {type(login).__name__}")
    check_text("login", login, ACTOR_MAX)
    if not login.strip():
        raise InvalidInput("login", "must not be empty")
    return login


def check_password_text(password: object) -> str:
    """``password`` when it is one a hash may be made of; :class:`InvalidInput` if not.

    The message says what is wrong (its length, a NUL), never the password itself.
    """
    if not isinstance(password, str):
        raise InvalidInput("password", f"must be a string, got {type(password).__name__}")
    if len(password) < PASSWORD_MIN:
        raise InvalidInput("password", f"must be at least {PASSWORD_MIN} characters")
    if len(password) > PASSWORD_MAX:
        raise InvalidInput("password", f"must be at most {PASSWORD_MAX} characters")
    if "\x00" in password:
        raise InvalidInput("password", "must not contain NUL")
    try:
        password.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInput("password", "must not contain an unpaired surrogate") from None
    return password


def hash_password(password: str) -> str:
    """The Argon2id hash of a valid password (a new random salt each time)."""
    return _hasher().hash(check_password_text(password))


def verify_password(hashed: str, password: str) -> bool:
    """Whether ``password`` is the one ``hashed`` was made of.

    A string :func:`hash_password` would refuse (too short, too long, with NUL) is never
    anyone's password: ``False``, without hashing it. A ``hashed`` that is no Argon2 hash
    raises :class:`InvalidInput` (``hashed``): it was not written by changeflow.
    """
    if not isinstance(password, str):
        raise InvalidInput("password", f"must be a string, got {type(password).__name__}")
    try:
        check_password_text(password)
    except InvalidInput:
        return False
    hasher = _hasher()
    from argon2.exceptions import InvalidHashError, VerificationError  # noqa: PLC0415

    try:
        return hasher.verify(hashed, password)
    except VerificationError:  # the mismatch, and a hash that cannot verify
        return False
    except InvalidHashError:
        raise InvalidInput("hashed", "is not an Argon2 hash") from None


def needs_rehash(hashed: str) -> bool:
    """Whether ``hashed`` was made at another cost than today's (hash the password again)."""
    hasher = _hasher()
    from argon2.exceptions import InvalidHashError  # noqa: PLC0415 - the extra, as above

    try:
        return hasher.check_needs_rehash(hashed)
    except InvalidHashError:
        raise InvalidInput("hashed", "is not an Argon2 hash") from None
