"""The ``changeflow`` Typer application: the root command, its global options, the commands.

Each command lives in the module named after what it works on (mirroring ``tests/cli/``):
:mod:`~changeflow.cli.cohorts` (``init``, ``cohort ...``), :mod:`~changeflow.cli.enrol`,
:mod:`~changeflow.cli.participant` (one participant), :mod:`~changeflow.cli.corrections`,
:mod:`~changeflow.cli.cohort_views` (the whole cohort), :mod:`~changeflow.cli.calendar`
(``schedule``, ``agenda``, ``tick``, ``attendance``) and :mod:`~changeflow.cli.demo`.
Every command parses its arguments, calls :class:`changeflow.Engine` on the SQL store and
renders the result; the rules, the lifecycle and the audit trail live in the library.

A new command goes into :data:`COMMANDS` (its name, module and attribute), not through
``app.command()``: the root group imports a command's module only when that command runs,
so a short command does not pay for the others' imports.
"""

import importlib
import logging
import sys
from collections.abc import Iterator, Mapping, MutableMapping
from typing import Annotated, Any

import typer
from typer.core import TyperGroup
from typer.main import get_command_from_info, get_group_from_info
from typer.models import CommandInfo, TyperInfo

from changeflow import __version__
from changeflow.cli import language
from changeflow.cli.session import Settings

__all__ = ["app"]

# Typer re-exports only BadParameter; its base is the class every argument-parsing error
# derives from (Click's UsageError, or the copy newer Typers vendor).
_USAGE_ERRORS: tuple[type[BaseException], ...] = tuple(typer.BadParameter.__mro__[1:2])
_JSON_META = "changeflow.json"


class _Commands(TyperGroup):
    """The root group: commands load on demand; a usage error under ``--json`` prints JSON.

    Only the command that runs is imported (see :data:`COMMANDS`), with what it needs.
    Click reports a missing argument, an unknown option or a value of the wrong type on
    stderr and exits 2; with ``--json`` stdout must still carry one error document, as it
    does for every other error.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """The group Typer builds, its commands replaced by :class:`_LazyCommands`."""
        super().__init__(*args, **kwargs)
        self.commands = _LazyCommands(self.commands, self._load)

    def _load(self, name: str) -> Any:
        """The Click command ``name``: its module imported, converted as Typer would."""
        module, attribute = COMMANDS[name]
        found = getattr(importlib.import_module(f"changeflow.cli.{module}"), attribute)
        if isinstance(found, typer.Typer):
            return get_group_from_info(
                TyperInfo(found, name=name),
                pretty_exceptions_short=app.pretty_exceptions_short,
                rich_markup_mode=app.rich_markup_mode,
                suggest_commands=app.suggest_commands,
            )
        return get_command_from_info(
            CommandInfo(name=name, callback=found),
            pretty_exceptions_short=app.pretty_exceptions_short,
            rich_markup_mode=app.rich_markup_mode,
        )

    def list_commands(self, ctx: Any) -> list[str]:  # noqa: ARG002 - Click's signature
        """Every command's name, in the order ``--help`` lists them, none of them loaded."""
        return list(self.commands)

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


class _LazyCommands(MutableMapping[str, Any]):
    """The root group's commands: the names of :data:`COMMANDS`, each loaded when looked up.

    Commands added the usual way (``app.command()``, ``app.add_typer``) are kept as given.
    """

    def __init__(self, given: Mapping[str, Any], load: Any) -> None:
        self._loaded = dict(given)
        self._load = load

    def __getitem__(self, name: str) -> Any:
        if name not in self._loaded:
            if name not in COMMANDS:
                raise KeyError(name)
            self._loaded[name] = self._load(name)
        return self._loaded[name]

    def __setitem__(self, name: str, command: Any) -> None:
        self._loaded[name] = command

    def __delitem__(self, name: str) -> None:
        del self._loaded[name]

    def __iter__(self) -> Iterator[str]:
        yield from COMMANDS
        yield from (name for name in self._loaded if name not in COMMANDS)

    def __len__(self) -> int:
        return len(COMMANDS) + sum(name not in COMMANDS for name in self._loaded)

    def __contains__(self, name: object) -> bool:
        return name in COMMANDS or name in self._loaded


def _usage_document(exc: BaseException, *, wanted: bool) -> None:
    if not wanted:
        return
    # Imported here: only a usage error under --json needs them.
    from changeflow.cli import documents  # noqa: PLC0415
    from changeflow.cli.failures import ExitCode, Failure  # noqa: PLC0415
    from changeflow.cli.render import Output  # noqa: PLC0415

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

COMMANDS: dict[str, tuple[str, str]] = {
    "init": ("cohorts", "init"),
    "enrol": ("enrol", "enrol"),
    "fire": ("participant", "fire"),
    "check": ("participant", "check"),
    "events": ("participant", "events"),
    "project": ("participant", "project"),
    "assess": ("participant", "assess"),
    "transfer": ("corrections", "transfer"),
    "groups": ("cohort_views", "groups"),
    "advance": ("cohort_views", "advance"),
    "status": ("cohort_views", "status"),
    "history": ("participant", "history"),
    "verify": ("cohort_views", "verify"),
    "checkpoints": ("checkpoints", "checkpoints"),
    "agenda": ("calendar", "agenda"),
    "tick": ("calendar", "tick"),
    "attendance": ("calendar", "attendance"),
    "export": ("cohort_views", "export"),
    "erase": ("erasure", "erase"),
    "diagram": ("cohort_views", "diagram"),
    "demo": ("demo", "demo"),
    "serve": ("serve", "serve"),
    "cohort": ("cohorts", "cohort_app"),
    "correct": ("corrections", "correct_app"),
    "schedule": ("calendar", "schedule_app"),
    "rules": ("rules", "rules_app"),
    "staff": ("staff", "staff_app"),
    "office": ("offices", "office_app"),
    "user": ("users", "user_app"),
}
"""Each command's name and where it lives: (module of :mod:`changeflow.cli`, attribute), a
command function or a Typer sub-application. A command's module is imported only when the
command runs or ``--help`` lists it, so ``changeflow status`` loads neither the calendar nor
the roster reader."""
