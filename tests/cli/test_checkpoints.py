"""Checkpoints: ``checkpoints`` exports the chain heads, ``verify --against`` reads them."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

from cli.support import tamper

if TYPE_CHECKING:
    from pathlib import Path

    from cli.support import Cli


def _saved(cli: Cli, path: Path) -> dict[str, Any]:
    """Write the checkpoint file with -o and return what it holds."""
    result = cli("checkpoints", "-o", str(path))
    assert result.stdout == ""
    assert f"wrote 1 checkpoint(s) to {path}" in result.stderr
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return document


def test_checkpoints_lists_every_cohorts_head(cli: Cli, enrolled: list[str]) -> None:
    """The JSON document names the database, when it was taken, and each cohort's head."""
    document = cli.json("checkpoints")
    assert list(document) == ["schema_version", "database", "taken_at", "checkpoints"]
    assert document["database"] == cli.url
    [head] = document["checkpoints"]
    verified = cli.json("verify")["cohorts"][0]["head"]
    assert head == verified
    assert (head["cohort"], head["seq"]) == ("PKA-1", len(enrolled) + 2)  # create, staff add
    assert head["at"] is not None
    table = cli("checkpoints").stdout
    assert "PKA-1" in table
    assert head["hash"] in table


def test_checkpoints_of_an_empty_database(cli: Cli) -> None:
    """A database without cohorts has no checkpoints (and says so)."""
    assert cli.json("checkpoints")["checkpoints"] == []
    assert cli("checkpoints").stdout == "no cohorts\n"


def test_the_file_written_verifies_against_an_untouched_database(
    cli: Cli, enrolled: list[str], tmp_path: Path
) -> None:
    """The file -o writes is the JSON document; an untouched database verifies against it."""
    assert enrolled
    kept = tmp_path / "checkpoints-2024-03-01.json"
    document = _saved(cli, kept)
    assert document["schema_version"] == 2
    assert document["checkpoints"] == cli.json("checkpoints")["checkpoints"]
    checked = cli.json("verify", "--against", str(kept))
    assert (checked["ok"], checked["against"]) == (True, str(kept))
    assert "audit chain intact" in cli("verify", "--against", str(kept)).stdout


def test_a_rewound_head_is_caught_against_an_earlier_checkpoint_file(
    cli: Cli, enrolled: list[str], db_path: Path, tmp_path: Path
) -> None:
    """The last entry deleted and the head rewound passes verify alone, not --against."""
    cli("fire", "PKA-1", enrolled[0], "graduate", expect=3)  # a refusal: audited, no fact
    kept = tmp_path / "day-1.json"
    assert _saved(cli, kept)["checkpoints"][0]["seq"] == 6
    tamper(
        db_path,
        "DELETE FROM audit WHERE seq = 6",
        "UPDATE cohorts SET chain_seq = 5, chain_hash = (SELECT hash FROM audit WHERE seq = 5)",
    )
    assert cli.json("verify")["ok"] is True  # the chain alone cannot see it, by design
    [check] = cli.json("verify", "--against", str(kept), expect=1)["cohorts"]
    assert (check["cohort"], check["first_bad_seq"], check["missing_tail"]) == ("PKA-1", 6, True)
    result = cli("verify", "--against", str(kept), expect=1)
    assert "PKA-1: audit chain BROKEN: entry 6 is missing (the checkpoint names entry 6)" in (
        result.stdout
    )
    assert result.stderr.startswith("hint: ")


def test_a_chain_that_differs_from_its_checkpoint_fails(
    cli: Cli, enrolled: list[str], tmp_path: Path
) -> None:
    """A checkpoint whose hash the trail no longer carries at its seq fails that entry."""
    assert enrolled
    kept = tmp_path / "kept.json"
    document = _saved(cli, kept)
    document["checkpoints"][0]["hash"] = "e" * 64
    kept.write_text(json.dumps(document), encoding="utf-8")
    [check] = cli.json("verify", "--against", str(kept), expect=1)["cohorts"]
    assert (check["first_bad_seq"], check["problem"]) == (5, "entry 5 differs from the checkpoint")


def test_a_cohort_in_the_file_that_the_database_lacks_fails(
    cli: Cli, enrolled: list[str], tmp_path: Path
) -> None:
    """A cohort the checkpoint file names but the database no longer holds is a failure."""
    assert enrolled
    kept = tmp_path / "kept.json"
    document = _saved(cli, kept)
    gone = {**document["checkpoints"][0], "cohort": "PKA-0"}
    document["checkpoints"].insert(0, gone)
    kept.write_text(json.dumps(document), encoding="utf-8")
    checked = cli.json("verify", "--against", str(kept), expect=1)
    assert [(c["cohort"], c["ok"]) for c in checked["cohorts"]] == [
        ("PKA-0", False),
        ("PKA-1", True),
    ]
    result = cli("verify", "--against", str(kept), expect=1)
    assert "PKA-0: audit chain BROKEN: the cohort is missing from the database" in result.stdout
    cli("verify", "PKA-0", "--against", str(kept), expect=1)


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (None, "cannot read"),
        ("{not json", "is not valid JSON"),
        ('{"schema_version": 1, "cohorts": []}', "is not a changeflow checkpoint file"),
        ("[]", "is not a changeflow checkpoint file"),
        ('{"schema_version": 1, "checkpoints": [{"cohort": "PKA-1", "seq": 1}]}', "hash"),
        (
            '{"schema_version": 1, "checkpoints": [{"cohort": "PKA-1", "seq": "4", '
            '"hash": "' + "0" * 64 + '"}]}',
            "seq",
        ),
    ],
    ids=["missing", "invalid-json", "another-document", "a-list", "no-hash", "seq-as-text"],
)
def test_an_unusable_checkpoint_file_exits_2(
    cli: Cli, enrolled: list[str], tmp_path: Path, content: str | None, said: str
) -> None:
    """A checkpoint file that is missing or not one `checkpoints -o` wrote is bad input."""
    assert enrolled
    path = tmp_path / "kept.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    error = cli.json("verify", "--against", str(path), expect=2)["error"]
    assert said in error["message"]
    assert error["kind"] == "invalid_input"


def test_checkpoints_to_an_unwritable_place_exits_2(cli: Cli, tmp_path: Path) -> None:
    """Writing the file into a directory that does not exist is reported, nothing left behind."""
    target = tmp_path / "no-such-dir" / "kept.json"
    result = cli("checkpoints", "-o", str(target), expect=2)
    assert "cannot write" in result.stderr
    assert not target.parent.exists()
