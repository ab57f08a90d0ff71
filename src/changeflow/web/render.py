"""Pages from the package's Jinja2 templates, in the session's language.

Templates are autoescaped; each page gets the translator ``t``, the state and event label
``label``, the session's CSRF token ``csrf`` and the signed-in ``login`` besides its own
values. Responses are never cached (they show the record as it is now).
"""

from __future__ import annotations

import secrets
from functools import cache
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from starlette.responses import HTMLResponse

from changeflow.web.language import language_of, translator
from changeflow.web.sessions import csrf_token, signed_in

if TYPE_CHECKING:
    from starlette.requests import Request

__all__ = ["page", "text"]


@cache
def _environment() -> Environment:
    """The template environment, built once per process."""
    return Environment(
        loader=PackageLoader("changeflow.web", "templates"),
        autoescape=select_autoescape(default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _new_key() -> str:
    """A fresh idempotency key for one rendered form (a resubmission replays, never repeats)."""
    return "web-" + secrets.token_urlsafe(18)


def text(request: Request, template: str, **values: Any) -> str:
    """The template rendered for ``request`` (see :func:`page`)."""
    language = language_of(request)
    t = translator(language)
    return (
        _environment()
        .get_template(template)
        .render(
            t=t,
            label=t.label,
            language=language,
            csrf=csrf_token(request),
            login=signed_in(request),
            here=request.url.path,
            new_key=_new_key,
            **values,
        )
    )


def page(request: Request, template: str, *, status: int = 200, **values: Any) -> HTMLResponse:
    """An HTML response of ``template`` for ``request``, not to be cached."""
    return HTMLResponse(
        text(request, template, **values),
        status_code=status,
        headers={"Cache-Control": "no-store"},
    )
