"""Bulk files: projects and scores parsed row by row, applied in one batch, safe to re-run."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest

from changeflow import Engine, FixedClock
from changeflow.bulk import (
    PROJECT_COLUMNS,
    SCORE_COLUMNS,
    BulkRow,
    apply_rows,
    project_rows,
    read_bulk,
    score_rows,
)
from changeflow.models import Assessment, ChangeProject, Mentor
from changeflow.sheets import parse_csv
from factories import make_cohort, make_nip, make_participant, trusted_engine

if TYPE_CHECKING:
    from pathlib import Path

    from changeflow.store.base import Store

MENTOR = make_nip(appointed=(1995, 1), sequence=900)


def _projects(text: str) -> list[BulkRow]:
    return project_rows(parse_csv(text, PROJECT_COLUMNS))


def _scores(text: str) -> list[BulkRow]:
    return score_rows(parse_csv(text, SCORE_COLUMNS))


def test_an_indonesian_projects_file_gives_projects_with_mentors() -> None:
    """`NIP;Judul;Tema;Nama Mentor;NIP Mentor` rows become change projects."""
    nip = make_nip(sequence=1)
    (row,) = _projects(
        f"NIP;Judul;Tema;Nama Mentor;NIP Mentor\n'{nip};Antrean online;kesehatan;Kepala;{MENTOR}\n"
    )
    assert row.nip == nip
    assert row.value == ChangeProject(
        title="Antrean online", theme="kesehatan", mentor=Mentor(name="Kepala", nip=MENTOR)
    )


def test_bad_project_rows_name_their_line_and_columns() -> None:
    """A mangled NIP, a mentor NIP without a name and an empty title are refused by line."""
    nip = make_nip(sequence=1)
    rows = _projects(
        "nip,title,theme,mentor_name,mentor_nip\n"
        "1.97506E+17,Judul,tema,Kepala,\n"
        f"{nip},Judul,tema,,{MENTOR}\n"
        f"{nip},,tema,,\n"
        f"{nip},Judul,tema,Kepala,123\n"
    )
    assert [row.valid for row in rows] == [False] * 4
    messages = [row.violations[0].message for row in rows]
    assert messages[0].startswith("line 2: nip: NIP '1.97506E+17' was turned into a number")
    assert messages[1].startswith("line 3: mentor_name: is empty, but the row names the mentor")
    assert messages[2].startswith("line 4: title: ")
    assert messages[3].startswith("line 5: mentor_nip: NIP must be exactly 18 digits")
    assert [row.violations[0].facts["field"] for row in rows] == [
        "nip",
        "mentor_name",
        "title",
        "mentor_nip",
    ]


def test_scores_accept_decimal_commas_and_a_default_component() -> None:
    """`85,5` is 85.5; an empty component is overall; a bad score names the column as written."""
    nip = make_nip(sequence=1)
    good, attitude, bad, high = _scores(
        f"NIP;Nilai;Komponen\n{nip};85,5;\n{nip};90;sikap\n{nip};delapan;\n{nip};101;\n"
    )
    assert good.value == Assessment(score=85.5, component="overall")
    assert attitude.value == Assessment(score=90, component="sikap")
    assert bad.violations[0].message == "line 4: Nilai: 'delapan' is not a number from 0 to 100"
    assert high.violations[0].message.startswith("line 5: Nilai: ")


@pytest.fixture
def store_engine(each_store: Store) -> Engine:
    """An engine on each store with the 2019 cohort and two participants."""
    engine = trusted_engine(each_store, clock=FixedClock(datetime(2019, 4, 4, 8, tzinfo=UTC)))
    engine.create_cohort(make_cohort())
    for number in (1, 2):
        engine.enrol("PKA-III-VII-2019", make_participant(nip=make_nip(sequence=number)))
    return engine


def test_scores_apply_in_one_batch_and_a_rerun_changes_nothing(store_engine: Engine) -> None:
    """Accepted rows are audited record_assessment; a re-run reports them unchanged."""
    code = "PKA-III-VII-2019"
    first, second = make_nip(sequence=1), make_nip(sequence=2)
    stranger = make_nip(sequence=3)
    text = f"nip,score\n{first},80\n{second},x\n{stranger},70\n{second},91\n{second},91\n"
    report = apply_rows(store_engine, code, "scores", _scores(text))
    assert [o.status for o in report.outcomes] == [
        "accepted",
        "refused",
        "refused",
        "accepted",
        "unchanged",
    ]
    assert report.outcomes[0].grade is not None
    assert [v.code for v in report.outcomes[2].violations] == ["unknown_participant"]
    assert report.to_dict()["command"] == "record_assessment"
    assert store_engine.participant(code, second).scores == {"overall": 91}
    audited = [e.event for e in store_engine.history(second, cohort=code)]
    assert audited.count("record_assessment") == 1
    again = apply_rows(store_engine, code, "scores", _scores(text))
    assert [o.status for o in again.outcomes] == [
        "unchanged",
        "refused",
        "refused",
        "unchanged",
        "unchanged",
    ]
    assert [e.event for e in store_engine.history(second, cohort=code)] == audited


def test_a_dry_run_judges_every_row_and_writes_nothing(store_engine: Engine) -> None:
    """Under dry_run the projects are judged (refusals included) and nothing is stored."""
    code = "PKA-III-VII-2019"
    first, second = make_nip(sequence=1), make_nip(sequence=2)
    store_engine.fire(code, second, "withdraw", reason="mutasi")
    text = f"nip,title,theme\n{first},Antrean,kesehatan\n{second},Arsip,tata kelola\n"
    before = len(store_engine.history(cohort=code))
    report = apply_rows(store_engine, code, "projects", _projects(text), dry_run=True)
    assert [o.status for o in report.outcomes] == ["accepted", "refused"]
    assert [v.code for v in report.outcomes[1].violations] == ["record_closed"]
    assert store_engine.participant(code, first).project is None
    assert len(store_engine.history(cohort=code)) == before
    applied = apply_rows(store_engine, code, "projects", _projects(text))
    assert [o.status for o in applied.outcomes] == ["accepted", "refused"]
    project = store_engine.participant(code, first).project
    assert project is not None
    assert project.title == "Antrean"


def test_a_workbook_scores_file_reads_number_cells(tmp_path: Path) -> None:
    """Score cells stored as numbers in an .xlsx are scores; NIP cells must be text."""
    from openpyxl import Workbook  # noqa: PLC0415 - the optional extra

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["NIP", "Nilai", "Komponen"])
    sheet.append([make_nip(sequence=1), 77.5, "overall"])
    sheet.append([float(make_nip(sequence=2)), 80, None])
    path = tmp_path / "nilai.xlsx"
    book.save(path)
    good, mangled = read_bulk(path, "scores", xlsx=True)
    assert good.value == Assessment(score=77.5)
    assert mangled.violations[0].message.startswith("row 3: NIP: NIP '1.97506012")
