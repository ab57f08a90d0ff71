"""The bare anchor of the command-line targets 8c-8e: stdlib ``csv`` + ``sqlite3`` only.

Run as its own process (``python -m benchmarks.bare_files roster|scores DB FILE``, or
``advance DB -``), so it pays for an interpreter start as changeflow's command does. It
writes the same rows a roster or a scores file makes changeflow write, on a lean two-table
schema: one row per line (an enrolment or a score) and one audit row per line carrying the
line's facts as JSON, chained by SHA-256; ``advance`` moves every row of a database that
``prepare DB N`` filled one state on, with the same audit rows. One transaction, WAL with
``synchronous=FULL`` as changeflow's default, one ``executemany`` per table. No rule is
judged, no input is validated beyond what ``csv`` does: this is the floor, not a competitor.
"""

from __future__ import annotations

import csv
import hashlib
import json
import sqlite3
import sys

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS facts (id INTEGER PRIMARY KEY, cohort TEXT, nip TEXT, "
    "name TEXT, office TEXT, echelon TEXT, score REAL, state TEXT)",
    "CREATE TABLE IF NOT EXISTS audit (seq INTEGER PRIMARY KEY, cohort TEXT, nip TEXT, "
    "event TEXT, data TEXT, hash TEXT)",
)


def _rows(kind: str, path: str) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    facts: list[tuple[object, ...]] = []
    audit: list[tuple[object, ...]] = []
    head = "0" * 64
    with open(path, newline="", encoding="utf-8") as file:
        reader = csv.DictReader(file)
        for seq, line in enumerate(reader, start=1):
            if kind == "roster":
                row = ("BENCH", line["nip"], line["name"], line["office"], line["echelon"], None)
                event = "enrol"
            else:
                row = ("BENCH", line["nip"], None, None, None, float(line["score"]))
                event = "record_assessment"
            facts.append((*row, "enrolled"))
            data = json.dumps(line, sort_keys=True, separators=(",", ":"))
            head = hashlib.sha256(f"{head}|{seq}|{event}|{data}".encode()).hexdigest()
            audit.append((seq, "BENCH", line["nip"], event, data, head))
    return facts, audit


def _connect(database: str) -> sqlite3.Connection:
    connection = sqlite3.connect(database, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=FULL")
    for statement in _SCHEMA:
        connection.execute(statement)
    return connection


def _prepare(database: str, rows: int) -> None:
    """Fill the lean schema with ``rows`` enrolled participants (the advance anchor's input)."""
    connection = _connect(database)
    connection.execute("BEGIN IMMEDIATE")
    connection.executemany(
        "INSERT INTO facts (cohort, nip, state) VALUES ('BENCH', ?, 'enrolled')",
        ((f"{i:018d}",) for i in range(rows)),
    )
    connection.execute("COMMIT")
    connection.close()


def _advance(database: str) -> None:
    """Move every enrolled participant on, one chained audit row each, in one transaction."""
    connection = _connect(database)
    connection.execute("BEGIN IMMEDIATE")
    moving = connection.execute(
        "SELECT id, nip FROM facts WHERE cohort = 'BENCH' AND state = 'enrolled' ORDER BY id"
    ).fetchall()
    head = "0" * 64
    audit: list[tuple[object, ...]] = []
    for seq, (_, nip) in enumerate(moving, start=1):
        data = json.dumps({"from": "enrolled", "nip": nip, "to": "on_class"}, sort_keys=True)
        head = hashlib.sha256(f"{head}|{seq}|start_class|{data}".encode()).hexdigest()
        audit.append((seq, "BENCH", nip, "start_class", data, head))
    connection.executemany(
        "UPDATE facts SET state = 'on_class' WHERE id = ? AND state = 'enrolled'",
        ((row_id,) for row_id, _ in moving),
    )
    connection.executemany(
        "INSERT INTO audit (seq, cohort, nip, event, data, hash) VALUES (?, ?, ?, ?, ?, ?)", audit
    )
    connection.execute("COMMIT")
    connection.close()


def main(argv: list[str]) -> None:
    """``roster|scores DB FILE``, ``prepare DB N`` or ``advance DB -`` (see the module)."""
    kind, database, path = argv
    if kind == "prepare":
        _prepare(database, int(path))
        return
    if kind == "advance":
        _advance(database)
        return
    facts, audit = _rows(kind, path)
    connection = _connect(database)
    connection.execute("BEGIN IMMEDIATE")
    connection.executemany(
        "INSERT INTO facts (cohort, nip, name, office, echelon, score, state) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        facts,
    )
    connection.executemany(
        "INSERT INTO audit (seq, cohort, nip, event, data, hash) VALUES (?, ?, ?, ?, ?, ?)", audit
    )
    connection.execute("COMMIT")
    connection.close()


if __name__ == "__main__":
    main(sys.argv[1:])
