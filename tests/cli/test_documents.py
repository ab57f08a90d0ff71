"""The CLI's JSON documents as printed: a violation's Indonesian text under its own name."""

from __future__ import annotations

from changeflow.cli.documents import INDONESIAN_MESSAGE, presented, violations
from changeflow.records import Violation

REFUSED = Violation("office_quota", "office full", {"taken": 2}, "unit kerja penuh", "LAN")


def test_presented_renames_message_id_in_violations_at_any_depth() -> None:
    """A violation in a list, in a row, in an error document: message_id -> message_indonesian."""
    shown = presented(
        {"violations": violations([REFUSED]), "refused": [{"violations": violations([REFUSED])}]}
    )
    for violation in (shown["violations"][0], shown["refused"][0]["violations"][0]):
        assert violation == {
            "code": "office_quota",
            "message": "office full",
            INDONESIAN_MESSAGE: "unit kerja penuh",
            "facts": {"taken": 2},
            "source": "LAN",
        }
        assert list(violation) == ["code", "message", INDONESIAN_MESSAGE, "facts", "source"]


def test_presented_leaves_everything_else_and_the_input_alone() -> None:
    """Only a violation's exact key set is renamed; the library's dictionaries are not touched."""
    stored = REFUSED.to_dict()
    other = {"message_id": "x", "code": "y"}
    shown = presented({"entry": {"violations": [stored]}, "other": other})
    assert shown["other"] == {"message_id": "x", "code": "y"}
    assert "message_id" in stored
    assert stored == REFUSED.to_dict()
