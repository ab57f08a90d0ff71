"""Roster, project and score files uploaded to a cohort, applied row by row as the uploader.

A roster's rows are enrolled by :func:`changeflow.roster.enrol_roster`, a projects or
scores file's by :func:`changeflow.bulk.apply_rows`, exactly as ``changeflow enrol
--roster`` and ``changeflow projects``/``scores`` apply them: each row one audited command
of the signed-in person, the per-line report shown afterwards. The upload is read into a
temporary file, capped at the library's file limits, and removed afterwards.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.datastructures import UploadFile

from changeflow.bulk import PROJECT_COLUMNS, SCORE_COLUMNS, apply_rows, read_bulk
from changeflow.roster import ROSTER_COLUMNS, enrol_roster, read_roster
from changeflow.sheets import DEFAULT_MAX_BYTES
from changeflow.web.errors import FormRefused

if TYPE_CHECKING:
    from changeflow.engine import Engine
    from changeflow.sheets import Column
    from changeflow.web.access import Seat

__all__ = ["KINDS", "describe", "run"]

KINDS = ("roster", "projects", "scores")
"""The uploads the board takes, in the order it offers them."""

_TITLES = {"roster": "Roster", "projects": "Change projects", "scores": "Scores"}
_COLUMNS: dict[str, tuple[Column, ...]] = {
    "roster": ROSTER_COLUMNS,
    "projects": PROJECT_COLUMNS,
    "scores": SCORE_COLUMNS,
}


_DESCRIPTION: dict[str, Any] = {
    "kind_titles": _TITLES,
    "kind_columns": {
        kind: ",".join(column.name for column in columns) for kind, columns in _COLUMNS.items()
    },
}


def describe() -> dict[str, Any]:
    """Each kind's title and its columns (for the forms and reports)."""
    return _DESCRIPTION


async def run(
    engine: Engine, seat: Seat, kind: str, upload: object, *, dry_run: bool
) -> dict[str, Any]:
    """Apply the uploaded file of ``kind`` as ``seat``'s person; the report's values."""
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise FormRefused("file", "choose a file to upload")
    name = Path(upload.filename).name
    suffix = ".xlsx" if name.lower().endswith(".xlsx") else ".csv"
    raw = await upload.read(DEFAULT_MAX_BYTES + 1)
    if len(raw) > DEFAULT_MAX_BYTES:
        raise FormRefused("file", f"is larger than {DEFAULT_MAX_BYTES:,} bytes")
    with tempfile.TemporaryDirectory(prefix="changeflow-upload-") as directory:
        path = Path(directory) / f"upload{suffix}"
        path.write_bytes(raw)
        rows = _apply(engine, seat, kind, path, xlsx=suffix == ".xlsx", dry_run=dry_run)
    totals = Counter(row["status"] for row in rows)
    return {
        "kind": kind,
        "filename": name,
        "dry_run": dry_run,
        "rows": rows,
        "totals": sorted(totals.items()),
    }


def _apply(
    engine: Engine, seat: Seat, kind: str, path: Path, *, xlsx: bool, dry_run: bool
) -> list[dict[str, Any]]:
    """Each row's line, NIP, status and violations, in file order."""
    if kind == "roster":
        roster = read_roster(path, offices=engine.offices(), xlsx=xlsx)
        report = enrol_roster(engine, seat.cohort, roster, actor=seat.login, dry_run=dry_run)
        outcomes: tuple[Any, ...] = report.outcomes
    else:
        rows = read_bulk(path, "projects" if kind == "projects" else "scores", xlsx=xlsx)
        bulk = apply_rows(
            engine,
            seat.cohort,
            "projects" if kind == "projects" else "scores",
            rows,
            actor=seat.login,
            dry_run=dry_run,
        )
        outcomes = bulk.outcomes
    return [
        {"line": o.line, "nip": o.nip, "status": o.status, "violations": o.violations}
        for o in outcomes
    ]
