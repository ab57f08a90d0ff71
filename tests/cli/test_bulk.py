"""`changeflow project|assess CODE --csv|--xlsx FILE`: bulk files on SQLite, like a roster."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import TYPE_CHECKING, Any

from openpyxl import Workbook

from cli.support import MENTOR_NIP, nip_of

if TYPE_CHECKING:
    from pathlib import Path

    from cli.support import Cli


def _write(path: Path, *lines: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


def _statuses(report: dict[str, Any]) -> dict[int, str]:
    found = {
        row["line"]: status
        for status in ("accepted", "unchanged", "refused")
        for row in report[status]
    }
    return dict(sorted(found.items()))


def test_a_projects_file_is_applied_row_by_row_and_a_rerun_is_safe(
    cli: Cli, cohort: str, enrolled: list[str], tmp_path: Path
) -> None:
    """Semicolon Indonesian projects: accepted rows registered, a stranger refused, re-run safe."""
    first, second, _ = enrolled
    stranger = nip_of(9)
    projects = _write(
        tmp_path / "proyek.csv",
        "NIP;Judul;Tema;Nama Mentor;NIP Mentor",
        f"{first};Antrean online;kesehatan;Kepala Dinas;{MENTOR_NIP}",
        f"{stranger};Arsip digital;tata kelola;;",
        f"'{second};Arsip digital;tata kelola;;",
        encoding="cp1252",
    )
    report = cli.json("project", cohort, "--csv", str(projects), expect=3)
    assert (report["command"], report["dry_run"]) == ("register_project", False)
    assert _statuses(report) == {2: "accepted", 3: "refused", 4: "accepted"}
    (refused,) = report["refused"]
    assert refused["violations"][0]["code"] == "unknown_participant"
    assert "tidak terdaftar" in refused["violations"][0]["message_indonesian"]
    assert refused["violations"][0]["message"].startswith("line 3: nip: ")
    shown = cli.json("history", first)["history"]
    assert [e["event"] for e in shown].count("register_project") == 1
    again = cli.json("project", cohort, "--csv", str(projects), expect=3)
    assert _statuses(again) == {2: "unchanged", 3: "refused", 4: "unchanged"}
    assert [e["event"] for e in cli.json("history", first)["history"]] == [
        e["event"] for e in shown
    ]


def test_a_dry_run_reports_and_writes_nothing(
    cli: Cli, cohort: str, enrolled: list[str], tmp_path: Path
) -> None:
    """--dry-run judges each row (text report) and registers nothing."""
    scores = _write(
        tmp_path / "nilai.csv", "nip\tnilai", *(f"{nip}\t8{n}" for n, nip in enumerate(enrolled))
    )
    result = cli("assess", cohort, "--csv", str(scores), "--dry-run")
    assert "line 2    would be accepted" in result.stdout
    assert "record_assessment: 3 accepted, 0 unchanged, 0 refused (dry run" in result.stdout
    for nip in enrolled:
        assert [e["event"] for e in cli.json("history", nip)["history"]] == ["enrol"]


def test_a_scores_workbook_records_grades_and_refuses_bad_rows(
    cli: Cli, cohort: str, enrolled: list[str], tmp_path: Path
) -> None:
    """An .xlsx of scores (number cells) records each; a number NIP cell and a bad score refused."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Nilai"
    sheet.append(["NIP", "Nilai", "Komponen"])
    sheet.append([enrolled[0], 86, "overall"])
    sheet.append([float(enrolled[1]), 75, None])
    sheet.append([enrolled[2], "tinggi", None])
    path = tmp_path / "nilai.xlsx"
    book.save(path)
    report = cli.json("assess", cohort, "--xlsx", str(path), "--sheet", "Nilai", expect=3)
    assert _statuses(report) == {2: "accepted", 3: "refused", 4: "refused"}
    assert report["accepted"][0]["score"] == 86
    assert report["accepted"][0]["grade"] is not None
    messages = [r["violations"][0]["message"] for r in report["refused"]]
    assert messages[0].startswith("row 3: NIP: NIP '1.97506012")
    assert messages[1] == "row 4: Nilai: 'tinggi' is not a number from 0 to 100"
    events = [e["event"] for e in cli.json("history", enrolled[0])["history"]]
    assert events[-1] == "record_assessment"
    assert "record_assessment" not in [
        e["event"] for e in cli.json("history", enrolled[2])["history"]
    ]


def test_the_file_and_one_participant_forms_do_not_mix(
    cli: Cli, cohort: str, enrolled: list[str], tmp_path: Path
) -> None:
    """A NIP or --score with a file, --sheet without --xlsx, or neither form, exit 2."""
    scores = _write(tmp_path / "nilai.csv", "nip,score", f"{enrolled[0]},80")
    mixed = cli("assess", cohort, enrolled[0], "--csv", str(scores), expect=2)
    assert "leave out NIP" in mixed.stderr
    assert (
        "--score" in cli("assess", cohort, "--score", "80", "--csv", str(scores), expect=2).stderr
    )
    assert "--sheet" in cli("assess", cohort, "--csv", str(scores), "--sheet", "S", expect=2).stderr
    assert "give NIP --score" in cli("assess", cohort, expect=2).stderr
    assert "give NIP --title" in cli("project", cohort, enrolled[0], expect=2).stderr
    assert (
        "--dry-run go with a file"
        in cli("assess", cohort, enrolled[0], "--score", "80", "--dry-run", expect=2).stderr
    )
    bad = _write(tmp_path / "bad.csv", "nip,judul")
    wrong = cli.json("project", cohort, "--csv", str(bad), expect=2)
    assert "missing theme" in wrong["error"]["message"]


def test_without_openpyxl_xlsx_says_how_to_install_the_extra(
    cli: Cli, cohort: str, tmp_path: Path
) -> None:
    """With openpyxl unimportable, --xlsx exits 2 naming the xlsx extra, with no traceback."""
    shadow = tmp_path / "shadow" / "openpyxl"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ImportError('openpyxl is not installed')\n")
    path = os.pathsep.join([str(shadow.parent), os.environ.get("PYTHONPATH", "")])
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "changeflow.cli",
            "--db",
            cli.url,
            "assess",
            cohort,
            "--xlsx",
            str(tmp_path / "nilai.xlsx"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "PYTHONPATH": path, "CHANGEFLOW_ACTOR": "BKD"},
    )
    assert done.returncode == 2, done.stderr
    assert "pip install 'changeflow[xlsx]'" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_bulk_report_speaks_indonesian_under_lang_id(
    cli: Cli, cohort: str, enrolled: list[str], tmp_path: Path
) -> None:
    """Under --lang id the row labels and the summary are Indonesian."""
    scores = _write(tmp_path / "nilai.csv", "NIP;Nilai", f"{enrolled[0]};80", f"{nip_of(9)};70")
    result = cli("--lang", "id", "assess", cohort, "--csv", str(scores), "--dry-run", expect=3)
    assert "akan diterima" in result.stdout
    assert "record_assessment: 1 diterima, 0 tidak berubah, 1 ditolak (uji coba" in result.stdout
    assert "tidak terdaftar" in result.stdout
