"""The board as a Starlette app: routes, sign-in, and every write through the engine.

:func:`create_app` serves one store (the same URL as the CLI's ``--db``). Every page but
the sign-in page needs a signed-in person; every form carries the session's CSRF token;
every command runs on the engine as the signed-in actor, so the cohort's lifecycle judges
it and its audit chain records it. What the person's seat does not allow is refused here,
before the engine is asked, so a refused request writes nothing.

Handlers are ``async`` and call the engine on the event loop's thread: one process serves
one request at a time against the store, as the CLI does. Run several uvicorn workers on
PostgreSQL to serve more at once.
"""

from __future__ import annotations

import os
import re
import secrets
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import structlog
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from changeflow.errors import InvalidInput, NotFound, StoreError, TransitionRejected
from changeflow.inputs import ACTOR_MAX, KEY_MAX
from changeflow.web import uploads
from changeflow.web.access import Seat, seat_for, seat_in, staff_seat
from changeflow.web.errors import FormRefused, SignInRequired, WebRefusal
from changeflow.web.language import LANGUAGES, language_of, translator
from changeflow.web.render import page, text
from changeflow.web.sessions import check_csrf, login_of, sign_in, sign_out, signed_in
from changeflow.web.views import CORRECTIONS, board_values, counts_values

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Mapping
    from datetime import date

    from starlette.datastructures import FormData
    from starlette.requests import Request
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

    from changeflow.engine import Engine
    from changeflow.models import Cohort
    from changeflow.records import Enrolment

__all__ = ["SESSION_MAX_AGE", "create_app", "from_environment"]

SESSION_MAX_AGE = 8 * 3600
"""How long a sign-in lasts, in seconds (a working day)."""

_REASON_MAX = 500
_log = structlog.get_logger("changeflow.web")


def create_app(
    url: str | None = None,
    *,
    engine: Engine | None = None,
    secret: str | None = None,
    https_only: bool = False,
    schema: str | None = None,
) -> Starlette:
    """The board app over the store at ``url`` (or over ``engine``, which the caller closes).

    ``secret`` signs the session cookies: give the same one to every worker and keep it
    across restarts, or sessions end with the process (a random one is made if omitted).
    ``https_only`` marks the cookie Secure (behind TLS). ``schema`` is the PostgreSQL schema
    holding the tables (as the CLI's ``--schema``).
    """
    if (url is None) == (engine is None):
        raise InvalidInput("url", "give either a store URL or an engine")
    owned = engine is None
    if engine is None:
        from changeflow.engine import Engine  # noqa: PLC0415 - the app needs no engine at import
        from changeflow.store.sql import SqlStore  # noqa: PLC0415

        engine = Engine(SqlStore(str(url), schema=schema))

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        if owned:
            engine.close()

    app = Starlette(
        routes=_routes(),
        middleware=[
            Middleware(_SecurityHeaders),
            Middleware(
                SessionMiddleware,
                secret_key=secret or secrets.token_urlsafe(32),
                session_cookie="changeflow_session",
                max_age=SESSION_MAX_AGE,
                same_site="strict",
                https_only=https_only,
            ),
        ],
        exception_handlers={
            WebRefusal: _refused,
            NotFound: _not_found,
            InvalidInput: _invalid,
            StoreError: _store_error,
        },
        lifespan=lifespan,
    )
    app.state.engine = engine
    return app


def from_environment() -> Starlette:
    """The app each of uvicorn's worker processes builds (``changeflow serve --workers N``).

    The store is ``$CHANGEFLOW_DB`` (in ``$CHANGEFLOW_SCHEMA``), the cookie secret
    ``$CHANGEFLOW_WEB_SECRET`` (the same for every worker, or a session would end at the next
    request another worker serves); ``$CHANGEFLOW_WEB_HTTPS_ONLY=1`` marks the cookie Secure.
    """
    url, secret = os.environ.get("CHANGEFLOW_DB"), os.environ.get("CHANGEFLOW_WEB_SECRET")
    if not url:
        raise InvalidInput("CHANGEFLOW_DB", "name the store every worker serves")
    if not secret:
        raise InvalidInput("CHANGEFLOW_WEB_SECRET", "give every worker the same cookie secret")
    return create_app(
        url,
        secret=secret,
        https_only=os.environ.get("CHANGEFLOW_WEB_HTTPS_ONLY") == "1",
        schema=os.environ.get("CHANGEFLOW_SCHEMA") or None,
    )


def _routes() -> list[Route | Mount]:
    return [
        Route("/signin", _signin_page, methods=["GET"]),
        Route("/signin", _signin, methods=["POST"]),
        Route("/signout", _signout, methods=["POST"]),
        Route("/language", _language, methods=["POST"]),
        Route("/", _cohorts, methods=["GET"]),
        Route("/cohorts/{code}", _board, methods=["GET"]),
        Route("/cohorts/{code}/counts", _counts, methods=["GET"]),
        Route("/cohorts/{code}/advance", _advance, methods=["POST"]),
        Route("/cohorts/{code}/participants/{nip}", _participant, methods=["GET"]),
        Route("/cohorts/{code}/participants/{nip}/fire", _fire, methods=["POST"]),
        Route("/cohorts/{code}/uploads", _uploads_page, methods=["GET"]),
        Route("/cohorts/{code}/uploads/{kind}", _upload, methods=["POST"]),
        Route("/cohorts/{code}/audit", _audit, methods=["GET"]),
        Mount("/static", StaticFiles(packages=[("changeflow.web", "static")]), name="static"),
    ]


class _SecurityHeaders:
    """Headers every response carries: no framing, no sniffing, scripts from here only."""

    _HEADERS = (
        (
            b"content-security-policy",
            b"default-src 'self'; frame-ancestors 'none'; "
            b"form-action 'self'; base-uri 'none'; object-src 'none'",
        ),
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"same-origin"),
    )

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *self._HEADERS]
            await send(message)

        await self.app(scope, receive, sending)


# -- helpers -----------------------------------------------------------------------------


def _engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def _redirect(to: str) -> Response:
    return RedirectResponse(to, status_code=303)


def _to_sign_in(request: Request) -> Response:
    """Signed out: the sign-in page, loaded whole.

    htmx's own requests (the live headcounts) are told to load it as a page rather than
    swap it into the part they refresh.
    """
    if request.headers.get("hx-request") == "true":
        return Response(status_code=200, headers={"HX-Redirect": "/signin"})
    return _redirect("/signin")


async def _form(request: Request) -> FormData:
    """The posted form, its CSRF token checked (:class:`CsrfRefused` otherwise)."""
    form = await request.form()
    check_csrf(request, form)
    return form


def _field(form: FormData, name: str, *, limit: int = ACTOR_MAX, required: bool = True) -> str:
    """A text field of ``form`` (stripped); :class:`FormRefused` if missing or too long."""
    value = form.get(name)
    if value is None or not isinstance(value, str):
        value = ""
    value = value.strip()
    if required and not value:
        raise FormRefused(name, "is required")
    if len(value) > limit:
        raise FormRefused(name, f"is longer than {limit} characters")
    return value


def _key(form: FormData) -> str | None:
    """The form's idempotency key (each rendered form has its own), if it sent one."""
    key = _field(form, "key", limit=KEY_MAX, required=False)
    if key and not re.fullmatch(r"web-[A-Za-z0-9_-]{8,64}", key):
        raise FormRefused("key", "is not a key this board made")
    return key or None


def _confirmed(form: FormData) -> None:
    if form.get("confirm") != "yes":
        raise FormRefused("confirm", "tick the confirmation first")


def _flash(request: Request, kind: str, message: str, violations: list[dict[str, str]]) -> None:
    request.session["flash"] = {"kind": kind, "text": message, "violations": violations[:20]}


def _take_flash(request: Request) -> Mapping[str, Any] | None:
    flash = request.session.pop("flash", None)
    return flash if isinstance(flash, dict) else None


def _today(engine: Engine) -> date:
    return engine.clock.now().date()


def _opened(request: Request) -> tuple[Engine, Cohort, str]:
    """The engine, the path's cohort and the signed-in login (signed in first)."""
    login = login_of(request)
    engine = _engine(request)
    return engine, engine.cohort(request.path_params["code"]), login


def _context(engine: Engine, cohort: Cohort, seat: Seat, **more: Any) -> dict[str, Any]:
    """What every cohort page shows: the cohort, its definition, the person's seat."""
    definition = engine.lifecycle_of(cohort.code).definition
    return {"cohort": cohort, "seat": seat, "definition": definition, **more}


def _board_context(request: Request) -> dict[str, Any]:
    """The cohort's context with every participant (whom a mentor mentors among them)."""
    engine, cohort, login = _opened(request)
    members = engine.participants(cohort.code)
    seat = seat_in(engine, cohort.code, login, members)
    seat.require(seat.present, "open the board")
    return _context(engine, cohort, seat, members=members)


def _staff_context(request: Request, what: str) -> dict[str, Any]:
    """The cohort's context for a page only its staff may open (no participant is read)."""
    engine, cohort, login = _opened(request)
    seat = staff_seat(engine, cohort.code, login)
    seat.require(seat.staff, what)
    return _context(engine, cohort, seat)


def _participant_context(request: Request) -> tuple[dict[str, Any], Enrolment]:
    """The cohort's context as far as the path's participant goes, and that participant."""
    engine, cohort, login = _opened(request)
    nip = request.path_params["nip"]
    seat, member = seat_for(engine, cohort.code, login, nip)
    seat.require(seat.sees(nip), "open this participant")
    return _context(engine, cohort, seat), member


# -- error pages -------------------------------------------------------------------------


async def _refused(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, WebRefusal)  # noqa: S101 - registered for WebRefusal only
    if isinstance(exc, SignInRequired) and request.method == "GET":
        return _to_sign_in(request)
    _log.info("web.refused", status=exc.status, refusal=type(exc).__name__, path=request.url.path)
    return _error_page(request, exc.status, exc.message, hide=False)


async def _not_found(request: Request, exc: Exception) -> Response:
    return _error_page(request, 404, str(exc))


async def _invalid(request: Request, exc: Exception) -> Response:
    return _error_page(request, 400, str(exc))


async def _store_error(request: Request, exc: Exception) -> Response:
    # Busy, unavailable, a conflict: nothing was written (the store's promise); try again.
    _log.warning("web.store_error", error=type(exc).__name__, path=request.url.path)
    return _error_page(request, 503, str(exc))


def _error_page(request: Request, status: int, message: str, *, hide: bool = True) -> Response:
    """The error page; signed out and ``hide``, the sign-in page instead (nothing is said)."""
    if hide and signed_in(request) is None:
        if request.method == "GET":
            return _to_sign_in(request)
        status, message = SignInRequired.status, SignInRequired().message
    t = translator(language_of(request))
    return page(
        request,
        "error.html",
        status=status,
        title=t("Not found") if status == 404 else t("Refused"),
        message=message,
        back="/" if signed_in(request) else "/signin",
        flash=None,
    )


# -- sign-in and language ----------------------------------------------------------------


async def _signin_page(request: Request) -> Response:
    if signed_in(request) is not None:
        return _redirect("/")
    return page(request, "signin.html", problem=None, given="", flash=None)


async def _signin(request: Request) -> Response:
    form = await _form(request)
    login = _field(form, "login", required=False)
    password = form.get("password")
    # check_password is False for what could never be set (empty, too long) without hashing.
    ok = isinstance(password, str) and _engine(request).check_password(login, password)
    if not ok:
        _log.info("web.signin_failed", login=login)
        t = translator(language_of(request))
        return page(
            request,
            "signin.html",
            status=401,
            problem=t("Wrong login or password."),
            given=login,
            flash=None,
        )
    sign_in(request, login)
    _log.info("web.signed_in", login=login)
    return _redirect("/")


async def _signout(request: Request) -> Response:
    await _form(request)
    sign_out(request)
    return _redirect("/signin")


async def _language(request: Request) -> Response:
    form = await _form(request)
    chosen = form.get("language")
    if chosen not in LANGUAGES:
        raise FormRefused("language", f"must be one of {', '.join(LANGUAGES)}")
    request.session["language"] = chosen
    back = form.get("next")
    # Only a path of this site: an absolute or protocol-relative URL would be an open redirect
    # (and browsers read a backslash as a slash).
    safe = isinstance(back, str) and back.startswith("/") and not back.startswith("//")
    safe = safe and "\\" not in str(back)
    return _redirect(str(back) if safe else "/")


# -- pages -------------------------------------------------------------------------------


async def _cohorts(request: Request) -> Response:
    login = login_of(request)
    engine = _engine(request)
    rows = []
    for cohort in engine.cohorts():
        # Staff are known from the staff list; only others need the participants read to
        # find whom they mentor (a registry's cohorts are many, their staff few).
        roles = sorted(engine.roles_of(cohort.code, login))
        if not roles and seat_in(engine, cohort.code, login).mentees:
            roles = ["mentor"]
        if roles:
            rows.append({"cohort": cohort, "roles": roles})
    return page(request, "cohorts.html", cohorts=rows, flash=_take_flash(request))


async def _board(request: Request) -> Response:
    context = _board_context(request)
    engine = _engine(request)
    values = board_values(
        engine, context["seat"], context["definition"], context["members"], _today(engine)
    )
    return page(request, "board.html", **context, **values, flash=_take_flash(request))


async def _counts(request: Request) -> Response:
    context = _board_context(request)
    shown = context["seat"].visible(context["members"])
    html = text(
        request,
        "_counts.html",
        cohort=context["cohort"],
        definition=context["definition"],
        **counts_values(context["definition"], shown),
    )
    return Response(html, media_type="text/html", headers={"Cache-Control": "no-store"})


async def _participant(request: Request) -> Response:
    context, member = _participant_context(request)
    seat, engine = context["seat"], _engine(request)
    return page(
        request,
        "participant.html",
        **context,
        member=member,
        events=seat.events(context["definition"], member),
        history=engine.history(member.nip, cohort=context["cohort"].code),
        corrections=CORRECTIONS,
        flash=_take_flash(request),
    )


async def _audit(request: Request) -> Response:
    context = _staff_context(request, "check the audit chain")
    checks = _engine(request).verify(context["cohort"].code)
    return page(request, "audit.html", **context, checks=checks, flash=None)


# -- commands ----------------------------------------------------------------------------


async def _fire(request: Request) -> Response:
    form = await _form(request)
    context, member = _participant_context(request)
    seat, code, nip = context["seat"], context["cohort"].code, member.nip
    event = _field(form, "event")
    seat.require(seat.may_fire(context["definition"], event, nip), f"fire {event} for {nip}")
    engine = _engine(request)
    reason = _field(form, "reason", limit=_REASON_MAX, required=False) or None
    _confirmed(form)
    t = translator(language_of(request))
    try:
        engine.fire(code, nip, event, actor=seat.login, reason=reason, key=_key(form))
    except TransitionRejected as refused:
        _flash(
            request,
            "refused",
            t("{event} was refused:", event=t.label(event)),
            [{"code": v.code, "message": v.message} for v in refused.violations],
        )
    else:
        _flash(request, "accepted", t("{event} done.", event=t.label(event)), [])
    return _redirect(f"/cohorts/{code}/participants/{nip}")


async def _advance(request: Request) -> Response:
    form = await _form(request)
    context = _staff_context(request, "advance the cohort")
    seat, code = context["seat"], context["cohort"].code
    event = _field(form, "event")
    allowed = {spec.event for spec in seat.bulk_events(context["definition"])}
    seat.require(event in allowed, f"advance the cohort by {event}")
    reason = _field(form, "reason", limit=_REASON_MAX, required=False) or None
    _confirmed(form)
    report = _engine(request).advance(code, event, actor=seat.login, reason=reason, key=_key(form))
    t = translator(language_of(request))
    refusals = [
        {"code": v.code, "message": f"{entry.nip}: {v.message}"}
        for entry in report.refused
        for v in entry.violations
    ]
    _flash(
        request,
        "refused" if report.refused else "accepted",
        t(
            "{event}: {moved} moved, {refused} refused.",
            event=t.label(event),
            moved=len(report.accepted),
            refused=len(report.refused),
        ),
        refusals,
    )
    return _redirect(f"/cohorts/{code}")


async def _uploads_page(request: Request) -> Response:
    context = _staff_context(request, "upload files")
    seat = context["seat"]
    kinds = [k for k in uploads.KINDS if seat.may_upload(context["definition"], k)]
    return page(request, "uploads.html", **context, kinds=kinds, **uploads.describe(), flash=None)


async def _upload(request: Request) -> Response:
    kind = request.path_params["kind"]
    if kind not in uploads.KINDS:
        raise FormRefused("kind", f"must be one of {', '.join(uploads.KINDS)}")
    # Who may upload is known before the body is read: a refused upload is never spooled.
    context = _staff_context(request, "upload files")
    seat = context["seat"]
    seat.require(seat.may_upload(context["definition"], kind), f"upload a {kind} file")
    async with request.form(max_files=1, max_fields=10, max_part_size=1024 * 1024) as form:
        check_csrf(request, form)
        upload = form.get("file")
        dry_run = form.get("dry_run") == "yes"
        report = await uploads.run(_engine(request), seat, kind, upload, dry_run=dry_run)
    return page(request, "report.html", **context, **report, **uploads.describe(), flash=None)
