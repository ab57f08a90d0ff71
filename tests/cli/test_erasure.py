"""``changeflow erase``: personal data erased once no enrolment is active; refused otherwise."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cli.support import Cli


def test_erasing_a_withdrawn_participant(cli: Cli, enrolled: list[str]) -> None:
    """Exit 0, one erase entry; verify still passes and history shows the person as erased."""
    nip = enrolled[0]
    cli("fire", "PKA-1", nip, "withdraw", "--reason", "sakit")
    erased = cli.json("erase", nip, "--reason", "permintaan 7/2024", "--actor", "BKD")
    [entry] = erased["erased"]
    assert (entry["cohort"], entry["event"], entry["reason"], entry["actor"]) == (
        "PKA-1",
        "erase",
        "permintaan 7/2024",
        "BKD",
    )
    cli("verify", "PKA-1")
    cli("history", nip, expect=2)  # nothing is found under the NIP any more
    text = cli("export", "PKA-1").stdout
    exported = json.loads(text)
    assert nip not in text
    assert '"Peserta 1"' not in text
    assert [p["nip"] for p in exported["participants"]] == enrolled[1:]


def test_erasing_an_active_participant_is_refused(cli: Cli, enrolled: list[str]) -> None:
    """Exit 3 naming still_active; nothing written (the hint says so), history untouched."""
    nip = enrolled[1]
    before = cli.json("history", nip)
    entries = cli.json("verify")["cohorts"][0]["entries"]
    refused = cli.json("erase", nip, "--reason", "permintaan", expect=3)
    assert "still_active" in str(refused)
    assert refused["error"]["hint"].startswith("nothing was written")
    assert cli.json("history", nip) == before
    assert cli.json("verify")["cohorts"][0]["entries"] == entries


def test_erasing_without_a_reason_or_an_unknown_nip_is_exit_2(
    cli: Cli, enrolled: list[str]
) -> None:
    """No --reason is a usage error; a NIP no cohort knows is an unknown participant."""
    cli("erase", enrolled[2], expect=2)
    cli("erase", "197506012000031999", "--reason", "permintaan", expect=2)
