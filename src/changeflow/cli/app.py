"""The ``changeflow`` Typer application: the root command, its global options, the commands.

Each command lives in the module named after what it works on (mirroring ``tests/cli/``):
:mod:`~changeflow.cli.cohorts` (``init``, ``cohort ...``), :mod:`~changeflow.cli.enrol`,
:mod:`~changeflow.cli.participant` (one participant), :mod:`~changeflow.cli.corrections`,
:mod:`~changeflow.cli.cohort_views` (the whole cohort), :mod:`~changeflow.cli.calendar`
(``schedule``, ``agenda``, ``tick``, ``attendance``) and :mod:`~changeflow.cli.demo`.
Every command parses its arguments, calls :class:`changeflow.Engine` on the SQL store and
renders the result; the rules, the lifecycle and the audit trail live in the library.
"""

import logging
import sys
from collections.abc import Callable
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from changeflow import __version__
from changeflow.cli import (
    calendar,
    checkpoints,
    cohort_views,
    cohorts,
    corrections,
    demo,
    documents,
    enrol,
    erasure,
    language,
    offices,
    participant,
    rules,
    staff,
)
from changeflow.cli.failures import ExitCode, Failure
from changeflow.cli.render import Output
from changeflow.cli.session import Settings

__all__ = ["app"]

# Typer re-exports only BadParameter; its base is the class every argument-parsing error
# derives from (Click's UsageError, or the copy newer Typers vendor).
_USAGE_ERRORS: tuple[type[BaseException], ...] = tuple(typer.BadParameter.__mro__[1:2])
_JSON_META = "changeflow.json"


class _Commands(TyperGroup):
    """The root group: under ``--json`` a usage error also prints the JSON error document.

    Click reports a missing argument, an unknown option or a value of the wrong type on
    stderr and exits 2; with ``--json`` stdout must still carry one error document, as it
    does for every other error.
    """

    def make_context(
        self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any
    ) -> Any:
        """Parse the global options, remembering whether ``--json`` is on the command line."""
        wanted = "--json" in args
        try:
            ctx = super().make_context(info_name, args, parent, **extra)
        except _USAGE_ERRORS as exc:
            _usage_document(exc, wanted=wanted)
            raise
        ctx.meta[_JSON_META] = wanted
        return ctx

    def invoke(self, ctx: Any) -> Any:
        """Run the command; a usage error in its arguments gets the JSON document too."""
        try:
            return super().invoke(ctx)
        except _USAGE_ERRORS as exc:
            _usage_document(exc, wanted=bool(ctx.meta.get(_JSON_META)))
            raise


def _usage_document(exc: BaseException, *, wanted: bool) -> None:
    if not wanted:
        return
    failed = getattr(exc, "ctx", None)
    where = getattr(failed, "command_path", None) or "changeflow"
    message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
    status = getattr(exc, "exit_code", ExitCode.INPUT)
    failure = Failure(
        ExitCode(status), "usage", message, language.tr("try '{where} --help'", where=where)
    )
    # Click still prints the usage and the error on stderr; stdout gets the document only.
    Output(json_mode=True).document(documents.error(failure))


app = typer.Typer(
    name="changeflow",
    cls=_Commands,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"changeflow {__version__}")
        raise typer.Exit


def _language(value: str | None) -> str | None:
    if value is not None and value not in language.LANGUAGES:
        raise typer.BadParameter(f"choose one of {', '.join(language.LANGUAGES)}")
    return value


@app.callback()
def _root(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            metavar="URL",
            help="Database URL (default: $CHANGEFLOW_DB, else sqlite:///changeflow.db in the "
            "working directory).",
        ),
    ] = None,
    lock_timeout: Annotated[
        float,
        typer.Option(
            "--lock-timeout",
            metavar="SECONDS",
            help="Wait at most this long for the database's write lock (then exit 4).",
        ),
    ] = 5.0,
    schema: Annotated[
        str | None,
        typer.Option(
            "--schema",
            metavar="NAME",
            envvar="CHANGEFLOW_SCHEMA",
            show_envvar=False,
            help="PostgreSQL schema holding changeflow's tables, and only them (also "
            "$CHANGEFLOW_SCHEMA or ?schema=NAME in the URL; default: the server's search_path).",
        ),
    ] = None,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Log each transition on stderr.")
    ] = False,
    lang: Annotated[
        str | None,
        typer.Option(
            "--lang",
            metavar="en|id",
            callback=_language,
            help="Language of messages, hints, headings and state labels (default: "
            "$CHANGEFLOW_LANG, else Indonesian under an id_ID locale, else English).",
        ),
    ] = None,
    _show_version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Run change-project (proyek perubahan) cohorts through their audited lifecycle.

    Exit status: 0 success; 1 broken audit chain or stored facts that differ from it
    (verify), or a failure that is not the user's; 2 unusable input or unknown name; 3
    refused by the rules or illegal from the current state; 4 conflict, busy or
    unreachable database (retry). With --json, stdout carries exactly one JSON document;
    hints and errors go to stderr.
    """
    ctx.obj = Settings(db=db, lock_timeout=lock_timeout, schema=schema or None)
    language.use(language.choose(lang))
    ctx.call_on_close(lambda: language.use(language.ENGLISH))
    if verbose:
        _log_to_stderr(ctx)


def _log_to_stderr(ctx: typer.Context) -> None:
    logger = logging.getLogger("changeflow")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)

    def restore() -> None:
        logger.removeHandler(handler)
        logger.setLevel(level)

    ctx.call_on_close(restore)


# -- the commands, in the order --help lists them -------------------------------------------

_COMMANDS: tuple[Callable[..., None], ...] = (
    cohorts.init,
    enrol.enrol,
    participant.fire,
    participant.check,
    participant.events,
    participant.project,
    participant.assess,
    corrections.transfer,
    cohort_views.groups,
    cohort_views.advance,
    cohort_views.status,
    participant.history,
    cohort_views.verify,
    checkpoints.checkpoints,
    calendar.agenda,
    calendar.tick,
    calendar.attendance,
    cohort_views.export,
    erasure.erase,
    cohort_views.diagram,
    demo.demo,
)
for _command in _COMMANDS:
    app.command()(_command)
app.add_typer(cohorts.cohort_app, name="cohort")
app.add_typer(corrections.correct_app, name="correct")
app.add_typer(calendar.schedule_app, name="schedule")
app.add_typer(rules.rules_app, name="rules")
app.add_typer(staff.staff_app, name="staff")
app.add_typer(offices.office_app, name="office")
