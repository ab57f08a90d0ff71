"""Checkpoints: ``checkpoints`` exports every cohort's chain head; ``verify --against`` reads them.

The chain alone cannot see its last rows deleted when the head kept beside it is rewound
too, nor a trail rewritten whole with its hashes recomputed. A checkpoint file kept where
the database's administrators cannot write catches both: ``verify --against FILE`` fails
when a cohort's chain is shorter than, or differs from, its checkpoint, or is gone.
"""

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from changeflow.cli import documents, render
from changeflow.cli.failures import CliError
from changeflow.cli.language import tr
from changeflow.cli.options import JsonFlag
from changeflow.cli.render import JSON_SCHEMA_VERSION, Output
from changeflow.cli.session import database_label, session, settings_of
from changeflow.errors import InvalidInput

if TYPE_CHECKING:  # the audit module (and its models) loads only when a file is read
    from collections.abc import Sequence

    from changeflow.audit import Checkpoint

__all__ = ["MAX_CHECKPOINT_FILE", "checkpoints", "read_checkpoints"]

MAX_CHECKPOINT_FILE = 64 * 1024 * 1024
"""The largest checkpoint file ``verify --against`` reads, in bytes (about 300,000 cohorts)."""

_HINT = "give a file `changeflow checkpoints -o FILE` wrote"


def checkpoints(
    ctx: typer.Context,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            help="Write the checkpoint file (JSON) to FILE, for `verify --against FILE`.",
        ),
    ] = None,
    json_output: JsonFlag = False,
) -> None:
    """Print every cohort's chain head (code, seq, hash, time of its last entry).

    Keep the file written with -o where the database's administrators cannot write (after
    each working day, say): `changeflow verify --against FILE` then catches a trail cut
    short with its head rewound, or rewritten with its hashes recomputed.
    """
    out = Output(json_output)
    with session(ctx, out) as engine:
        heads = engine.checkpoints()
        label = database_label(settings_of(ctx).url())
        document = documents.checkpoints(label, engine.clock.now(), heads)
        if output is not None:
            _write(output, {"schema_version": JSON_SCHEMA_VERSION, **document})
    if output is not None:
        out.note(tr("wrote {count} checkpoint(s) to {file}", count=len(heads), file=output))
    if out.json:
        out.document(document)
    elif output is None:
        _table(out, heads)


def _table(out: Output, heads: "Sequence[Checkpoint]") -> None:
    if not heads:
        out.line("no cohorts")
        return
    render.table(
        ("cohort", "seq", "hash", "last entry"),
        (
            (c.cohort, c.seq, c.hash, "" if c.at is None else f"{c.at:%Y-%m-%d %H:%M:%S}Z")
            for c in heads
        ),
    )


def _write(path: Path, document: dict[str, Any]) -> None:
    """Write ``document`` whole or not at all: a crash mid-write leaves no half file."""
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    partial = path.with_name(f".{path.name}.partial")
    try:
        with partial.open("w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        partial.replace(path)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        problem = exc.strerror or exc
        raise CliError(
            tr("cannot write {file!r}: {problem}", file=str(path), problem=problem)
        ) from None


_READABLE = frozenset({1, JSON_SCHEMA_VERSION})
"""Checkpoint files this version reads: version 2 renamed a violation field only, and
checkpoints hold no violations, so files written under version 1 read as they are."""


def read_checkpoints(path: Path) -> "list[Checkpoint]":
    """The checkpoints of a file ``checkpoints -o`` wrote; :class:`CliError` (exit 2) otherwise."""
    from changeflow.audit import Checkpoint  # noqa: PLC0415 - see the imports

    document = _document(path)
    listed = document.get("checkpoints")
    if document.get("schema_version") not in _READABLE or not isinstance(listed, list):
        raise CliError(
            tr("{file!r} is not a changeflow checkpoint file", file=str(path)), hint=_HINT
        )
    found: dict[str, Checkpoint] = {}
    for item in listed:
        try:
            checkpoint = Checkpoint.from_dict(item)
        except InvalidInput as exc:
            raise CliError(f"{str(path)!r}: {exc}", hint=_HINT) from None
        if checkpoint.cohort in found:
            raise CliError(
                tr(
                    "{file!r} names cohort {cohort} twice", file=str(path), cohort=checkpoint.cohort
                ),
                hint=_HINT,
            )
        found[checkpoint.cohort] = checkpoint
    return list(found.values())


def _document(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as file:
            raw = file.read(MAX_CHECKPOINT_FILE + 1)
    except OSError as exc:
        problem = exc.strerror or exc
        raise CliError(
            tr("cannot read {file!r}: {problem}", file=str(path), problem=problem)
        ) from None
    if len(raw) > MAX_CHECKPOINT_FILE:
        raise CliError(
            tr(
                "{file!r} is larger than a checkpoint file can be ({mib} MiB)",
                file=str(path),
                mib=MAX_CHECKPOINT_FILE // (1024 * 1024),
            ),
            hint=_HINT,
        )
    try:
        document = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise CliError(
            tr("{file!r} is not valid JSON: {problem}", file=str(path), problem=exc), hint=_HINT
        ) from None
    if not isinstance(document, dict):
        raise CliError(
            tr("{file!r} is not a changeflow checkpoint file", file=str(path)), hint=_HINT
        )
    return document
