"""The bare anchor of the file targets (8c, 8d): stdlib ``csv`` + ``sqlite3`` only.

Run as its own process (``python -m benchmarks.bare_files roster|scores DB FILE``), so it
pays for an interpreter start as changeflow's command does. It writes the same rows a
roster or a scores file makes changeflow write, on a lean two-table schema: one row per
line (an enrolment or a score) and one audit row per line carrying the line's facts as
JSON, chained by SHA-256; one transaction, WAL with ``synchronous=FULL`` as changeflow's
default, one ``executemany`` per table. No rule is judged, no input is validated beyond
what ``csv`` does: this is the floor, not a competitor.
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


def main(argv: list[str]) -> None:
    """``roster|scores DB FILE``: write the file's rows into the lean schema of ``DB``."""
    kind, database, path = argv
    facts, audit = _rows(kind, path)
    connection = sqlite3.connect(database, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=FULL")
    for statement in _SCHEMA:
        connection.execute(statement)
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
