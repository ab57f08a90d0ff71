"""Rows back to domain objects: the fast rebuild of a stored participant."""

from __future__ import annotations

import copy
import pickle
from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from changeflow.models import Participant
from changeflow.store.sql.mapping import _participant, enrolment_from_fields
from factories import DINKES, make_participant

_people = st.builds(
    lambda born, name, age: make_participant(born=born, name=name, retirement_age=age),
    st.dates(date(1960, 1, 1), date(1999, 12, 31)),
    st.text(st.characters(categories=("L", "N", "Zs")), min_size=1, max_size=40).filter(str.strip),
    st.none() | st.integers(58, 65),
)


def _rebuilt(person: Participant) -> Participant:
    return _participant(
        person.nip,
        person.name,
        person.office,
        person.echelon,
        person.born,
        person.retirement_age,
    )


@given(_people)
def test_a_rebuilt_participant_is_what_model_construct_builds(person: Participant) -> None:
    """Equal, equally hashed and dumped, with the same fields set."""
    constructed = Participant.model_construct(**dict(person))
    rebuilt = _rebuilt(person)
    assert rebuilt == constructed
    assert rebuilt.model_dump() == constructed.model_dump()
    assert hash(rebuilt) == hash(constructed)
    assert rebuilt.model_fields_set == constructed.model_fields_set
    assert rebuilt.born == person.born


def test_a_rebuilt_participant_copies_pickles_and_updates_like_any_other() -> None:
    """``model_copy(update=...)`` adds to its fields set: the rebuild must give it its own."""
    rebuilt = _rebuilt(make_participant(name="Budi"))
    renamed = rebuilt.model_copy(update={"name": "Budi Santoso"})
    assert (renamed.name, rebuilt.name) == ("Budi Santoso", "Budi")
    assert copy.deepcopy(rebuilt) == rebuilt
    assert pickle.loads(pickle.dumps(rebuilt)) == rebuilt  # noqa: S301 - our own bytes


def test_sqlite_text_dates_and_flags_become_dates_and_booleans() -> None:
    """SQLite's driver returns a birth date as text and flags as 0/1."""
    person = make_participant(born=date(1975, 6, 1))
    row = (
        (7, person.nip, person.name, DINKES.code, DINKES.name, person.echelon, "1975-06-01")
        + (None, "on_class", 2, 0, 1, 1, 0, 3)
        + (None,) * 7
    )
    enrolment = enrolment_from_fields(row, "PKA-1", DINKES)
    assert enrolment.participant == person
    assert (enrolment.active, enrolment.seated, enrolment.completed) == (True, True, False)
    assert all(type(flag) is bool for flag in (enrolment.active, enrolment.seated))
    assert (enrolment.state, enrolment.version, enrolment.group, enrolment.project) == (
        "on_class",
        2,
        3,
        None,
    )
