"""Signed-in sessions and CSRF tokens, kept in Starlette's signed session cookie.

The cookie is signed with the app's secret (itsdangerous), so its content cannot be
forged; it holds the login, the session's CSRF token and the chosen language, nothing
else. Every form carries the token and every POST is refused (:class:`CsrfRefused`) unless
its token matches the session's, compared in constant time.
"""

from __future__ import annotations

import hmac
import secrets
from typing import TYPE_CHECKING

from changeflow.web.errors import CsrfRefused, SignInRequired

if TYPE_CHECKING:
    from starlette.datastructures import FormData
    from starlette.requests import Request

__all__ = ["CSRF_FIELD", "check_csrf", "csrf_token", "login_of", "sign_in", "sign_out", "signed_in"]

CSRF_FIELD = "csrf"
"""The form field (and session key) holding the CSRF token."""
_LOGIN = "login"


def login_of(request: Request) -> str:
    """The signed-in login; :class:`SignInRequired` when nobody is signed in."""
    login = request.session.get(_LOGIN)
    if not isinstance(login, str) or not login:
        raise SignInRequired
    return login


def signed_in(request: Request) -> str | None:
    """The signed-in login, or ``None``."""
    login = request.session.get(_LOGIN)
    return login if isinstance(login, str) and login else None


def csrf_token(request: Request) -> str:
    """The session's CSRF token, made on first use."""
    token = request.session.get(CSRF_FIELD)
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        request.session[CSRF_FIELD] = token
    return token


def check_csrf(request: Request, form: FormData) -> None:
    """Refuse the POST (:class:`CsrfRefused`) unless it carries the session's token."""
    sent = form.get(CSRF_FIELD)
    held = request.session.get(CSRF_FIELD)
    if not isinstance(sent, str) or not isinstance(held, str) or not held:
        raise CsrfRefused
    if not hmac.compare_digest(sent.encode(), held.encode()):
        raise CsrfRefused


def sign_in(request: Request, login: str) -> None:
    """Start a fresh session for ``login`` (a new CSRF token; the language is kept)."""
    language = request.session.get("language")
    request.session.clear()
    request.session[_LOGIN] = login
    if isinstance(language, str):
        request.session["language"] = language
    csrf_token(request)


def sign_out(request: Request) -> None:
    """End the session (the language is kept)."""
    language = request.session.get("language")
    request.session.clear()
    if isinstance(language, str):
        request.session["language"] = language
