"""enrol_roster: rows judged in file order, written in batches, a duplicate refused alone."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from changeflow import InvalidInput
from changeflow.roster import RosterOutcome, enrol_roster, parse_roster
from factories import crashing_rules, make_cohort, make_nip, trusted_engine

if TYPE_CHECKING:
    from changeflow import Engine, FixedClock


def _roster(*nips: str, office: str = "Dinas Kesehatan") -> str:
    lines = [
        "nip,name,office,echelon",
        *(f"{nip},Peserta {nip[-3:]},{office},III.a" for nip in nips),
    ]
    return "\n".join(lines) + "\n"


def test_a_repeated_row_is_refused_as_a_repeat_only(engine: Engine) -> None:
    """The second row of one person is already_enrolled/already_active, not office_quota."""
    code = engine.create_cohort(make_cohort()).code
    first, second = make_nip(), make_nip()
    report = enrol_roster(engine, code, parse_roster(_roster(first, second, second)))
    assert [o.status for o in report.outcomes] == ["accepted", "accepted", "refused"]
    assert [v.code for v in report.outcomes[2].violations] == [
        "already_enrolled",
        "already_active",
    ]


@pytest.mark.parametrize("batch_size", [None, 1, 2, 50])
def test_batches_of_any_size_give_the_same_outcomes(engine: Engine, batch_size: int | None) -> None:
    """Whatever the batch size, five rows from one office get the same verdicts and entries."""
    code = engine.create_cohort(make_cohort()).code
    nips = [make_nip() for _ in range(5)]
    heard: list[RosterOutcome] = []
    report = enrol_roster(
        engine, code, parse_roster(_roster(*nips)), batch_size=batch_size, on_row=heard.append
    )
    assert [o.status for o in report.outcomes] == ["accepted"] * 2 + ["refused"] * 3
    assert list(report.outcomes) == heard
    assert len(engine.history(cohort=code)) == 6
    assert all(check.ok for check in engine.verify(code))


def test_a_crash_loses_only_the_batch_it_happened_in(clock: FixedClock) -> None:
    """With batches of two, a crash on row 3 keeps rows 1-2 and writes nothing of rows 3-4."""
    nips = [make_nip() for _ in range(4)]

    rules = crashing_rules("office_quota", {nips[3]})
    engine = trusted_engine(rules=rules, clock=clock)
    code = engine.create_cohort(make_cohort()).code
    with pytest.raises(Exception, match="registry unavailable"):
        enrol_roster(engine, code, parse_roster(_roster(*nips)), batch_size=2)
    assert sorted(e.nip for e in engine.participants(code)) == sorted(nips[:2])
    rerun = enrol_roster(engine, code, parse_roster(_roster(*nips[:3])))
    assert [o.status for o in rerun.outcomes] == ["already_enrolled"] * 2 + ["accepted"]


def test_a_dry_run_judges_like_the_real_run_and_writes_nothing(engine: Engine) -> None:
    """A dry run's verdicts equal the real run's, and the store is left as it was."""
    code = engine.create_cohort(make_cohort()).code
    text = _roster(*(make_nip() for _ in range(4)))
    dry = enrol_roster(engine, code, parse_roster(text), dry_run=True, batch_size=1)
    assert engine.participants(code) == []
    real = enrol_roster(engine, code, parse_roster(text))
    assert [(o.status, o.violations) for o in dry.outcomes] == [
        (o.status, o.violations) for o in real.outcomes
    ]


@pytest.mark.parametrize("size", [0, -3, True])
def test_a_batch_size_must_be_a_positive_count(engine: Engine, size: int) -> None:
    """A batch size that is not a positive number of rows is refused before any row."""
    code = engine.create_cohort(make_cohort()).code
    with pytest.raises(InvalidInput, match="batch_size"):
        enrol_roster(engine, code, parse_roster(_roster(make_nip())), batch_size=size)
    assert len(engine.history(cohort=code)) == 1
