"""Sealing and opening entries: subjects, commitments, erased entries (changeflow.personal)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from changeflow import SealBroken, personal
from changeflow.audit import canonical
from changeflow.personal import (
    COMMITMENT_PREFIX,
    Subject,
    commitment,
    erased,
    is_erased,
    open_entry,
    personal_paths,
    seal,
    subject_id,
)
from changeflow.records import HistoryEntry, Violation

NIP = "197506012000031001"
NAME = "Dewi Lestari Handayani"
AT = datetime(2019, 4, 4, 8, tzinfo=UTC)


def _enrolment(**fields: object) -> HistoryEntry:
    """A refused enrolment holding every kind of personal value."""
    base: dict[str, object] = {
        "seq": 2,
        "at": AT,
        "cohort": "PKA-1",
        "nip": NIP,
        "event": "enrol",
        "source": None,
        "target": "enrolled",
        "outcome": "refused",
        "actor": "BKD",
        "reason": f"nominated: {NAME}",
        "payload": MappingProxyType({"letter": "SK 12/2019", "count": 3}),
        "violations": (
            Violation(
                "retirement_horizon",
                f"{NAME} retires too soon",
                MappingProxyType({"birth_date": "1975-06-01", "years": 3}),
                "pensiun terlalu dekat",
                "Perka LAN 19/2015",
            ),
        ),
        "data": MappingProxyType({"mentor": "Kepala Dinas", "grade": "memuaskan"}),
        "change": MappingProxyType(
            {
                "participant": {
                    "before": None,
                    "after": {"name": NAME, "birth_date": "1975-06-01", "echelon": "III.a"},
                },
                "project": {
                    "before": None,
                    "after": {"title": "Antrean", "mentor": {"name": "Budi", "nip": NIP}},
                },
            }
        ),
    }
    base.update(fields)
    return HistoryEntry(**base)  # type: ignore[arg-type]


def test_a_sealed_entry_holds_no_personal_value() -> None:
    """The sealed entry's bytes hold neither the NIP, the name, the birth date nor the reason."""
    subject = Subject.new(NIP)
    sealed, values = seal(_enrolment(), subject)
    stored = canonical(sealed).decode()
    for secret in (NIP, NAME, "1975-06-01", "Kepala Dinas", "Budi", "SK 12/2019"):
        assert secret not in stored
    assert sealed.nip == subject.id
    assert values["change.participant.after.name"] == NAME
    assert values["payload.letter"] == "SK 12/2019"
    assert sealed.violations[0].code == "retirement_horizon"  # codes stay readable
    assert sealed.violations[0].source == "Perka LAN 19/2015"
    assert sealed.data is not None
    assert sealed.data["grade"] == "memuaskan"


def test_sealing_then_opening_gives_the_entry_back() -> None:
    """open_entry(seal(e)) == e, every commitment checked."""
    subject = Subject.new(NIP)
    entry = _enrolment()
    sealed, values = seal(entry, subject)
    opened = open_entry(sealed, subject, values, check=True)
    assert opened.to_dict() == entry.to_dict()


def test_every_personal_path_is_sealed() -> None:
    """Each path personal_paths names holds a commitment once sealed."""
    subject = Subject.new(NIP)
    entry = _enrolment()
    sealed, values = seal(entry, subject)
    assert sorted(values) == sorted(personal_paths(entry))
    assert sorted(values) == [
        "change.participant.after.birth_date",
        "change.participant.after.name",
        "change.project.after.mentor.name",
        "change.project.after.mentor.nip",
        "data.mentor",
        "payload.count",
        "payload.letter",
        "reason",
        "violations.0.facts.birth_date",
        "violations.0.facts.years",
        "violations.0.message",
        "violations.0.message_id",
    ]
    body = json.loads(canonical(sealed))
    assert body["reason"].startswith(COMMITMENT_PREFIX)
    assert body["change"]["participant"]["after"]["echelon"] == "III.a"


def test_commitments_are_salted_per_person() -> None:
    """The same value of two subjects of the same NIP commits differently (a NIP is guessable)."""
    one, two = Subject.new(NIP), Subject.new(NIP)
    assert one.key != two.key
    assert one.id != two.id
    assert commitment(one.key, "PKA-1", 2, "reason", "x") != commitment(
        two.key, "PKA-1", 2, "reason", "x"
    )
    assert commitment(one.key, "PKA-1", 2, "reason", "x") != commitment(
        one.key, "PKA-1", 3, "reason", "x"
    )


def test_an_edited_value_does_not_open_when_checked() -> None:
    """A value changed beside the chain raises SealBroken naming its path."""
    subject = Subject.new(NIP)
    sealed, values = seal(_enrolment(), subject)
    edited = {**values, "change.participant.after.name": "Someone Else"}
    with pytest.raises(SealBroken) as broken:
        open_entry(sealed, subject, edited, check=True)
    assert (broken.value.seq, broken.value.field) == (2, "change.participant.after.name")
    assert open_entry(sealed, subject, edited).change is not None  # unchecked reads still open


def test_a_missing_or_extra_value_does_not_open() -> None:
    """Every commitment needs its value and every value its commitment."""
    subject = Subject.new(NIP)
    sealed, values = seal(_enrolment(), subject)
    fewer = {k: v for k, v in values.items() if k != "reason"}
    with pytest.raises(SealBroken, match="missing"):
        open_entry(sealed, subject, fewer)
    with pytest.raises(SealBroken, match="no commitment"):
        open_entry(sealed, subject, {**values, "payload.extra": 1})


def test_an_edited_nip_is_caught_by_the_subject_id() -> None:
    """The subject id is keyed on the NIP: another NIP kept for it does not check."""
    subject = Subject.new(NIP)
    assert subject.intact
    assert subject.id == subject_id(subject.key, NIP)
    sealed, values = seal(_enrolment(), subject)
    moved = Subject(subject.id, "197506012000031999", subject.key)
    with pytest.raises(SealBroken) as broken:
        open_entry(sealed, moved, values, check=True)
    assert broken.value.field == "nip"


def test_an_erased_person_opens_as_erased() -> None:
    """Without the subject, the entry opens with the erased marker and no personal value."""
    subject = Subject.new(NIP)
    sealed, _ = seal(_enrolment(), subject)
    opened = open_entry(sealed, None, None, check=True)
    assert opened.nip == erased(subject.id)
    assert is_erased(opened.nip)
    assert opened.reason is None
    assert opened.change is not None
    assert opened.change["participant"]["after"] == {
        "name": None,
        "birth_date": None,
        "echelon": "III.a",
    }
    assert opened.violations[0].code == "retirement_horizon"
    assert opened.violations[0].message is None
    assert NIP not in json.dumps(opened.to_dict())


def test_an_entry_without_personal_values_opens_without_a_values_row() -> None:
    """A move with no reason needs no values: it opens to the person while they are known."""
    subject = Subject.new(NIP)
    move = _enrolment(reason=None, payload=None, violations=(), data=None, change=None)
    sealed, values = seal(move, subject)
    assert values == {}
    assert open_entry(sealed, subject, None).nip == NIP
    assert is_erased(open_entry(sealed, None, None).nip)


def test_an_erasure_entry_keeps_its_reason() -> None:
    """The erase entry holds only the subject id; its reason (why, not who) stays readable."""
    subject = Subject.new(NIP)
    entry = _enrolment(event="erase", reason="request 7/2024", payload=None, violations=())
    sealed, values = seal(entry._replace(change=None, data=None), subject)
    assert values == {}
    assert sealed.reason == "request 7/2024"
    opened = open_entry(sealed, None, None)
    assert (opened.nip, opened.reason) == (erased(subject.id), "request 7/2024")


def test_cohort_entries_are_not_sealed() -> None:
    """A cohort-level entry (nip empty) has no personal path: staff text about the cohort."""
    entry = _enrolment(nip="", event="create_cohort")
    assert personal_paths(entry) == []
    assert open_entry(entry, None, None) is entry


def test_a_subject_of_another_nip_cannot_seal() -> None:
    """Sealing with another person's subject is a programming error (ValueError)."""
    with pytest.raises(ValueError, match="subject"):
        seal(_enrolment(), Subject.new("197506012000031999"))


_json_like = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=6),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text(max_size=5) | st.integers(0, 9), inner, max_size=3)
    ),
    max_leaves=10,
)
_bodies = st.dictionaries(st.text(max_size=5), _json_like, max_size=3)


@given(payload=st.none() | _bodies, data=st.none() | _bodies, change=st.none() | _bodies)
def test_the_sealing_body_is_what_a_json_round_trip_gives(
    payload: dict[str, Any] | None, data: dict[str, Any] | None, change: dict[str, Any] | None
) -> None:
    """Copied directly or by the round trip, the body equals ``json.loads(json.dumps(...))``."""
    entry = HistoryEntry(
        1, AT, "PKA-1", NIP, "register_project", "enrolled", "enrolled", "accepted",
        payload=payload, data=data, change=change,
    )  # fmt: skip
    body = personal._body(entry)
    reference = json.loads(
        json.dumps(
            {
                "reason": None,
                "payload": payload,
                "data": data,
                "change": change,
                "violations": [],
            }
        )
    )
    assert json.dumps(body) == json.dumps(reference)  # NaN is not equal to itself
    assert body == reference or "NaN" in json.dumps(body)
