"""``changeflow serve``: the cohort board in the browser (needs ``changeflow[web]``)."""

import os
import sys
from typing import TYPE_CHECKING, Annotated

import typer

from changeflow.cli.failures import CliError
from changeflow.cli.language import tr
from changeflow.cli.render import Output
from changeflow.cli.session import guarded, open_engine, settings_of

if TYPE_CHECKING:
    from changeflow.engine import Engine

__all__ = ["serve"]

_WEB_EXTRA = "pip install 'changeflow[web]'"


def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option("--host", help="The address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="The port.")] = 8000,
    secret: Annotated[
        str | None,
        typer.Option(
            "--secret",
            envvar="CHANGEFLOW_WEB_SECRET",
            help="Signs the session cookies; the same for every worker (default: a random "
            "one, so sessions end with the process).",
        ),
    ] = None,
    https_only: Annotated[
        bool, typer.Option("--https-only", help="Send the session cookie over HTTPS only.")
    ] = False,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            min=1,
            max=64,
            help="Worker processes (each its own engine on the same store; PostgreSQL is "
            "made for several). More than one needs --secret.",
        ),
    ] = 1,
    demo: Annotated[
        bool,
        typer.Option(
            "--demo",
            help="Recreate the demo database (as `changeflow demo`), give its staff and two "
            "mentors the demo password, list them, and serve it.",
        ),
    ] = False,
) -> None:
    """Serve the cohort board: cohorts, boards, participants, uploads, the audit check."""
    out = Output()
    with guarded(out):
        try:
            import uvicorn  # noqa: PLC0415 - an optional extra

            from changeflow.web import create_app  # noqa: PLC0415
        except ImportError as exc:
            raise CliError(
                tr("the web board is not installed ({problem})", problem=exc.name),
                hint=tr("install it with: {command}", command=_WEB_EXTRA),
            ) from None
        if workers > 1:
            _check_workers(secret, demo=demo)
            _serve_workers(ctx, out, host, port, workers, secret or "", https_only=https_only)
            return
        engine = _demo_engine(ctx, out) if demo else _engine(ctx)
        app = create_app(engine=engine, secret=secret, https_only=https_only)
    out.line(tr("serving the board on http://{host}:{port}/ (Ctrl+C stops)", host=host, port=port))
    sys.stdout.flush()
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning", ws="none")
    finally:
        engine.close()


def _check_workers(secret: str | None, *, demo: bool) -> None:
    if demo:
        raise CliError(tr("--demo serves one process: leave --workers out"))
    if not secret:
        raise CliError(
            tr("--workers needs --secret (or CHANGEFLOW_WEB_SECRET): every worker signs cookies"),
            hint=tr(
                "e.g. --secret \"$(python -c 'import secrets; print(secrets.token_urlsafe())')\""
            ),
        )


def _serve_workers(
    ctx: typer.Context,
    out: Output,
    host: str,
    port: int,
    workers: int,
    secret: str,
    *,
    https_only: bool,
) -> None:
    """Serve with uvicorn's worker processes, each building the app from the environment."""
    import uvicorn  # noqa: PLC0415 - an optional extra, present (checked by the caller)

    settings = settings_of(ctx)
    _engine(ctx).close()  # the store is reachable and current before any worker starts
    os.environ["CHANGEFLOW_DB"] = settings.url()
    os.environ["CHANGEFLOW_WEB_SECRET"] = secret
    os.environ["CHANGEFLOW_WEB_HTTPS_ONLY"] = "1" if https_only else "0"
    if settings.schema:
        os.environ["CHANGEFLOW_SCHEMA"] = settings.schema
    out.line(tr("serving the board on http://{host}:{port}/ (Ctrl+C stops)", host=host, port=port))
    sys.stdout.flush()
    uvicorn.run(
        "changeflow.web.app:from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        ws="none",
    )


def _engine(ctx: typer.Context) -> "Engine":
    settings = settings_of(ctx)
    return open_engine(settings.url(), lock_timeout=settings.lock_timeout, schema=settings.schema)


def _demo_engine(ctx: typer.Context, out: Output) -> "Engine":
    from changeflow.cli.demo import DEMO_URL, fresh_demo  # noqa: PLC0415
    from changeflow.demo import COHORT, run  # noqa: PLC0415
    from changeflow.web.demo import DEMO_PASSWORD, demo_accounts  # noqa: PLC0415

    if settings_of(ctx).db:
        raise CliError(
            tr("--demo serves the demo database only ({url}); leave --db out", url=DEMO_URL)
        )
    path, engine = fresh_demo(DEMO_URL)
    run(say=lambda _text: None, engine=engine)
    accounts = demo_accounts(engine, COHORT.code)
    out.line(tr("demo database: {path}", path=path))
    out.line(tr("demo accounts (password {password!r}):", password=DEMO_PASSWORD))
    for account in accounts:
        out.line(f"  {account.login:<20} {account.role} ({account.name})")
    return engine
