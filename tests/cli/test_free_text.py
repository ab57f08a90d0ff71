"""Free text on the command line: forged lines and bidi characters refused, stored text escaped."""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

import pytest

from cli.support import HEADER, nip_of, write_roster

if TYPE_CHECKING:
    from pathlib import Path

    from cli.support import Cli

_FORGED = [
    pytest.param("--actor", "BKD\nforged line", "U+000A LINE FEED at 3", id="actor-line-feed"),
    pytest.param("--actor", "BKD\rforged", "U+000D CARRIAGE RETURN at 3", id="actor-return"),
    pytest.param(
        "--actor", "BKD\u202eevil", "U+202E RIGHT-TO-LEFT OVERRIDE at 3", id="actor-override"
    ),
    pytest.param("--key", "k\u2066x", "U+2066 LEFT-TO-RIGHT ISOLATE at 1", id="key-isolate"),
    pytest.param("--key", "k\nx", "U+000A LINE FEED at 1", id="key-line-feed"),
    pytest.param(
        "--reason", "ok\u202eevil", "U+202E RIGHT-TO-LEFT OVERRIDE at 2", id="reason-override"
    ),
    pytest.param("--reason", "ok\r\nforged", "U+000D CARRIAGE RETURN at 2", id="reason-return"),
]


def _audit_rows(db_path: Path) -> int:
    with sqlite3.connect(db_path) as connection:
        return int(connection.execute("SELECT count(*) FROM audit").fetchone()[0])


def _states(cli: Cli) -> list[str]:
    return [p["state"] for p in cli.json("status", "PKA-1")["participants"]]


@pytest.mark.parametrize(("option", "value", "named"), _FORGED)
def test_forged_free_text_is_refused_and_nothing_is_written(
    cli: Cli, db_path: Path, enrolled: list[str], option: str, value: str, named: str
) -> None:
    """A line break, control or bidi character in --actor/--key/--reason is exit 2, unwritten."""
    before = _audit_rows(db_path)
    result = cli("fire", "PKA-1", enrolled[0], "start_class", option, value, expect=2)
    field = option.removeprefix("--")
    assert f"error: {field}: must not contain {named}" in result.stderr
    assert value not in result.stderr  # the text is named by code point, never echoed
    assert _audit_rows(db_path) == before
    assert _states(cli) == ["enrolled"] * len(enrolled)
    assert cli("verify").exit_code == 0


def test_a_bidi_cohort_name_is_refused(cli: Cli) -> None:
    """A cohort name with a right-to-left override is exit 2, naming the field and code point."""
    result = cli(
        "cohort",
        "create",
        "PKA-9",
        "--name",
        "PKA \u202e9",
        "--start",
        "2024-03-01",
        "--end",
        "2024-07-31",
        expect=2,
    )
    assert "name: must not contain U+202E RIGHT-TO-LEFT OVERRIDE at 4" in result.stderr
    assert "\u202e" not in result.stderr
    assert cli.json("cohort", "list")["cohorts"] == []


def test_a_multi_line_reason_is_kept_but_shown_on_its_line(cli: Cli, enrolled: list[str]) -> None:
    """A reason's line feed is stored verbatim and printed escaped: it cannot forge a line."""
    nip = enrolled[0]
    cli("fire", "PKA-1", nip, "withdraw", "--reason", "sakit\nforged line", "--actor", "BKD")
    assert cli.json("history", nip)["history"][-1]["reason"] == "sakit\nforged line"
    lines = cli("history", nip).stdout.splitlines()
    assert not any(line.lstrip().startswith("forged line") for line in lines)
    assert any("sakit\\nforged line" in line for line in lines)


def test_text_stored_before_the_refusal_is_printed_escaped(
    cli: Cli, db_path: Path, enrolled: list[str]
) -> None:
    """An actor with a line break and a bidi override, stored by an older release, is escaped."""
    nip = enrolled[0]
    cli("fire", "PKA-1", nip, "start_class", "--actor", "BKD")
    with sqlite3.connect(db_path) as connection:  # as an older changeflow could have stored it
        connection.execute("DROP TRIGGER audit_append_only_update")
        connection.execute(
            "UPDATE audit SET actor = ? WHERE actor = 'BKD'", ("BKD\nforged line\u202eevil",)
        )
    lines = cli("history", nip).stdout.splitlines()
    assert not any(line.lstrip().startswith("forged line") for line in lines)
    assert any("BKD\\nforged line\\u202eevil" in line for line in lines)
    assert "\u202e" not in "\n".join(lines)


def test_a_refused_roster_row_prints_its_nip_escaped(
    cli: Cli, enrolled: list[str], tmp_path: Path
) -> None:
    """A roster row refused for a hidden character in its NIP is listed without printing it."""
    hidden = nip_of(7)[:8] + "\u2003\u202e" + nip_of(7)[8:]
    roster = write_roster(tmp_path / "hidden.csv", [f"{hidden},Budi,Dinas Uji,III.a"], HEADER)
    result = cli("enrol", "PKA-1", "--csv", str(roster), expect=3)
    assert "U+2003 EM SPACE at 8" in result.stdout
    assert "\\u202e" in result.stdout
    assert "\u202e" not in result.stdout
    assert _states(cli) == ["enrolled"] * len(enrolled)
