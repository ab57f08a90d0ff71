"""changeflow rules list / show: the rule packs, their parameters and citations."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from typer.testing import CliRunner

from changeflow.cli.app import app
from changeflow.rules import builtin_rules

if TYPE_CHECKING:
    from typing import Any

    from typer.testing import Result

SHIPPED = ["diklatpim-iii-2015", "pka-2022", "probolinggo-2019"]


def run(*args: str, expect: int = 0) -> Result:
    """Invoke ``changeflow`` without a database (the rules commands need none)."""
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == expect, (args, result.stdout, result.stderr)
    assert "Traceback" not in result.output
    return result


def document(*args: str, expect: int = 0) -> dict[str, Any]:
    """The one JSON document a ``--json`` invocation prints."""
    found: dict[str, Any] = json.loads(run(*args, "--json", expect=expect).stdout)
    assert found["schema_version"] == 2
    return found


def test_rules_list_names_every_shipped_pack() -> None:
    """The text table and the JSON list name the three packs with version and capacity."""
    listed = document("rules", "list")["packs"]
    assert [(p["id"], p["version"]) for p in listed] == [(p, "1") for p in SHIPPED]
    assert {p["id"]: p["capacity"] for p in listed}["pka-2022"] == 40
    text = run("rules", "list").stdout
    assert all(pack in text for pack in SHIPPED)


def test_rules_show_prints_parameters_and_every_citation() -> None:
    """Rules show --json carries the parameters and, per rule, basis, text and the cited source."""
    shown = document("rules", "show", "pka-2022")["pack"]
    assert (shown["id"], shown["version"], shown["capacity"]) == ("pka-2022", "1", 40)
    assert shown["parameters"]["eligible_ranks"] == ["administrator"]
    assert set(shown["citations"]) >= set(builtin_rules()) | {"not_permitted"}
    rank = shown["citations"]["rank"]
    assert rank["basis"] == "practice"
    assert rank["source"] == f"pka-2022 v1: {rank['text']}"
    assert shown["sources"]
    assert all(source["read"] for source in shown["sources"])


def test_rules_show_text_lists_the_citations() -> None:
    """The text form names the regime and prints each rule with its basis."""
    text = run("rules", "show", "diklatpim-iii-2015").stdout
    assert "diklatpim-iii-2015 v1" in text
    assert "eligible ranks: III.a, III.b" in text
    assert "retirement_horizon" in text
    assert "practice" in text


def test_rules_show_takes_a_version_either_way() -> None:
    """--version V and PACK@VERSION both select the version."""
    assert document("rules", "show", "pka-2022", "--version", "1")["pack"]["version"] == "1"
    assert document("rules", "show", "pka-2022@1")["pack"]["version"] == "1"


def test_an_unknown_pack_is_exit_2_naming_the_known_ones() -> None:
    """An unknown pack or version exits 2, and the message names every known pack."""
    result = run("rules", "show", "pka-2030", expect=2)
    assert result.stderr.startswith("error: unknown rule pack 'pka-2030'")
    assert all(f"{pack}@1" in result.stderr for pack in SHIPPED)
    failed = document("rules", "show", "pka-2022", "--version", "9", expect=2)["error"]
    assert (failed["kind"], failed["exit_code"]) == ("not_found", 2)
    assert "probolinggo-2019@1" in failed["message"]
