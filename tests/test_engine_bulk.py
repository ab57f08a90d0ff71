"""Bulk advance over a 100-participant cohort: partial refusals, audit and rollback at scale."""

from __future__ import annotations

import gc
from typing import TYPE_CHECKING

import pytest

from changeflow import ChangeProject, Engine, Mentor, RuleError
from factories import crashing_rules, make_cohort, make_participant, office, trusted_engine

if TYPE_CHECKING:
    from changeflow import FixedClock

SIZE = 100


def _filled(engine: Engine) -> tuple[str, list[str]]:
    """A cohort of 100 enrolled participants from 100 offices; its code and their NIPs."""
    code = engine.create_cohort(make_cohort(capacity=SIZE + 20, max_per_office=SIZE)).code
    nips = []
    for i in range(SIZE):
        person = make_participant(office=office(i))
        engine.enrol(code, person)
        nips.append(person.nip)
    assert len(set(nips)) == SIZE
    return code, nips


def _project(number: int) -> ChangeProject:
    """A change project with a mentor, themed by ``number``."""
    return ChangeProject(
        title=f"Proyek perubahan {number}",
        theme=f"tema {number % 5}",
        mentor=Mentor(name=f"Kepala OPD {number}"),
    )


def test_bulk_advance_of_one_hundred(engine: Engine) -> None:
    """Advancing 100 participants moves the ready, refuses and audits the rest, skips others."""
    code, nips = _filled(engine)
    start = engine.advance(code, "start_class", actor="BKD")
    assert [e.nip for e in start.accepted] == nips
    assert (start.refused, start.skipped) == ((), 0)
    unready = set(nips[::10])  # ten participants have registered no project
    for i, nip in enumerate(nips):
        if nip not in unready:
            engine.register_project(code, nip, _project(i))
    withdrawn = nips[5::20]  # five participants leave before their proposal
    for nip in withdrawn:
        engine.fire(code, nip, "withdraw", reason="transfer to another regency")
    audited = len(engine.history(cohort=code))

    report = engine.advance(code, "present_proposal", actor="coach")

    ready = [n for n in nips if n not in unready and n not in withdrawn]
    assert [e.nip for e in report.accepted] == ready
    assert [e.nip for e in report.refused] == [n for n in nips if n in unready]
    assert report.skipped == len(withdrawn)
    shown = report.to_dict()
    assert set(shown) == {"cohort", "event", "accepted", "refused", "skipped"}
    assert (shown["cohort"], shown["event"], shown["skipped"]) == (code, "present_proposal", 5)
    assert shown["accepted"] == ready
    for refused in shown["refused"]:
        assert set(refused) == {"nip", "violations"}
        assert [v["code"] for v in refused["violations"]] == ["change_project_missing"]
    status = engine.status(code)
    assert status.by_state["proposal"] == 85
    assert status.by_state["on_class"] == 10
    assert status.by_state["withdrawn"] == 5
    trail = engine.history(cohort=code)
    assert len(trail) == audited + 95
    assert [e.seq for e in trail] == list(range(1, len(trail) + 1))
    for nip in withdrawn:
        assert engine.history(nip)[-1].event == "withdraw"
    for nip in unready:
        assert engine.history(nip)[-1].outcome == "refused"

    groups = engine.form_groups(code, 3)
    assert sorted(len(g.members) for g in groups) == [31, 32, 32]
    assert sum(engine.status(code).by_group.get(g.number, 0) for g in groups) == 95


def test_bulk_advance_rolls_back_entirely_on_a_crash(clock: FixedClock) -> None:
    """A rule crashing for the last of 100 participants leaves all 100 where they were."""
    crash_for: set[str] = set()
    rules = crashing_rules("reason_required", crash_for)
    engine = trusted_engine(rules=rules, clock=clock)
    code, nips = _filled(engine)
    crash_for.add(nips[-1])
    audited = len(engine.history(cohort=code))
    with pytest.raises(RuleError):
        engine.advance(code, "drop", reason="the cohort is cancelled")
    assert gc.isenabled()  # the collector paused for the bulk loop is back on
    assert engine.status(code).by_state["enrolled"] == SIZE
    assert len(engine.history(cohort=code)) == audited
    assert {e.version for e in engine.participants(code)} == {1}


@pytest.mark.parametrize("enabled", [True, False])
def test_bulk_advance_restores_the_collector_setting(engine: Engine, enabled: bool) -> None:
    """advance() pauses the garbage collector only while it loops and restores the setting."""
    code, _ = _filled(engine)
    was = gc.isenabled()
    try:
        if not enabled:
            gc.disable()
        report = engine.advance(code, "start_class")
        assert gc.isenabled() is enabled
    finally:
        if was:
            gc.enable()
    assert len(report.accepted) == SIZE
