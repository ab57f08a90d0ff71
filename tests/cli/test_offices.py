"""The CLI's office registry: office add/list/import/close/open, init --closed-offices, dry runs."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from typer.testing import CliRunner

from changeflow.cli.app import app
from cli.support import ADMIN, Cli, nip_of, person, write_roster

if TYPE_CHECKING:
    from pathlib import Path

DISDIK = "Dinas Pendidikan dan Kebudayaan"


def _add_disdik(cli: Cli) -> None:
    cli("office", "add", "DINDIKBUD", "--name", DISDIK, "--alias", "Disdik", "--alias", "Dikbud")


def test_office_add_and_list(cli: Cli) -> None:
    """Office add registers the office and its aliases; list --json shows who added them."""
    _add_disdik(cli)
    added = cli.json("office", "add", "BKD", "--name", "Badan Kepegawaian Daerah")
    assert added["office"]["code"] == "BKD"
    listed = cli.json("office", "list")
    assert listed["closed"] is False
    assert [(o["code"], sorted(o["aliases"]), o["added_by"]) for o in listed["offices"]] == [
        ("BKD", [], ADMIN),
        ("DINDIKBUD", ["Dikbud", "Disdik"], ADMIN),
    ]
    text = cli("office", "list").stdout
    assert "DINDIKBUD" in text
    assert "Disdik" in text


def test_office_add_refuses_an_overwrite_naming_both(cli: Cli) -> None:
    """An alias another office holds is refused (exit 2, office_conflict), both named."""
    _add_disdik(cli)
    result = cli(
        "office", "add", "DISPAR", "--name", "Dinas Pariwisata", "--alias", "disdik", expect=2
    )
    assert "DISPAR" in result.stderr
    assert "DINDIKBUD" in result.stderr
    document = cli.json("office", "add", "DINDIKBUD", "--name", "Dinas Lain", expect=2)
    assert document["error"]["kind"] == "office_conflict"
    assert [o["code"] for o in cli.json("office", "list")["offices"]] == ["DINDIKBUD"]


def test_office_import_reads_a_csv_with_either_alias_separator(cli: Cli, tmp_path: Path) -> None:
    """Office import registers code,name,aliases rows; aliases split on | or ;."""
    file = tmp_path / "offices.csv"
    file.write_text(
        "code,name,aliases\n"
        f'DINDIKBUD,"{DISDIK}",Disdik|Dikbud\n'
        "DINKES,Dinas Kesehatan,Dinkes; Dinas Kesehatan Kota\n"
        "BKD,Badan Kepegawaian Daerah,\n",
        encoding="utf-8",
    )
    document = cli.json("office", "import", str(file))
    assert document["added"] == ["BKD", "DINDIKBUD", "DINKES"]
    aliases = {o["code"]: sorted(o["aliases"]) for o in document["offices"]}
    assert aliases == {
        "BKD": [],
        "DINDIKBUD": ["Dikbud", "Disdik"],
        "DINKES": ["Dinas Kesehatan Kota", "Dinkes"],
    }
    assert cli.json("office", "import", str(file))["added"] == []


def test_office_import_refuses_a_bad_file_whole(cli: Cli, tmp_path: Path) -> None:
    """A bad header or a row without a name is exit 2 naming the line; nothing is added."""
    bad_header = tmp_path / "header.csv"
    bad_header.write_text("kode,nama\nBKD,Badan\n", encoding="utf-8")
    assert "line 1" in cli("office", "import", str(bad_header), expect=2).stderr
    bad_row = tmp_path / "row.csv"
    bad_row.write_text("code,name\nBKD,Badan Kepegawaian Daerah\nDINKES,\n", encoding="utf-8")
    assert "line 3" in cli("office", "import", str(bad_row), expect=2).stderr
    assert cli.json("office", "list")["offices"] == []


def test_closed_store_refuses_an_unknown_office_in_a_roster(
    cli: Cli, cohort: str, tmp_path: Path
) -> None:
    """Office close: a roster row from an unregistered office is refused with the nearest."""
    _add_disdik(cli)
    cli("office", "close")
    assert cli.json("office", "list")["closed"] is True
    roster = write_roster(
        tmp_path / "roster.csv", [person(1, "Disdik"), person(2, "Dinas Pendidikan dan Kebudyaan")]
    )
    document = cli.json("enrol", cohort, "--csv", str(roster), expect=3)
    assert document["accepted"] == [nip_of(1)]
    (refused,) = document["refused"]
    (violation,) = refused["violations"]
    assert violation["code"] == "unknown_office"
    assert violation["facts"]["nearest"] == ["DINDIKBUD"]
    cli("office", "open")
    cli("enrol", cohort, "--csv", str(roster))


def test_init_closed_offices_makes_a_closed_store(tmp_path: Path) -> None:
    """Init --closed-offices persists the setting: office list reports the store closed."""
    url = f"sqlite:///{tmp_path / 'closed.db'}"
    runner = CliRunner(env={"CHANGEFLOW_ACTOR": ADMIN})
    result = runner.invoke(app, ["--db", url, "init", "--closed-offices"])
    assert result.exit_code == 0, result.output
    assert "closed to unknown offices" in result.stdout
    listed = runner.invoke(app, ["--db", url, "office", "list", "--json"])
    assert json.loads(listed.stdout)["closed"] is True


def test_enrol_dry_run_lists_the_offices_it_would_create(
    cli: Cli, cohort: str, tmp_path: Path
) -> None:
    """A dry run names the new offices (text and JSON); registered ones and aliases are not new."""
    _add_disdik(cli)
    rows = [person(1, "disdik"), person(2, "Dinas Sosial"), person(3, "dinas  sosial")]
    roster = write_roster(tmp_path / "roster.csv", rows)
    document = cli.json("enrol", cohort, "--csv", str(roster), "--dry-run")
    assert document["new_offices"] == [{"code": "DINAS-SOSIAL", "name": "Dinas Sosial"}]
    text = cli("enrol", cohort, "--csv", str(roster), "--dry-run").stdout
    assert "would create 1 office(s):" in text
    assert "DINAS-SOSIAL  Dinas Sosial" in text
    assert [o["code"] for o in cli.json("office", "list")["offices"]] == ["DINDIKBUD"]
    assert "new_offices" not in cli.json("enrol", cohort, "--csv", str(roster))


def test_office_alias_adds_aliases_to_an_office_named_any_way(cli: Cli) -> None:
    """Office alias finds the office by code, name or alias; an unknown one is exit 2."""
    _add_disdik(cli)
    document = cli.json("office", "alias", "disdik", "P dan K", "Dinas Dikbud")
    assert sorted(document["office"]["aliases"]) == [
        "Dikbud",
        "Dinas Dikbud",
        "Disdik",
        "P dan K",
    ]
    assert (
        cli.json("office", "alias", "Dinas Entah", "DE", expect=2)["error"]["kind"] == "not_found"
    )
