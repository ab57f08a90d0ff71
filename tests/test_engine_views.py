"""Engine.export, Engine.participants and Engine.history on every store."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

import pytest

from changeflow import (
    Assessment,
    Engine,
    FixedClock,
    GradingScheme,
    InvalidInput,
    TransitionRejected,
)
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


def _week(engine: Engine, clock: FixedClock) -> list[str]:
    """Three participants over three days, with their NIPs.

    Enrolled on day 0; two start class on day 1 (one by the coach); one withdraws on day 2,
    when the coach's graduation of another is refused.
    """
    engine.create_cohort(make_cohort(CODE))
    nips = [
        engine.enrol(CODE, make_participant(office=office(n)), actor="BKD").nip for n in (1, 2, 3)
    ]
    clock.advance(days=1)
    engine.fire(CODE, nips[0], "start_class", actor="BKD")
    engine.fire(CODE, nips[1], "start_class", actor="coach-1")
    clock.advance(days=1)
    engine.fire(CODE, nips[2], "withdraw", actor="BKD", reason="moved away")
    with pytest.raises(TransitionRejected):
        engine.fire(CODE, nips[0], "graduate", actor="coach-1")
    return nips


@pytest.fixture
def clock() -> FixedClock:
    """A clock at the 2019 cohort's first morning, 08:00 in Jakarta (01:00 UTC)."""
    return FixedClock(datetime(2019, 4, 4, 1, tzinfo=UTC))


@pytest.fixture
def week(each_store: Store, clock: FixedClock) -> tuple[Engine, list[str]]:
    """An engine on each store kind holding :func:`_week`, with its NIPs."""
    engine = trusted_engine(each_store, clock=clock)
    return engine, _week(engine, clock)


def test_participants_by_state(week: tuple[Engine, list[str]]) -> None:
    """states= keeps the participants in one of the named states, in enrolment order."""
    engine, nips = week
    assert [e.nip for e in engine.participants(CODE, states=["on_class"])] == nips[:2]
    both = engine.participants(CODE, states={"withdrawn", "enrolled", "on_class"})
    assert [e.nip for e in both] == nips
    assert engine.participants(CODE, states=("graduated",)) == []
    assert engine.participants(CODE, states=[]) == []


def test_participants_by_state_as_they_were(
    week: tuple[Engine, list[str]], clock: FixedClock
) -> None:
    """states= filters the replayed record too: on day 1 nobody had withdrawn yet."""
    engine, nips = week
    day_1 = datetime(2019, 4, 5, 12, tzinfo=UTC)
    assert [e.nip for e in engine.participants(CODE, as_of=day_1, states=["on_class"])] == nips[:2]
    assert engine.participants(CODE, as_of=day_1, states=["withdrawn"]) == []
    assert clock.now() > day_1


@pytest.mark.parametrize(
    ("states", "message"),
    [
        (["on_class", "graduating"], "'graduating' is not a state of PKA-III-VII-2019's lifecycle"),
        ("on_class", "must be state names (an iterable)"),
        ([3], "expected a str"),
    ],
)
def test_unknown_states_are_invalid_input(
    week: tuple[Engine, list[str]], states: Any, message: str
) -> None:
    """A name the cohort's lifecycle lacks, a bare string or a non-string is InvalidInput."""
    engine, _ = week
    with pytest.raises(InvalidInput, match=re.escape(message)) as caught:
        engine.participants(CODE, states=states)
    assert caught.value.field == "states"


def test_history_by_event_actor_and_time(week: tuple[Engine, list[str]]) -> None:
    """event, actor, since and until filter the history, alone and together, on every store."""
    engine, nips = week
    day = [datetime(2019, 4, 4 + n, tzinfo=UTC) for n in range(4)]
    events = [e.event for e in engine.history(cohort=CODE)]
    assert events[:2] == ["create_cohort", "enrol"]
    assert [e.nip for e in engine.history(cohort=CODE, event="start_class")] == nips[:2]
    by_coach = engine.history(cohort=CODE, actor="coach-1")
    assert [(e.event, e.outcome) for e in by_coach] == [
        ("start_class", "accepted"),
        ("graduate", "refused"),
    ]
    assert [e.event for e in engine.history(cohort=CODE, since=day[2])] == ["withdraw", "graduate"]
    on_day_1 = engine.history(cohort=CODE, since=day[1], until=day[2])
    assert [e.event for e in on_day_1] == ["start_class", "start_class"]
    assert engine.history(cohort=CODE, until=day[0]) == []
    assert engine.history(cohort=CODE, since=day[3]) == []
    mine = engine.history(nips[0], event="graduate", actor="coach-1", since=day[2], until=day[3])
    assert [(e.nip, e.outcome) for e in mine] == [(nips[0], "refused")]
    assert engine.history(nips[0], cohort=CODE, actor="BKD", event="graduate") == []
    everywhere = engine.history(event="withdraw", since=day[0])
    assert [(e.cohort, e.nip) for e in everywhere] == [(CODE, nips[2])]


def test_history_since_is_inclusive_and_until_exclusive(
    week: tuple[Engine, list[str]], clock: FixedClock
) -> None:
    """An entry stamped exactly ``since`` is in; one stamped exactly ``until`` is out."""
    engine, _ = week
    at = clock.now()  # the withdrawal and the refused graduation
    jakarta = timezone(timedelta(hours=7))
    assert len(engine.history(cohort=CODE, since=at)) == 2
    assert len(engine.history(cohort=CODE, since=at.astimezone(jakarta))) == 2
    assert engine.history(cohort=CODE, since=at, until=at) == []
    assert len(engine.history(cohort=CODE, until=at + timedelta(microseconds=1))) == len(
        engine.history(cohort=CODE)
    )


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("since", datetime(2019, 4, 4)),  # naive
        ("until", date(2019, 4, 4)),
        ("since", datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=5)))),  # before UTC's year 1
        ("event", 3),
        ("actor", "BKD\x00"),
    ],
)
def test_history_filters_are_checked(
    week: tuple[Engine, list[str]], option: str, value: object
) -> None:
    """A naive, non-datetime or pre-UTC bound, a non-string event or a NUL actor is InvalidInput."""
    engine, _ = week
    with pytest.raises(InvalidInput) as caught:
        engine.history(cohort=CODE, **{option: value})
    assert caught.value.field == option
