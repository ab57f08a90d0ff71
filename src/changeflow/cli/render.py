"""What the commands print: JSON documents, plain lines and (lazily imported) Rich tables.

stdout carries the result only: with ``--json`` exactly one JSON document carrying
``"schema_version": 1``, otherwise text and tables. Hints, progress and errors go to stderr.
"""

from __future__ import annotations

import io
import json
import sys
import time
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping, Sequence

    from changeflow.audit import AuditCheck
    from changeflow.cli.failures import Failure
    from changeflow.engine import CohortStatus
    from changeflow.records import AdvanceReport, Enrolment, HistoryEntry
    from changeflow.roster import RosterReport
    from changeflow.rules.verdict import Violation

__all__ = [
    "JSON_SCHEMA_VERSION",
    "Output",
    "advance_text",
    "history_text",
    "roster_text",
    "status_text",
    "table",
    "verify_text",
    "violations_json",
]

JSON_SCHEMA_VERSION = 1
"""Version of every JSON document the CLI prints (``"schema_version"``)."""

_PIPED_WIDTH = 200


class Output:
    """Where a command's output goes: JSON or text on stdout, notes and errors on stderr."""

    def __init__(self, json_mode: bool = False) -> None:
        self.json = json_mode

    def document(self, payload: Mapping[str, Any]) -> None:
        """Print one JSON document (``schema_version`` first) on stdout."""
        body = {"schema_version": JSON_SCHEMA_VERSION, **payload}
        typer.echo(json.dumps(body, indent=2, ensure_ascii=False))

    def line(self, text: str = "") -> None:
        """Print a line of the result on stdout (text mode only)."""
        if not self.json:
            typer.echo(text)

    def note(self, text: str) -> None:
        """Print a note (progress, a summary aside) on stderr."""
        typer.echo(text, err=True)

    def hint(self, text: str) -> None:
        """Print a hint on stderr."""
        typer.echo(f"hint: {text}", err=True)

    def failure(self, failure: Failure) -> None:
        """Report a failure: one ``error:`` line and a hint on stderr; a JSON error document."""
        typer.echo(f"error: {failure.message}", err=True)
        if failure.hint:
            self.hint(failure.hint)
        if self.json:
            self.document({"error": failure.to_dict()})

    @contextmanager
    def progress(self, text: str, *, show: bool) -> Iterator[None]:
        """Note on stderr that ``text`` is under way, then how long it took."""
        if not show:
            yield
            return
        started = time.perf_counter()
        self.note(f"{text} ...")
        yield
        self.note(f"done in {time.perf_counter() - started:.1f} s")


def table(
    columns: Sequence[str], rows: Iterable[Sequence[object]], *, title: str | None = None
) -> None:
    """Print a table on stdout with Rich (imported here, only when a table is drawn).

    On a terminal the table fits the window; piped, it is drawn wide (cells do not wrap),
    without colour and without trailing spaces, so scripts can read it line by line.
    """
    from rich import box  # noqa: PLC0415 - Rich is loaded only to draw tables
    from rich.console import Console  # noqa: PLC0415
    from rich.table import Table  # noqa: PLC0415
    from rich.text import Text  # noqa: PLC0415

    if title:
        typer.echo(title)
    drawn = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    for column in columns:
        drawn.add_column(column, overflow="fold")
    for row in rows:
        drawn.add_row(*(Text("" if cell is None else str(cell)) for cell in row))
    if sys.stdout.isatty():
        Console(file=sys.stdout, highlight=False).print(drawn)
        return
    buffer = io.StringIO()
    Console(file=buffer, width=_PIPED_WIDTH, highlight=False, color_system=None).print(drawn)
    typer.echo("\n".join(line.rstrip() for line in buffer.getvalue().splitlines()))


def violations_json(violations: Iterable[Violation]) -> list[dict[str, Any]]:
    """Violations as JSON: code, message (English and Indonesian), facts, source."""
    return [v.to_dict() for v in violations]


def _reasons(violations: Iterable[Violation]) -> str:
    return "; ".join(f"{v.code}: {v.message}" for v in violations)


def roster_text(out: Output, report: RosterReport) -> None:
    """The roster's outcome row by row, then a summary line."""
    labels = {"accepted": "accepted", "refused": "REFUSED", "already_enrolled": "already enrolled"}
    if report.dry_run:
        labels["accepted"] = "would be accepted"
        labels["refused"] = "WOULD BE REFUSED"
    for row in report.outcomes:
        who = f"{row.nip or '(no NIP)'}" + (f"  {row.name}" if row.name else "")
        out.line(f"line {row.line:<4} {labels[row.status]:<18} {who}")
        for violation in row.violations:
            out.line(f"{'':10}{violation.code}: {violation.message}")
    summary = (
        f"{len(report.accepted)} accepted, {len(report.refused)} refused, "
        f"{len(report.already_enrolled)} already enrolled"
    )
    out.line(summary + (" (dry run: nothing was written)" if report.dry_run else ""))


def advance_text(report: AdvanceReport, names: Mapping[str, str]) -> None:
    """The per-participant outcome table of a bulk advance."""
    rows = [
        (e.nip, names.get(e.nip, ""), "accepted", f"{e.source} -> {e.target}")
        for e in report.accepted
    ]
    rows += [
        (e.nip, names.get(e.nip, ""), "REFUSED", _reasons(e.violations)) for e in report.refused
    ]
    title = (
        f"{report.event}: {len(report.accepted)} accepted, {len(report.refused)} refused, "
        f"{report.skipped} skipped (in other states)"
    )
    table(("nip", "name", "outcome", "detail"), rows, title=title)


def status_text(status: CohortStatus, members: Sequence[Enrolment]) -> None:
    """The participants table and the headcount per state."""
    table(
        ("nip", "name", "office", "state", "group"),
        ((m.nip, m.participant.name, m.participant.office.code, m.state, m.group) for m in members),
        title=f"{status.cohort}: {status.total} participant(s)",
    )
    typer.echo()
    table(("state", "count"), status.by_state.items(), title="per state")


def history_text(entries: Sequence[HistoryEntry]) -> None:
    """A participant's history, oldest first."""
    table(
        ("seq", "at", "cohort", "event", "from -> to", "outcome", "actor", "reason / violations"),
        (
            (
                e.seq,
                e.at.strftime("%Y-%m-%d %H:%M"),
                e.cohort,
                e.event,
                f"{e.source or '-'} -> {e.target or '-'}",
                e.outcome,
                e.actor or "",
                "; ".join(filter(None, [e.reason, ", ".join(v.code for v in e.violations)])),
            )
            for e in entries
        ),
    )


def verify_text(out: Output, checks: Sequence[AuditCheck]) -> None:
    """One line per cohort: intact, or where the chain breaks."""
    if not checks:
        out.line("no cohorts to verify")
    for check in checks:
        if check.ok:
            out.line(
                f"{check.cohort}: audit chain intact ({check.entries} entries, "
                f"head {check.head.seq} {check.head.hash[:12]})"
            )
        elif check.missing_tail:
            out.line(f"{check.cohort}: audit chain BROKEN: {check.problem} (missing tail)")
        else:
            out.line(
                f"{check.cohort}: audit chain BROKEN at entry {check.first_bad_seq}: "
                f"{check.problem}"
            )
