"""Driving a cohort from a CSV roster through the ``changeflow`` command line.

A script (or a scheduler, or another system) runs the CLI as a subprocess: it reads the
exit status and parses the single JSON document each ``--json`` command prints on stdout.
The roster ``roster.csv`` next to this file has eight nominations: four are accepted, one
is a third from one office (``office_quota``), one repeats a NIP (``already_active``), one
has a malformed NIP (``invalid_input``, with its line) and one retires too soon
(``retirement_horizon``). Running the roster again is safe, and a corrected roster then
enrols the one newcomer and reports everybody else as already enrolled.

Every write names who does it: the script acts as ``BKD`` (the regency's personnel agency)
through ``CHANGEFLOW_ACTOR``; creating the cohort makes BKD its first organiser, the role
the default lifecycle asks for enrolling and starting the class.

Run it with ``python examples/cli_roster.py`` (it works in a temporary directory).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROSTER = Path(__file__).resolve().parent / "roster.csv"
COHORT = "PKA-2024-I"

REFUSED = 3  # the CLI's exit status when the rules refused something
ACTOR = "BKD"  # who the script acts as: every write needs an actor


def changeflow(db: str, *args: str, expect: int = 0) -> dict[str, Any]:
    """Run ``changeflow --db DB ARGS --json`` and return its JSON document."""
    done = subprocess.run(  # noqa: S603 - this interpreter running changeflow's own CLI
        [sys.executable, "-m", "changeflow.cli", "--db", db, *args, "--json"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env={**os.environ, "CHANGEFLOW_ACTOR": ACTOR},
    )
    assert done.returncode == expect, (args, done.returncode, done.stderr)
    document: dict[str, Any] = json.loads(done.stdout)  # stdout is exactly one document
    assert document["schema_version"] == 2  # the CLI's JSON schema (docs/cli.md)
    return document


def main() -> None:
    """Create a cohort, enrol the roster twice, fix it, start the class and verify."""
    with tempfile.TemporaryDirectory() as work:
        db = f"sqlite:///{Path(work) / 'cohort.db'}"
        changeflow(db, "init")
        changeflow(
            db,
            *("cohort", "create", COHORT, "--name", "PKA angkatan I 2024"),
            *("--start", "2024-03-01", "--end", "2024-07-31"),
        )
        staff = changeflow(db, "staff", "list", COHORT)["staff"]
        print("staff:", ", ".join(f"{m['id']} ({', '.join(m['roles'])})" for m in staff))

        preview = changeflow(db, "enrol", COHORT, "--csv", str(ROSTER), "--dry-run", expect=REFUSED)
        print(f"dry run: {len(preview['accepted'])} would be accepted, nothing written")

        first = changeflow(db, "enrol", COHORT, "--csv", str(ROSTER), expect=REFUSED)
        assert first["accepted"] == preview["accepted"]
        print(f"enrolled: {len(first['accepted'])}")
        for row in first["refused"]:
            codes = [v["code"] for v in row["violations"]]
            print(f"  line {row['line']}: {row['nip']} refused {codes}")

        again = changeflow(db, "enrol", COHORT, "--csv", str(ROSTER), expect=REFUSED)
        assert again["accepted"] == []
        print(f"run again: {len(again['already_enrolled'])} already enrolled, nothing changed")

        fixed = Path(work) / "roster-fixed.csv"
        refused_lines = {row["line"] for row in first["refused"]}
        lines = ROSTER.read_text(encoding="utf-8").splitlines()
        kept = [text for number, text in enumerate(lines, 1) if number not in refused_lines]
        kept.append("198107072006041009,Wahyu Nugroho,Dinas Sosial,III.a,")
        fixed.write_text("\n".join(kept) + "\n", encoding="utf-8")
        final = changeflow(db, "enrol", COHORT, "--csv", str(fixed))
        print(
            f"corrected roster: {len(final['accepted'])} newly enrolled, "
            f"{len(final['already_enrolled'])} already enrolled"
        )

        moved = changeflow(db, "advance", COHORT, "start_class")  # as CHANGEFLOW_ACTOR
        print(f"start_class: {len(moved['accepted'])} accepted, {moved['skipped']} skipped")
        status = changeflow(db, "status", COHORT)
        print(f"on_class: {status['counts']['on_class']} of {len(status['participants'])}")
        audit = changeflow(db, "verify", COHORT)
        print(f"audit chain intact: {audit['ok']}")


if __name__ == "__main__":
    main()
