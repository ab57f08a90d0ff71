"""Engine.export, Engine.participants and Engine.history on every store."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest

from changeflow import Assessment, Engine, FixedClock, GradingScheme
from changeflow.store.memory import MemoryStore
from factories import make_cohort, make_nip, make_participant, office, trusted_engine

if TYPE_CHECKING:
    from changeflow.store.base import Store

CODE = "PKA-III-VII-2019"
TWO_PARTS = GradingScheme(weights={"seminar": 0.5, "paper": 0.5})
"""Two components whose names are not in the order they are scored."""


@pytest.fixture
def engine(each_store: Store) -> Engine:
    """An engine on a fresh store of each kind, its clock at the 2019 cohort's first morning."""
    return trusted_engine(each_store, clock=FixedClock(datetime(2019, 4, 4, 8, tzinfo=UTC)))


def _scored(engine: Engine) -> str:
    """The 2019 cohort with one participant scored on "seminar", then on "paper"."""
    engine.create_cohort(make_cohort(CODE, grading=TWO_PARTS))
    person = make_participant(office=office(1), nip=make_nip(sequence=1))
    nip = engine.enrol(CODE, person).nip
    engine.record_assessment(CODE, nip, Assessment(score=80, component="seminar"))
    engine.record_assessment(CODE, nip, Assessment(score=90, component="paper"))
    return nip


def test_export_lists_scores_by_component(engine: Engine) -> None:
    """Scores are exported by component name, whatever order they were scored in."""
    _scored(engine)
    [member] = engine.export(CODE)["participants"]
    assert list(member["scores"].items()) == [("paper", 90.0), ("seminar", 80.0)]


def test_export_is_the_same_document_on_every_store(engine: Engine) -> None:
    """The same commands exported here and from memory give the same document but the head.

    The chain's hashes cover salted commitments (a fresh salt per person and store), so
    the head's hash is the one part that differs.
    """
    _scored(engine)
    reference = trusted_engine(MemoryStore(), clock=FixedClock(datetime(2019, 4, 4, 8, tzinfo=UTC)))
    _scored(reference)
    exported: dict[str, Any] = engine.export(CODE)
    expected: dict[str, Any] = reference.export(CODE)
    assert exported.pop("head")["seq"] == expected.pop("head")["seq"]
    assert repr(exported) == repr(expected)  # the order of keys too
