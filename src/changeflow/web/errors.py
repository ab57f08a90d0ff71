"""What the web board refuses, as :class:`~changeflow.errors.ChangeflowError` s with an HTTP status.

Each error carries its facts (who, where, what) and the status its page is served with;
nothing is written by a request refused with one of these.
"""

from __future__ import annotations

from changeflow.errors import ChangeflowError

__all__ = ["AccessDenied", "CsrfRefused", "FormRefused", "SignInRequired", "WebRefusal"]


class WebRefusal(ChangeflowError):
    """A request the board refuses before anything is read or written for it."""

    status: int = 400

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class SignInRequired(WebRefusal):
    """The page needs a signed-in person (everything but the sign-in page does)."""

    status = 401

    def __init__(self) -> None:
        super().__init__("sign in first")


class AccessDenied(WebRefusal):
    """The signed-in ``login`` holds no role allowing ``what`` in ``cohort``.

    ``what`` names the page or command (``board``, ``participant``, ``fire graduate`` ...).
    """

    status = 403

    def __init__(self, login: str, cohort: str, what: str) -> None:
        self.login = login
        self.cohort = cohort
        self.what = what
        super().__init__(f"{login} may not {what} in {cohort}")


class FormRefused(WebRefusal):
    """A form the board cannot act on: no confirmation, a missing or unusable field.

    ``field`` names the form field at fault.
    """

    status = 400

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}")


class CsrfRefused(FormRefused):
    """A form posted without the session's CSRF token (or with another one)."""

    status = 403

    def __init__(self) -> None:
        super().__init__("csrf", "the form's token is missing or not this session's; reload it")
