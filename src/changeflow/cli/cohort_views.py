"""The whole cohort: ``groups``, ``advance``, ``status``, ``verify``, ``export``, ``diagram``."""

import json
from contextlib import nullcontext
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from changeflow.cli import documents, render
from changeflow.cli.checkpoints import read_checkpoints
from changeflow.cli.failures import CliError, ExitCode
from changeflow.cli.options import (
    Actor,
    CohortCode,
    EventName,
    IdempotencyKey,
    JsonFlag,
    Reason,
    parse_moment,
)
from changeflow.cli.render import Output
from changeflow.cli.session import session
from changeflow.errors import DefinitionMismatch

__all__ = [
    "PROGRESS_THRESHOLD",
    "DiagramFormat",
    "advance",
    "diagram",
    "export",
    "groups",
    "status",
    "verify",
]

PROGRESS_THRESHOLD = 200
"""Bulk commands on at least this many participants show progress on stderr."""


def groups(
    ctx: typer.Context,
    code: CohortCode,
    count: Annotated[int, typer.Option("--count", min=1, help="How many groups.")] = 3,
    actor: Actor = None,
    reason: Reason = None,
    key: IdempotencyKey = None,
    json_output: JsonFlag = False,
) -> None:
    """Split the seated participants into thematic groups (kelompok) by project theme.

    Each placement is audited (``form_groups``). All or nothing: once anyone seated is in a
    final state (a graduate), nobody is regrouped and the command exits 3.
    """
    out = Output(json_output)
    with session(ctx, out) as engine:
        formed = engine.form_groups(code, count, actor=actor, reason=reason, key=key)
    if out.json:
        out.document(documents.groups(code, formed))
    elif not formed:
        out.line(f"{code} has nobody to group")
    else:
        render.table(
            ("group", "themes", "members"),
            ((g.number, ", ".join(g.themes), len(g.members)) for g in formed),
        )


def advance(
    ctx: typer.Context,
    code: CohortCode,
    event: EventName,
    actor: Actor = None,
    reason: Reason = None,
    key: IdempotencyKey = None,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Judge everyone the event applies to; write nothing."),
    ] = False,
    json_output: JsonFlag = False,
) -> None:
    """Fire an event for everyone it applies to; 3 when anyone was refused."""
    out = Output(json_output)
    with session(ctx, out) as engine:
        members = engine.participants(code)
        with (
            out.progress(
                f"{event}: {len(members)} participants of {code}",
                show=len(members) >= PROGRESS_THRESHOLD,
            ),
            engine.batch(code, dry_run=True) if dry_run else nullcontext(),
        ):
            report = engine.advance(code, event, actor=actor, reason=reason, key=key)
    if out.json:
        out.document(documents.advance(report, dry_run=dry_run))
    else:
        render.advance_text(report, {m.nip: m.participant.name for m in members})
    if dry_run:
        out.hint("dry run: nothing was written")
    if not report.ok:
        raise typer.Exit(ExitCode.REFUSED)


def status(
    ctx: typer.Context,
    code: CohortCode,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            metavar="DATETIME",
            help="The cohort as it was then, replayed from the audit chain (ISO 8601 with a "
            "timezone, e.g. 2024-04-01T12:00+07:00).",
        ),
    ] = None,
    states: Annotated[
        list[str] | None,
        typer.Option(
            "--state",
            metavar="STATE",
            help="List only the participants in this state (repeatable); the headcounts "
            "stay whole.",
        ),
    ] = None,
    json_output: JsonFlag = False,
) -> None:
    """Show the participants of a cohort, their states and the headcount per state."""
    out = Output(json_output)
    with session(ctx, out) as engine:
        when = None if as_of is None else parse_moment(as_of, "--as-of")
        members = engine.participants(code, as_of=when, states=states)
        counts = engine.status(code, as_of=when)
    if out.json:
        out.document(documents.status(counts, members, when))
    else:
        render.status_text(counts, members, when)


def verify(
    ctx: typer.Context,
    code: Annotated[
        str | None,
        typer.Argument(metavar="CODE", help="Only this cohort (default: every cohort)."),
    ] = None,
    against: Annotated[
        Path | None,
        typer.Option(
            "--against",
            metavar="FILE",
            help="Also check each chain against the checkpoints of FILE (written by "
            "`changeflow checkpoints -o FILE`): shorter, different or gone is broken.",
        ),
    ] = None,
    json_output: JsonFlag = False,
) -> None:
    """Check the audit chain and every stored fact against it: 0 intact, 1 broken or different.

    Names the first bad row (a row that cannot be read: with its column), the lost tail, or
    each stored fact (table, participant, field) that differs from what replaying the chain
    gives. With --against, a chain cut short with its head rewound is caught too.
    """
    out = Output(json_output)
    with session(ctx, out) as engine:
        expected = [] if against is None else read_checkpoints(against)
        checks = engine.verify(code, expected=expected)
    intact = all(c.ok for c in checks)
    if out.json:
        out.document(documents.verify(checks, None if against is None else str(against)))
    else:
        render.verify_text(out, checks)
    if not intact:
        out.hint(
            "the audit trail or the stored facts were altered outside changeflow; "
            "restore them from a backup"
        )
        raise typer.Exit(ExitCode.FAILED)


def export(
    ctx: typer.Context,
    code: CohortCode,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", metavar="FILE", help="Write to FILE, not stdout."),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite FILE if it exists (refused otherwise).")
    ] = False,
) -> None:
    """Print the cohort, its participants and its whole history as one JSON document.

    The same data always gives the same bytes. An existing --output file is left as it
    is (exit 2) unless --force is given.
    """
    out = Output(json_mode=True)
    with session(ctx, out) as engine:
        if output is not None and not force and output.exists():
            raise _exists(output)
        text = json.dumps(engine.export(code), indent=2, ensure_ascii=False)
        if output is None:
            typer.echo(text)
            return
        try:
            # "x" refuses a file created meanwhile too: only --force replaces one.
            with output.open("w" if force else "x", encoding="utf-8") as file:
                file.write(text + "\n")
        except FileExistsError:
            raise _exists(output) from None
        except OSError as exc:
            raise CliError(f"cannot write {str(output)!r}: {exc.strerror or exc}") from None
    out.note(f"exported {code} to {output}")


def _exists(output: Path) -> CliError:
    return CliError(
        f"{str(output)!r} already exists; nothing was written",
        hint="pass --force to overwrite it, or choose another --output",
        kind="file_exists",
    )


class DiagramFormat(StrEnum):
    """The diagram formats."""

    MERMAID = "mermaid"
    DOT = "dot"


def diagram(
    ctx: typer.Context,
    fmt: Annotated[
        DiagramFormat, typer.Option("--format", help="Mermaid or Graphviz dot.")
    ] = DiagramFormat.MERMAID,
    cohort: Annotated[
        str | None,
        typer.Option(
            "--cohort",
            metavar="CODE",
            help="Draw this cohort's own lifecycle, each state with its headcount.",
        ),
    ] = None,
) -> None:
    """Print a lifecycle as a Mermaid or dot diagram (the default one, or a cohort's)."""
    from changeflow.states.default import DEFAULT_LIFECYCLE  # noqa: PLC0415
    from changeflow.states.diagram import render as draw  # noqa: PLC0415

    out = Output()
    if cohort is None:
        typer.echo(draw(DEFAULT_LIFECYCLE, fmt.value), nl=False)
        return
    with session(ctx, out) as engine:
        # Drawing needs no rule registered: the pinned definition itself is drawn.
        definition = engine.definition_of(cohort)
        if definition is None:
            raise DefinitionMismatch(cohort, stored=None, given=None)
        counts = dict(engine.status(cohort).by_state)
        typer.echo(draw(definition, fmt.value, counts=counts), nl=False)
