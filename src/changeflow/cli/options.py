"""The arguments and options several commands share, and the parsers of their values.

Each parser turns one command-line value into what the engine takes, or raises
:class:`~changeflow.cli.failures.CliError` naming the option (exit status 2).
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Annotated, Any

import typer

from changeflow.cli.failures import CliError
from changeflow.errors import InvalidInput

__all__ = [
    "Actor",
    "CohortCode",
    "Component",
    "EventName",
    "IdempotencyKey",
    "JsonFlag",
    "Nip",
    "OptionalNip",
    "Reason",
    "Score",
    "nip_value",
    "parse_date",
    "parse_json_object",
    "parse_moment",
    "parse_state_map",
]

JsonFlag = Annotated[
    bool, typer.Option("--json", help="Print one JSON document on stdout instead of text.")
]
CohortCode = Annotated[
    str, typer.Argument(metavar="CODE", help="The cohort's code, e.g. PKA-III-VII-2019.")
]


def nip_value(value: str | None) -> str | None:
    """Something that is not a NIP is a usage error saying so (exit 2), not an unknown person."""
    from changeflow.inputs import nip_argument  # noqa: PLC0415 - only commands taking a NIP

    if value is None:  # an optional NIP left out
        return None
    try:
        return nip_argument(value)
    except InvalidInput as exc:
        raise typer.BadParameter(str(exc).removeprefix("nip: ")) from None


Nip = Annotated[
    str,
    typer.Argument(metavar="NIP", help="The participant's 18-digit NIP.", callback=nip_value),
]
OptionalNip = Annotated[
    str | None,
    typer.Argument(
        metavar="NIP", help="The participant's 18-digit NIP (default: anyone).", callback=nip_value
    ),
]
EventName = Annotated[
    str, typer.Argument(metavar="EVENT", help="A lifecycle event, e.g. start_class.")
]


def _require_actor(value: str | None) -> str:
    """Every write names who does it; a missing actor is a usage error (exit 2)."""
    if value is None or not value.strip():
        raise typer.BadParameter(
            "a write needs an actor: pass --actor ID (a staff id, or a mentor's NIP) or set "
            "CHANGEFLOW_ACTOR",
            param_hint="'--actor'",
        )
    return value


Actor = Annotated[
    str | None,
    typer.Option(
        "--actor",
        metavar="ID",
        envvar="CHANGEFLOW_ACTOR",
        callback=_require_actor,
        help="Who does it: a staff id or a mentor's NIP (recorded in the audit; "
        "default $CHANGEFLOW_ACTOR).",
    ),
]
Reason = Annotated[
    str | None,
    typer.Option(
        "--reason",
        metavar="TEXT",
        help="Why (recorded in the audit; withdraw, drop, reopen and corrections need one).",
    ),
]
IdempotencyKey = Annotated[
    str | None,
    typer.Option("--key", metavar="KEY", help="Idempotency key: a retry does not repeat."),
]
Score = Annotated[float, typer.Option("--score", help="A score from 0 to 100.")]
Component = Annotated[str, typer.Option("--component", help="The graded component.")]


def parse_date(value: str, option: str) -> date:
    """A ``YYYY-MM-DD`` date; :class:`CliError` naming the option otherwise."""
    try:
        if len(value) != 10:
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise CliError(
            f"{option} {value!r} is not a date", hint="write dates as YYYY-MM-DD, e.g. 2019-04-04"
        ) from None


def parse_moment(value: str, option: str) -> datetime:
    """An ISO 8601 date and time with a timezone; :class:`CliError` naming the option otherwise.

    A time without a timezone is refused rather than guessed: the audit trail's times are
    UTC and a local reading would silently shift by hours.
    """
    hint = "write it as ISO 8601 with a timezone, e.g. 2024-04-01T12:00+07:00 or 2024-04-01T05:00Z"
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise CliError(f"{option} {value!r} is not a date and time", hint=hint) from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise CliError(f"{option} {value!r} has no timezone", hint=hint)
    return moment


def parse_json_object(value: str, option: str) -> dict[str, Any]:
    """A JSON object given on the command line; :class:`CliError` when malformed."""
    try:
        parsed = json.loads(value)
    except (json.JSONDecodeError, RecursionError) as exc:  # nested past the parser's limit
        raise CliError(
            f"{option} is not valid JSON: {exc}",
            hint=f"""quote it for the shell, e.g. {option} '{{"room": "A"}}'""",
        ) from None
    if not isinstance(parsed, dict):
        raise CliError(f"{option} must be a JSON object, got {type(parsed).__name__}")
    return parsed


def parse_state_map(values: list[str] | None, option: str) -> dict[str, str]:
    """``old=new`` pairs, each state at most once on the left; :class:`CliError` otherwise."""
    mapping: dict[str, str] = {}
    for value in values or ():
        old, sep, new = value.partition("=")
        old, new = old.strip(), new.strip()
        if not sep or not old or not new:
            raise CliError(
                f"{option} {value!r} is not OLD=NEW",
                hint=f"map a state of the cohort to one of the new lifecycle, e.g. {option} "
                "on_class=in_class",
            )
        if old in mapping and mapping[old] != new:
            raise CliError(f"{option} maps {old!r} twice ({mapping[old]!r} and {new!r})")
        mapping[old] = new
    return mapping
