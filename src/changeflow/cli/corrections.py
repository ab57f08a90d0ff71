"""Corrections: ``correct score``, ``correct participant`` and ``transfer``.

Each is an audited command with a required reason (exit 3, ``reason_required``, without
one); the entry records the facts before and after. A mistaken final move is undone with
``fire CODE NIP reopen --reason TEXT``.
"""

from collections.abc import Sequence
from typing import Annotated

import typer

from changeflow.cli import documents, render
from changeflow.cli.failures import CliError
from changeflow.cli.language import tr
from changeflow.cli.options import (
    Actor,
    CohortCode,
    Component,
    IdempotencyKey,
    JsonFlag,
    Nip,
    Reason,
    Score,
    parse_date,
)
from changeflow.cli.render import Output
from changeflow.cli.session import session
from changeflow.models import Assessment, Office
from changeflow.offices import OfficeIndex

__all__ = ["correct_app", "correct_participant", "correct_score", "transfer"]

correct_app = typer.Typer(
    help="Correct a recorded score or a participant's facts (audited, with a reason).",
    no_args_is_help=True,
)


@correct_app.command("score")
def correct_score(
    ctx: typer.Context,
    code: CohortCode,
    nip: Nip,
    score: Score,
    component: Component = "overall",
    reason: Reason = None,
    actor: Actor = None,
    key: IdempotencyKey = None,
    json_output: JsonFlag = False,
) -> None:
    """Correct a recorded score, in any state; the grade band follows.

    Refused (exit 3) without a reason, or with ``outcome_would_change`` when the corrected
    grade would turn a graduate's pass into a fail (or a fail into a pass): reopen first.
    """
    out = Output(json_output)
    with session(ctx, out) as engine:
        entry = engine.correct_assessment(
            code,
            nip,
            Assessment(score=score, component=component),
            actor=actor,
            reason=reason,
            key=key,
        )
    document = documents.score_corrected(code, nip, component, entry)
    if out.json:
        out.document(document)
        return
    before = (document["before"] or {}).get(component)
    was = f"{before:g}" if isinstance(before, int | float) else "-"
    out.line(
        tr(
            "{nip}: {component} corrected {was} -> {score:g}, audit #{seq}",
            nip=nip,
            component=component,
            was=was,
            score=score,
            seq=entry.seq,
        )
    )
    grade = document["grade"]
    if grade is not None:
        verdict = tr("passes") if grade["passed"] else tr("does not pass")
        out.line(
            tr(
                "grade: {score:g} {band} ({verdict})",
                score=grade["score"],
                band=grade["band"],
                verdict=verdict,
            )
        )


@correct_app.command("participant")
def correct_participant(
    ctx: typer.Context,
    code: CohortCode,
    nip: Nip,
    name: Annotated[str | None, typer.Option("--name", help="The right name.")] = None,
    birth_date: Annotated[
        str | None,
        typer.Option(
            "--birth-date", metavar="YYYY-MM-DD", help="The right birth date (as in the NIP)."
        ),
    ] = None,
    echelon: Annotated[
        str | None, typer.Option("--echelon", help="The right echelon or rank.")
    ] = None,
    reason: Reason = None,
    actor: Actor = None,
    key: IdempotencyKey = None,
    json_output: JsonFlag = False,
) -> None:
    """Correct a participant's name, birth date or echelon (at least one; a reason is required)."""
    out = Output(json_output)
    with session(ctx, out) as engine:
        born = None if birth_date is None else parse_date(birth_date, "--birth-date")
        entry = engine.correct_participant(
            code,
            nip,
            name=name,
            birth_date=born,
            echelon=echelon,
            actor=actor,
            reason=reason,
            key=key,
        )
    if out.json:
        out.document(documents.participant_corrected(code, nip, entry))
        return
    out.line(
        tr(
            "{nip}: corrected {change}, audit #{seq}",
            nip=nip,
            change=render.change_text(entry.change),
            seq=entry.seq,
        )
    )


def transfer(
    ctx: typer.Context,
    code: CohortCode,
    nip: Nip,
    office: Annotated[
        str, typer.Option("--office", metavar="CODE", help="The office the participant is in now.")
    ],
    office_name: Annotated[
        str | None,
        typer.Option(
            "--office-name",
            metavar="NAME",
            help="Its name (needed for an office not stored yet; default: the stored name).",
        ),
    ] = None,
    reason: Reason = None,
    actor: Actor = None,
    key: IdempotencyKey = None,
    json_output: JsonFlag = False,
) -> None:
    """Record that a participant now works in another office (a reason is required).

    The new office's quota is judged (exit 3, ``office_quota``) while the participant holds
    a seat.
    """
    out = Output(json_output)
    with session(ctx, out) as engine:
        destination = _office(engine.offices(), office, office_name)
        entry = engine.transfer_office(code, nip, destination, actor=actor, reason=reason, key=key)
    if out.json:
        out.document(documents.transfer(code, nip, destination, entry))
        return
    out.line(
        tr(
            "{nip}: transferred to {code} ({name}), audit #{seq}",
            nip=nip,
            code=destination.code,
            name=destination.name,
            seq=entry.seq,
        )
    )


def _office(stored: Sequence[Office], code: str, name: str | None) -> Office:
    """The registered office with this code (or name or alias), else a new one (named)."""
    known = OfficeIndex(stored).find(code)
    if known is not None:
        return known
    if name is None:
        raise CliError(
            tr("office {code!r} is not stored yet: give its name with --office-name", code=code),
            hint="see `changeflow office list` (codes, names and aliases, case and spacing aside)",
            kind="unknown_office",
        )
    return Office(code=code, name=name)
