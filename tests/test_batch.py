"""Engine.batch: many commands on one cohort in one transaction, each judged on its own."""

from __future__ import annotations

import contextlib
import threading
from typing import TYPE_CHECKING

import pytest

from changeflow import (
    ChangeProject,
    Engine,
    InvalidInput,
    Mentor,
    RuleError,
    TransitionRejected,
)
from changeflow.errors import BatchBroken
from changeflow.store.sql import SqlStore
from factories import DINKES, crashing_rules, make_cohort, make_participant, office, trusted_engine

if TYPE_CHECKING:
    from pathlib import Path

    from changeflow import FixedClock, HistoryEntry
    from changeflow.store.base import Store


PROJECT = ChangeProject(
    title="Aplikasi antrean puskesmas daring",
    theme="pelayanan kesehatan",
    mentor=Mentor(name="dr. Anang Budi Yoelijanto"),
)


def _engine(store: Store, clock: FixedClock) -> tuple[Engine, str]:
    engine = trusted_engine(store, clock=clock)
    return engine, engine.create_cohort(make_cohort()).code


def test_a_batch_enrols_everyone_and_every_chain_verifies(
    each_store: Store, clock: FixedClock
) -> None:
    """Twenty nominations in one batch are all enrolled, audited in order, and verify."""
    engine, code = _engine(each_store, clock)
    people = [make_participant(office=office(i)) for i in range(20)]
    with engine.batch(code) as batch:
        for person in people:
            engine.enrol(code, person)
    assert [e.nip for e in batch.entries] == [p.nip for p in people]
    assert sorted(e.nip for e in engine.participants(code)) == sorted(p.nip for p in people)
    assert [e.seq for e in engine.history(cohort=code)] == list(range(1, 22))
    assert all(check.ok for check in engine.verify(code))


def test_quotas_are_judged_row_by_row_inside_a_batch(each_store: Store, clock: FixedClock) -> None:
    """A third nomination from one office is refused inside the batch; the refusal is kept."""
    engine, code = _engine(each_store, clock)
    people = [make_participant(office=DINKES) for _ in range(3)]
    refused: list[TransitionRejected] = []
    with engine.batch(code):
        for person in people:
            try:
                engine.enrol(code, person)
            except TransitionRejected as exc:
                refused.append(exc)
    assert [exc.codes for exc in refused] == [("office_quota",)]
    assert len(engine.participants(code)) == 2
    last = engine.history(cohort=code)[-1]
    assert (last.nip, last.accepted) == (people[2].nip, False)
    assert all(check.ok for check in engine.verify(code))


def test_an_exception_leaving_the_block_writes_nothing(
    each_store: Store, clock: FixedClock
) -> None:
    """An error escaping the batch rolls back every command, refusals included."""
    engine, code = _engine(each_store, clock)

    def interrupted() -> None:
        with engine.batch(code):
            for person in [make_participant(office=DINKES) for _ in range(3)]:
                with contextlib.suppress(TransitionRejected):
                    engine.enrol(code, person)
            raise RuntimeError("operator pulled the plug")

    with pytest.raises(RuntimeError, match="operator pulled the plug"):
        interrupted()
    assert engine.participants(code) == []
    assert len(engine.history(cohort=code)) == 1  # the cohort's creation only
    assert all(check.ok for check in engine.verify(code))
    engine.enrol(code, make_participant())  # the cohort's lock was released
    assert len(engine.participants(code)) == 1


def test_a_dry_run_batch_judges_and_writes_nothing(each_store: Store, clock: FixedClock) -> None:
    """A dry run reports each command's outcome and leaves the store as it was."""
    engine, code = _engine(each_store, clock)
    heard: list[HistoryEntry] = []
    engine.subscribe(heard.append)
    with engine.batch(code, dry_run=True) as batch:
        for person in [make_participant(office=DINKES) for _ in range(3)]:
            with contextlib.suppress(TransitionRejected):
                engine.enrol(code, person)
    assert [e.accepted for e in batch.entries] == [True, True, False]
    assert engine.participants(code) == []
    assert len(engine.history(cohort=code)) == 1
    assert heard == []
    assert all(check.ok for check in engine.verify(code))


def test_listeners_hear_of_a_batch_only_after_it_commits(engine: Engine) -> None:
    """Nothing is announced while the batch is open; everything once it committed."""
    code = engine.create_cohort(make_cohort()).code
    heard: list[str] = []
    engine.subscribe(lambda entry: heard.append(entry.nip))
    people = [make_participant(office=office(i)) for i in range(3)]
    with engine.batch(code):
        for person in people:
            engine.enrol(code, person)
        assert heard == []
    assert heard == [p.nip for p in people]


def test_keyed_commands_replay_inside_a_batch(each_store: Store, clock: FixedClock) -> None:
    """A key used twice in one batch answers the first result and writes once."""
    engine, code = _engine(each_store, clock)
    person = make_participant()
    with engine.batch(code):
        first = engine.enrol(code, person, key="row-1")
        again = engine.enrol(code, person, key="row-1")
    assert again.seq == first.seq
    assert len(engine.history(cohort=code)) == 2


def test_a_failure_inside_the_store_breaks_the_batch(clock: FixedClock) -> None:
    """After a crash in a rule, later commands and the batch's end refuse; nothing is written."""
    crash_for: set[str] = set()
    rules = crashing_rules("office_quota", crash_for)
    engine = trusted_engine(rules=rules, clock=clock)
    code = engine.create_cohort(make_cohort()).code
    people = [make_participant(office=office(i)) for i in range(3)]
    crash_for.add(people[1].nip)

    def broken_batch() -> None:
        with engine.batch(code):
            engine.enrol(code, people[0])
            with pytest.raises(RuleError, match="registry unavailable"):
                engine.enrol(code, people[1])
            with pytest.raises(BatchBroken):
                engine.enrol(code, people[2])

    with pytest.raises(BatchBroken) as broken:
        broken_batch()
    assert broken.value.cohort == code
    assert broken.value.retryable
    assert engine.participants(code) == []
    assert len(engine.history(cohort=code)) == 1


def test_what_cannot_share_a_batch_says_so(engine: Engine) -> None:
    """A second batch on the cohort, a dry-run check or an erasure inside a batch refuse."""
    code = engine.create_cohort(make_cohort()).code
    person = make_participant()
    with engine.batch(code):
        engine.enrol(code, person)
        with pytest.raises(InvalidInput, match="already open"), engine.batch(code):
            pass
        with pytest.raises(InvalidInput, match="check_enrolments"):
            engine.check_enrolments(code, [make_participant()])
        with pytest.raises(InvalidInput, match="erase"):
            engine.erase(person.nip, reason="asked")
    assert len(engine.participants(code)) == 1
    with pytest.raises(InvalidInput, match="dry_run"), engine.batch(code, dry_run="yes"):  # type: ignore[arg-type]
        pass


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_concurrent_writer_is_judged_after_the_batch(
    backend: str, tmp_path: Path, clock: FixedClock, request: pytest.FixtureRequest
) -> None:
    """Another process's nomination waits for the batch, then meets the quota it filled."""
    url = (
        f"sqlite:///{tmp_path / 'batch.db'}"
        if backend == "sqlite"
        else str(request.getfixturevalue("pg_url"))
    )
    store, other_store = SqlStore(url, lock_timeout=30), SqlStore(url, lock_timeout=30)
    try:
        engine, code = _engine(store, clock)
        other = trusted_engine(other_store, clock=clock)
        outcome: list[tuple[str, ...]] = []
        started = threading.Event()

        def third() -> None:
            started.set()
            try:
                other.enrol(code, make_participant(office=DINKES))
            except TransitionRejected as exc:
                outcome.append(exc.codes)

        with engine.batch(code):
            engine.enrol(code, make_participant(office=DINKES))
            worker = threading.Thread(target=third)
            worker.start()
            started.wait()
            worker.join(0.5)
            assert worker.is_alive()  # held back by the batch's lock
            engine.enrol(code, make_participant(office=DINKES))
        worker.join(30)
        assert outcome == [("office_quota",)]
        assert len(engine.participants(code)) == 2
    finally:
        store.close()
        other_store.close()


def test_moves_of_one_participant_in_one_batch_are_written_in_order(
    tmp_path: Path, clock: FixedClock
) -> None:
    """Each form of the move's UPDATE (active kept, active changed) applies in command order.

    The SQL store writes a step that keeps the participant active without touching
    ``active``; interleaved with moves that change it, every UPDATE must still meet the
    version the one before left: one participant moved five times in one batch, a step
    coming after moves of the other form.
    """
    store = SqlStore(f"sqlite:///{tmp_path / 'a.db'}")
    engine, code = _engine(store, clock)
    budi, siti = make_participant(office=office(1)), make_participant(office=office(2))
    for person in (budi, siti):
        engine.enrol(code, person)
    engine.register_project(code, budi.nip, PROJECT)
    with engine.batch(code):
        engine.fire(code, budi.nip, "start_class")
        engine.fire(code, siti.nip, "start_class")
        engine.fire(code, budi.nip, "withdraw", reason="long-term medical treatment")
        engine.fire(code, budi.nip, "reopen", reason="the withdrawal was recorded by mistake")
        engine.fire(code, budi.nip, "present_proposal")
        engine.fire(code, siti.nip, "withdraw", reason="long-term medical treatment")
        engine.fire(code, budi.nip, "withdraw", reason="moved to another post")
    states = {e.nip: (e.state, e.version, e.active) for e in engine.participants(code)}
    assert states == {budi.nip: ("withdrawn", 6, False), siti.nip: ("withdrawn", 3, False)}
    assert all(check.ok for check in engine.verify(code))
    store.close()
