"""Records: enrolment snapshots, history entries and bulk reports, and their JSON shapes."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from types import MappingProxyType
from typing import TYPE_CHECKING

import pytest

from changeflow import (
    DEFAULT_LIFECYCLE,
    AdvanceReport,
    ChangeProject,
    Enrolment,
    HistoryEntry,
    LifecycleRef,
    Mentor,
    MigrationPlan,
    Violation,
)
from changeflow.records import ENTRY_FORMAT
from factories import make_participant

if TYPE_CHECKING:
    from changeflow.records import Outcome

AT = datetime(2019, 4, 4, 8, 0, tzinfo=UTC)
PROJECT = ChangeProject(title="Pojok baca desa", theme="literasi", mentor=Mentor(name="Kadis"))


def _entry(
    seq: int, nip: str, outcome: Outcome = "accepted", violations: tuple[Violation, ...] = ()
) -> HistoryEntry:
    """An audit entry for ``start_class`` with the given outcome."""
    target = "on_class" if outcome == "accepted" else None
    return HistoryEntry(
        seq, AT, "PKA-1", nip, "start_class", "enrolled", target, outcome, violations=violations
    )


def test_snapshot_is_independent() -> None:
    """A snapshot's fields and scores can change without touching the original."""
    original = Enrolment("PKA-1", make_participant(), "seminar", 5, 1, PROJECT, {"overall": 80.0})
    copy = original.snapshot()
    assert copy == original
    assert copy is not original
    copy.state = "graduated"
    copy.version = 99
    assert copy.scores is not None
    copy.scores["overall"] = 10.0
    assert (original.state, original.version, original.scores) == ("seminar", 5, {"overall": 80.0})


def test_snapshot_of_unscored_enrolment_keeps_none() -> None:
    """An enrolment without scores snapshots to one without scores."""
    assert Enrolment("PKA-1", make_participant(), "enrolled").snapshot().scores is None


def test_enrolment_to_dict() -> None:
    """Enrolment.to_dict has stable keys and JSON-compatible values."""
    person = make_participant()
    enrolment = Enrolment("PKA-1", person, "proposal", 3, 1, PROJECT, {"overall": 85.0}, 2)
    assert enrolment.nip == person.nip
    shown = enrolment.to_dict()
    assert shown == {
        "cohort": "PKA-1",
        "nip": person.nip,
        "name": person.name,
        "office": "DINKES",
        "office_name": "Dinas Kesehatan",
        "echelon": "III.a",
        "state": "proposal",
        "version": 3,
        "revisions": 1,
        "project": {
            "title": "Pojok baca desa",
            "theme": "literasi",
            "mentor": {"name": "Kadis", "nip": None, "position": None},
        },
        "scores": {"overall": 85.0},
        "group": 2,
        "active": True,
        "seated": True,
        "completed": False,
    }
    assert json.loads(json.dumps(shown)) == shown
    bare = Enrolment("PKA-1", person, "enrolled").to_dict()
    assert (bare["project"], bare["scores"], bare["group"]) == (None, {}, None)


def test_history_entry_to_dict() -> None:
    """HistoryEntry.to_dict names the states 'from' and 'to' and is JSON-compatible."""
    violation = Violation("rank", "not eligible", MappingProxyType({"echelon": "IV.a"}), "tidak")
    entry = HistoryEntry(
        7,
        AT,
        "PKA-1",
        "197506012000031001",
        "graduate",
        "seminar",
        "graduated",
        "refused",
        "examiner",
        "final seminar",
        MappingProxyType({"room": "A"}),
        (violation,),
        None,
        date(2019, 7, 19),
    )
    assert not entry.accepted
    shown = entry.to_dict()
    assert shown == {
        "seq": 7,
        "at": "2019-04-04T08:00:00+00:00",
        "cohort": "PKA-1",
        "nip": "197506012000031001",
        "event": "graduate",
        "from": "seminar",
        "to": "graduated",
        "outcome": "refused",
        "actor": "examiner",
        "reason": "final seminar",
        "payload": {"room": "A"},
        "violations": [
            {
                "code": "rank",
                "message": "not eligible",
                "message_id": "tidak",
                "facts": {"echelon": "IV.a"},
                "source": None,
            }
        ],
        "data": None,
        "effective_date": "2019-07-19",
        "change": None,
        "format": 3,
    }
    assert json.loads(json.dumps(shown)) == shown


def test_history_entry_to_dict_keeps_the_change_and_format() -> None:
    """A data command's change (before/after) and an old entry's format 1 show in to_dict."""
    change = MappingProxyType({"scores": {"before": None, "after": {"overall": 85.0}}})
    entry = HistoryEntry(
        3, AT, "PKA-1", "197506012000031001", "record_assessment", "seminar", "seminar",
        "accepted", change=change,
    )  # fmt: skip
    shown = entry.to_dict()
    assert shown["change"] == {"scores": {"before": None, "after": {"overall": 85.0}}}
    assert shown["format"] == ENTRY_FORMAT == 3
    assert json.loads(json.dumps(shown)) == shown
    assert entry._replace(format=1).to_dict()["format"] == 1


def test_history_entry_is_frozen() -> None:
    """An audit entry cannot be altered after it is made."""
    entry = _entry(1, "197506012000031001")
    assert entry.accepted
    assert entry.to_dict()["payload"] is None
    with pytest.raises(AttributeError):
        entry.outcome = "refused"  # type: ignore[misc]


def test_advance_report_to_dict_and_ok() -> None:
    """AdvanceReport.to_dict lists accepted NIPs, refused NIPs with violations, and skipped."""
    why = Violation("change_project_missing", "no project")
    report = AdvanceReport(
        "PKA-1",
        "start_class",
        (_entry(1, "a"), _entry(2, "b")),
        (_entry(3, "c", "refused", violations=(why,)),),
        4,
    )
    assert not report.ok
    assert report.to_dict() == {
        "cohort": "PKA-1",
        "event": "start_class",
        "accepted": ["a", "b"],
        "refused": [{"nip": "c", "violations": [why.to_dict()]}],
        "skipped": 4,
    }
    assert AdvanceReport("PKA-1", "start_class").ok
    assert AdvanceReport("PKA-1", "start_class").to_dict()["accepted"] == []


@pytest.mark.parametrize(
    ("dest", "flags"),
    [
        ("on_class", (True, True, False)),
        ("graduated", (False, True, True)),
        ("not_passed", (False, True, False)),
        ("withdrawn", (False, False, False)),
        ("dropped", (False, False, False)),
    ],
)
def test_moved_derives_the_flags_from_the_lifecycle(
    dest: str, flags: tuple[bool, bool, bool]
) -> None:
    """moved() counts a version, keeps the facts and derives active/seated/completed."""
    before = Enrolment("PKA-1", make_participant(), "seminar", 5, 1, PROJECT, {"overall": 80.0}, 2)
    after = before.moved(dest, DEFAULT_LIFECYCLE)
    assert (after.state, after.version, after.revisions) == (dest, 6, 1)
    assert (after.active, after.seated, after.completed) == flags
    assert (after.project, after.scores, after.group) == (PROJECT, {"overall": 80.0}, 2)
    assert (before.state, before.version, before.active) == ("seminar", 5, True)


def test_moved_back_into_a_seat_takes_it_again() -> None:
    """A withdrawn enrolment moved back to an active state is active and seated again."""
    gone = Enrolment("PKA-1", make_participant(), "withdrawn", 4, 0, active=False, seated=False)
    back = gone.moved("laboratory", DEFAULT_LIFECYCLE)
    assert (back.state, back.version, back.active, back.seated) == ("laboratory", 5, True, True)


def test_a_reflexive_move_counts_a_revision() -> None:
    """Moving to the same state counts a revision as well as a version."""
    enrolment = Enrolment("PKA-1", make_participant(), "proposal", 3, 1)
    again = enrolment.moved("proposal", DEFAULT_LIFECYCLE)
    assert (again.version, again.revisions) == (4, 2)


def test_migrated_counts_no_revision() -> None:
    """A migration mapping a state to itself counts a version but no revision."""
    enrolment = Enrolment("PKA-1", make_participant(), "proposal", 3, 1)
    mapped = enrolment.migrated("proposal", DEFAULT_LIFECYCLE)
    assert (mapped.state, mapped.version, mapped.revisions) == ("proposal", 4, 1)


def test_lifecycle_ref_and_migration_plan_to_dict() -> None:
    """LifecycleRef and MigrationPlan have stable JSON shapes (from/to, participants)."""
    ref = DEFAULT_LIFECYCLE.ref
    assert ref == LifecycleRef("change_project", "3", DEFAULT_LIFECYCLE.sha256)
    assert ref.to_dict() == {"name": "change_project", "version": "3", "sha256": ref.sha256}
    other = LifecycleRef("supervisor_course", "1", "f" * 64)
    plan = MigrationPlan("PKA-1", ref, other, (("197506012000031001", "seminar", "passed"),), False)
    shown = plan.to_dict()
    assert shown == {
        "cohort": "PKA-1",
        "from": ref.to_dict(),
        "to": other.to_dict(),
        "participants": [{"nip": "197506012000031001", "from": "seminar", "to": "passed"}],
        "applied": False,
    }
    assert json.loads(json.dumps(shown)) == shown
    assert MigrationPlan("PKA-1", None, other, (), True).to_dict()["from"] is None
