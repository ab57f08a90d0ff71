"""Tamper evidence for the audit trail: a hash chain per cohort, checked by :func:`verify_chain`.

Each entry's hash covers its canonical JSON and the previous entry's hash, so editing,
removing, reordering or inserting a row breaks the chain from that row on. The cohort keeps
the chain's head (sequence and hash) beside the trail, updated in the same transaction, so
cutting off the tail is caught as well; exported :class:`Checkpoint` s kept outside the
database catch a rewrite of the whole trail.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterable

    from changeflow.records import HistoryEntry

__all__ = ["GENESIS", "AuditCheck", "Checkpoint", "canonical", "chain_hash", "verify_chain"]

GENESIS = "0" * 64
"""The hash before a cohort's first entry."""


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A cohort's chain head: its last sequence number and that entry's hash."""

    cohort: str
    seq: int
    hash: str

    def to_dict(self) -> dict[str, Any]:
        """A JSON-compatible dictionary."""
        return {"cohort": self.cohort, "seq": self.seq, "hash": self.hash}


@dataclass(frozen=True, slots=True)
class AuditCheck:
    """The outcome of verifying one cohort's trail.

    ``first_bad_seq`` names the first row whose content, order or link is wrong;
    ``missing_tail`` is set when rows after the last stored one were removed.
    """

    cohort: str
    ok: bool
    entries: int
    head: Checkpoint
    first_bad_seq: int | None = None
    missing_tail: bool = False
    problem: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-compatible dictionary."""
        return {
            "cohort": self.cohort,
            "ok": self.ok,
            "entries": self.entries,
            "head": self.head.to_dict(),
            "first_bad_seq": self.first_bad_seq,
            "missing_tail": self.missing_tail,
            "problem": self.problem,
        }


def canonical(entry: HistoryEntry) -> bytes:
    """The bytes an entry's hash covers: its JSON form with sorted keys, ASCII only."""
    return json.dumps(
        entry.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=True
    ).encode()


def chain_hash(previous: str, entry: HistoryEntry) -> str:
    """The hash of ``entry`` chained to the ``previous`` entry's hash (hex SHA-256)."""
    return hashlib.sha256(previous.encode() + b"\n" + canonical(entry)).hexdigest()


def verify_chain(
    cohort: str,
    rows: Iterable[tuple[HistoryEntry, str]],
    head: Checkpoint,
    *,
    expected: Checkpoint | None = None,
) -> AuditCheck:
    """Check stored ``(entry, hash)`` rows, in stored order, against the stored ``head``.

    ``expected`` is an exported checkpoint to compare with as well: the row at its
    sequence must carry its hash, and the trail must reach it.
    """
    count, last, last_hash, problem = _walk(cohort, rows, expected)
    if problem is not None:
        return AuditCheck(cohort, False, count, head, last, False, problem)
    tail = max(head.seq, expected.seq if expected else 0)
    if tail > last:
        return AuditCheck(
            cohort, False, count, head, last + 1, True, f"entries {last + 1}..{tail} are missing"
        )
    if head.seq != last or head.hash != last_hash:
        return AuditCheck(
            cohort,
            False,
            count,
            head,
            last or None,
            False,
            "the chain head does not match the trail",
        )
    return AuditCheck(cohort, True, count, head)


def _walk(
    cohort: str, rows: Iterable[tuple[HistoryEntry, str]], expected: Checkpoint | None
) -> tuple[int, int, str, str | None]:
    """Walk the chain: (rows read, last good seq or the bad one, last hash, problem)."""
    previous, seq = GENESIS, 0
    for entry, stored in rows:
        seq += 1
        if entry.seq != seq or entry.cohort != cohort:
            return seq, seq, previous, f"row {seq} holds entry {entry.seq} of {entry.cohort}"
        if chain_hash(previous, entry) != stored:
            return seq, seq, previous, f"entry {seq} does not match its hash"
        if expected is not None and seq == expected.seq and stored != expected.hash:
            return seq, seq, previous, f"entry {seq} differs from the checkpoint"
        previous = stored
    return seq, seq, previous, None
