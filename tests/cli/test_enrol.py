"""`changeflow enrol`: rosters in file order, refusals with lines, safe re-runs, dry runs."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from cli.support import HEADER, nip_of, person, write_roster

if TYPE_CHECKING:
    from pathlib import Path

    from cli.support import Cli


def _codes(refused: dict[str, Any]) -> list[str]:
    return [v["code"] for v in refused["violations"]]


def test_a_clean_roster_enrols_everyone_and_exits_0(cli: Cli, cohort: str, tmp_path: Path) -> None:
    """Every row accepted: exit 0, the NIPs listed, the participants enrolled."""
    roster = write_roster(tmp_path / "r.csv", [person(1), person(2)])
    outcome = cli.json("enrol", cohort, "--csv", str(roster))
    assert outcome["cohort"] == cohort
    assert outcome["dry_run"] is False
    assert outcome["accepted"] == [nip_of(1), nip_of(2)]
    assert outcome["refused"] == []
    assert outcome["already_enrolled"] == []
    states = {p["nip"]: p["state"] for p in cli.json("status", cohort)["participants"]}
    assert states == {nip_of(1): "enrolled", nip_of(2): "enrolled"}


def test_rows_are_judged_in_file_order_with_their_lines(
    cli: Cli, cohort: str, tmp_path: Path
) -> None:
    """Third from an office -> office_quota; repeated NIP -> already_active; bad row -> line."""
    rows = [
        person(1, "Dinas Kesehatan"),
        person(2, "Dinas Kesehatan"),
        person(3, "Dinas Kesehatan"),
        person(1, "Badan Kepegawaian Daerah"),
        "19750601200003,Tanpa NIP,BKD,III.a",
        person(4),
    ]
    roster = write_roster(tmp_path / "r.csv", rows)
    outcome = cli.json("enrol", cohort, "--csv", str(roster), expect=3)
    assert outcome["accepted"] == [nip_of(1), nip_of(2), nip_of(4)]
    by_line = {r["line"]: r for r in outcome["refused"]}
    assert sorted(by_line) == [4, 5, 6]
    assert by_line[4]["nip"] == nip_of(3)
    assert _codes(by_line[4]) == ["office_quota"]
    assert by_line[5]["nip"] == nip_of(1)
    assert "already_active" in _codes(by_line[5])
    assert _codes(by_line[6]) == ["invalid_input"]
    assert by_line[6]["violations"][0]["message"].startswith("line 6: nip: ")
    for refused in outcome["refused"]:
        for violation in refused["violations"]:
            assert {"code", "message"} <= violation.keys()
    history = cli.json("history", nip_of(3))["history"]
    assert [(e["event"], e["outcome"]) for e in history] == [("enrol", "refused")]


def test_a_malformed_row_writes_nothing(cli: Cli, cohort: str, tmp_path: Path) -> None:
    """An invalid_input row leaves no participant and no audit entry behind."""
    roster = write_roster(tmp_path / "r.csv", [f"{nip_of(1)},Budi,BKD,III.a,extra"])
    entries = cli.json("verify", cohort)["cohorts"][0]["entries"]
    outcome = cli.json("enrol", cohort, "--csv", str(roster), expect=3)
    assert outcome["refused"][0]["line"] == 2
    assert (
        cli.json("verify", cohort)["cohorts"][0]["entries"] == entries == 2
    )  # create_cohort, staff add
    assert cli.json("status", cohort)["total"] == 0


def test_running_the_same_roster_again_is_safe(cli: Cli, cohort: str, tmp_path: Path) -> None:
    """A re-run lists enrolled rows as already_enrolled, writes nothing for them, exits 0."""
    roster = write_roster(tmp_path / "r.csv", [person(1), person(2)])
    cli("enrol", cohort, "--csv", str(roster))
    cli("advance", cohort, "start_class")
    entries = cli.json("verify", cohort)["cohorts"][0]["entries"]
    again = cli.json("enrol", cohort, "--csv", str(roster))
    assert again["already_enrolled"] == [nip_of(1), nip_of(2)]
    assert again["accepted"] == []
    assert again["refused"] == []
    assert cli.json("verify", cohort)["cohorts"][0]["entries"] == entries
    assert {p["state"] for p in cli.json("status", cohort)["participants"]} == {"on_class"}
    text = cli("enrol", cohort, "--csv", str(roster)).stdout
    assert "already enrolled" in text
    assert "0 accepted, 0 refused, 2 already enrolled" in text


def test_dry_run_reports_like_a_real_run_and_writes_nothing(
    cli: Cli, cohort: str, tmp_path: Path
) -> None:
    """--dry-run judges later rows with earlier ones counted, yet stores nothing at all."""
    rows = [person(1, "BKD"), person(2, "BKD"), person(3, "BKD"), person(1, "DINKES")]
    roster = write_roster(tmp_path / "r.csv", rows)
    entries = cli.json("verify", cohort)["cohorts"][0]["entries"]
    dry = cli.json("enrol", cohort, "--csv", str(roster), "--dry-run", expect=3)
    assert dry["dry_run"] is True
    assert cli.json("status", cohort)["total"] == 0
    assert cli.json("verify", cohort)["cohorts"][0]["entries"] == entries
    real = cli.json("enrol", cohort, "--csv", str(roster), expect=3)
    assert dry["accepted"] == real["accepted"]
    assert [(r["line"], _codes(r)) for r in dry["refused"]] == [
        (r["line"], _codes(r)) for r in real["refused"]
    ]
    text = cli("enrol", cohort, "--csv", str(roster), "--dry-run", expect=3).stdout
    assert "dry run: nothing was written" in text


def test_offices_by_code_or_name_reuse_the_stored_office(
    cli: Cli, cohort: str, tmp_path: Path
) -> None:
    """Once an office exists, a later roster may name it by code or by name."""
    cli(
        "enrol", cohort, "--csv", str(write_roster(tmp_path / "a.csv", [person(1, "Dinas Sosial")]))
    )
    second = write_roster(
        tmp_path / "b.csv", [person(2, "dinas-sosial"), person(3, "DINAS SOSIAL")]
    )
    outcome = cli.json("enrol", cohort, "--csv", str(second), expect=3)
    assert outcome["accepted"] == [nip_of(2)]
    assert _codes(outcome["refused"][0]) == ["office_quota"]
    offices = {p["office"] for p in cli.json("status", cohort)["participants"]}
    assert offices == {"DINAS-SOSIAL"}


def test_byte_order_mark_and_birth_dates_are_accepted(
    cli: Cli, cohort: str, tmp_path: Path
) -> None:
    """A UTF-8 BOM and an optional birth_date column do not disturb the roster."""
    roster = tmp_path / "bom.csv"
    roster.write_bytes(
        f"\ufeff{HEADER},birth_date\n{person(1)},1975-06-01\n{person(2)},\n".encode()
    )
    assert cli.json("enrol", cohort, "--csv", str(roster))["accepted"] == [nip_of(1), nip_of(2)]


def test_unusable_rosters_exit_2(cli: Cli, cohort: str, tmp_path: Path) -> None:
    """A missing file, a wrong header or a file in no known encoding exit 2 and enrol nobody."""
    missing = cli("enrol", cohort, "--csv", str(tmp_path / "missing.csv"), expect=2)
    assert missing.stderr.splitlines()[0].startswith("error: roster: cannot read ")
    assert missing.stderr.splitlines()[1].startswith("hint: a roster is a CSV file")
    header = write_roster(tmp_path / "h.csv", [person(1)], header="nip,nama kantor,office,echelon")
    wrong = cli.json("enrol", cohort, "--csv", str(header), expect=2)
    assert wrong["error"]["kind"] == "invalid_input"
    assert "bad header" in wrong["error"]["message"]
    garbled = tmp_path / "garbled.csv"
    garbled.write_bytes(f"{HEADER}\n{nip_of(1)},Budi,BKD,III.a\n".encode() + b"\xc3\x81\x81\n")
    cli("enrol", cohort, "--csv", str(garbled), expect=2)
    assert cli.json("status", cohort)["total"] == 0


def test_an_unknown_cohort_exits_2(cli: Cli, tmp_path: Path) -> None:
    """Enrolling into a cohort that does not exist is an unknown name (exit 2)."""
    roster = write_roster(tmp_path / "r.csv", [person(1)])
    result = cli.json("enrol", "NOPE", "--csv", str(roster), expect=2)
    assert result["error"]["kind"] == "unknown_cohort"


def test_refusals_are_listed_in_text_with_a_hint(cli: Cli, cohort: str, tmp_path: Path) -> None:
    """The text report names each refused line and its reasons; the hint goes to stderr."""
    roster = write_roster(tmp_path / "r.csv", [person(1), "123,Bad,BKD,III.a"])
    result = cli("enrol", cohort, "--csv", str(roster), "--actor", "BKD", expect=3)
    assert "line 3" in result.stdout
    assert "invalid_input: line 3: nip:" in result.stdout
    assert "1 accepted, 1 refused, 0 already enrolled" in result.stdout
    assert result.stderr.startswith("hint: ")
    entry = cli.json("history", nip_of(1))["history"][0]
    assert entry["actor"] == "BKD"
    assert entry["payload"] == {"roster_line": 2}


ARABIC_OFFICES = ("دائرة الصحة", "دائرة التعليم", "دائرة المالية")
"""The issue's three offices: names without a single ASCII letter."""


def test_offices_with_non_latin_names_stay_apart(cli: Cli, cohort: str, tmp_path: Path) -> None:
    """Three Arabic office names make three offices; each person is filed under her own."""
    rows = [person(n, office) for n, office in enumerate(ARABIC_OFFICES, start=1)]
    roster = write_roster(tmp_path / "r.csv", rows)
    outcome = cli.json("enrol", cohort, "--csv", str(roster))
    assert outcome["accepted"] == [nip_of(1), nip_of(2), nip_of(3)]
    assert outcome["refused"] == []
    placed = {p["nip"]: p for p in cli.json("status", cohort)["participants"]}
    assert [placed[nip_of(n)]["office_name"] for n in (1, 2, 3)] == list(ARABIC_OFFICES)
    assert len({p["office"] for p in placed.values()}) == 3
    again = cli.json("enrol", cohort, "--csv", str(roster))
    assert again["already_enrolled"] == [nip_of(1), nip_of(2), nip_of(3)]


def test_two_office_names_with_one_code_are_refused_not_merged(
    cli: Cli, cohort: str, tmp_path: Path
) -> None:
    """A name whose code another office (stored or earlier in the file) holds is refused."""
    first = write_roster(tmp_path / "a.csv", [person(1, "Dinas Sosial")])
    cli("enrol", cohort, "--csv", str(first))
    second = write_roster(
        tmp_path / "b.csv",
        [person(2, "Dinas Sósial"), person(3, "Dinas Pariwisata"), person(4, "Dinas Pariwísata")],
    )
    outcome = cli.json("enrol", cohort, "--csv", str(second), expect=3)
    assert outcome["accepted"] == [nip_of(3)]
    by_line = {r["line"]: r["violations"][0] for r in outcome["refused"]}
    assert sorted(by_line) == [2, 4]
    assert all(v["code"] == "invalid_input" for v in by_line.values())
    assert "DINAS-SOSIAL" in by_line[2]["message"]
    assert "line 3" in by_line[4]["message"]
    offices = {p["nip"]: p["office_name"] for p in cli.json("status", cohort)["participants"]}
    assert offices == {nip_of(1): "Dinas Sosial", nip_of(3): "Dinas Pariwisata"}


def test_an_over_long_quoted_field_refuses_the_file_and_smuggles_nothing(
    cli: Cli, cohort: str, tmp_path: Path
) -> None:
    """A 1 MB quoted name hiding a row after a line break: exit 2 naming line 2, none enrolled."""
    hidden = person(7).replace("Peserta 7", "Smuggled")
    roster = write_roster(
        tmp_path / "r.csv", [f'{nip_of(1)},"{"N" * 1_000_000}\n{hidden}\n",BKD,III.a', person(2)]
    )
    failed = cli.json("enrol", cohort, "--csv", str(roster), expect=2)
    assert failed["error"]["kind"] == "invalid_input"
    assert "line 2" in failed["error"]["message"]
    assert cli.json("status", cohort)["total"] == 0
    assert (
        cli.json("verify", cohort)["cohorts"][0]["entries"] == 2
    )  # create_cohort and the staff added only


def test_an_endless_roster_is_refused_at_the_size_cap(cli: Cli, cohort: str) -> None:
    """--csv /dev/zero exits 2 at the default size cap instead of reading until memory runs out."""
    failed = cli("enrol", cohort, "--csv", "/dev/zero", expect=2)
    assert "larger than 67,108,864 bytes" in failed.stderr
    assert "--max-bytes" in failed.stderr
    assert cli.json("status", cohort)["total"] == 0


def test_the_roster_caps_can_be_set(cli: Cli, cohort: str, tmp_path: Path) -> None:
    """--max-bytes and --max-rows refuse a roster just over them (exit 2) and pass one at them."""
    roster = write_roster(tmp_path / "r.csv", [person(1), person(2)])
    size = roster.stat().st_size
    over = cli.json("enrol", cohort, "--csv", str(roster), "--max-bytes", str(size - 1), expect=2)
    assert f"larger than {size - 1:,} bytes" in over["error"]["message"]
    rows = cli.json("enrol", cohort, "--csv", str(roster), "--max-rows", "1", expect=2)
    assert "line 3" in rows["error"]["message"]
    assert cli.json("status", cohort)["total"] == 0
    args = ("--max-bytes", str(size), "--max-rows", "2")
    assert cli.json("enrol", cohort, "--csv", str(roster), *args)["accepted"] == [
        nip_of(1),
        nip_of(2),
    ]


def test_a_workbook_roster_enrols_from_the_named_sheet(
    cli: Cli, cohort: str, tmp_path: Path
) -> None:
    """--xlsx with --sheet reads that sheet; a number NIP cell is refused naming its row."""
    from openpyxl import Workbook  # noqa: PLC0415 - the optional extra, as the CLI loads it

    book = Workbook()
    cover = book.active
    assert cover is not None
    cover.append(["Daftar peserta PKA angkatan I"])
    data = book.create_sheet("Peserta")
    data.append(["NIP", "Nama", "OPD", "Eselon", "Tanggal Lahir"])
    data.append([nip_of(1), "Budi", "Dinas Pendidikan", "III/a", date(1975, 6, 1)])
    data.append([int(nip_of(2)), "Ani", "Dinas Kesehatan", "IIIb", None])
    path = tmp_path / "peserta.xlsx"
    book.save(path)
    outcome = cli.json("enrol", cohort, "--xlsx", str(path), "--sheet", "Peserta", expect=3)
    assert outcome["accepted"] == [nip_of(1)]
    (refused,) = outcome["refused"]
    assert refused["line"] == 3
    assert "format the NIP column as Text" in refused["violations"][0]["message"]
    first_sheet = cli.json("enrol", cohort, "--xlsx", str(path), expect=2)
    assert "row 1 of sheet 'Sheet': bad header" in first_sheet["error"]["message"]


def test_an_encoding_can_be_named_and_the_file_options_do_not_mix(
    cli: Cli, cohort: str, tmp_path: Path
) -> None:
    """--encoding reads a UTF-16 roster; --csv with --xlsx, or --encoding with --xlsx, exit 2."""
    roster = tmp_path / "r.csv"
    roster.write_bytes(f"{HEADER}\n{person(1)}\n".encode("utf-16"))
    assert cli.json("enrol", cohort, "--csv", str(roster), "--encoding", "utf-16")["accepted"] == [
        nip_of(1)
    ]
    both = cli("enrol", cohort, "--csv", str(roster), "--xlsx", str(roster), expect=2)
    assert "not both" in both.stderr
    assert (
        "--encoding reads CSV"
        in cli("enrol", cohort, "--xlsx", str(roster), "--encoding", "utf-16", expect=2).stderr
    )
    assert "--csv FILE or --xlsx FILE" in cli("enrol", cohort, expect=2).stderr


def test_a_roster_in_batches_enrols_every_row(cli: Cli, cohort: str, tmp_path: Path) -> None:
    """--batch-size 2 commits five rows in three transactions with the same outcome."""
    roster = write_roster(tmp_path / "five.csv", [person(n) for n in range(1, 6)])
    report = cli.json("enrol", cohort, "--csv", str(roster), "--batch-size", "2")
    assert len(report["accepted"]) == 5
    assert cli("verify", cohort).exit_code == 0
    cli("enrol", cohort, "--csv", str(roster), "--batch-size", "0", expect=2)
