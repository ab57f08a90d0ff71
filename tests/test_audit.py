"""The audit chain: entry formats, replay, comparison with the stored facts, verification."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import create_engine, select

from changeflow import (
    DEFAULT_LIFECYCLE,
    ChangeProject,
    Cohort,
    CohortProjection,
    Difference,
    Engine,
    Enrolment,
    HistoryEntry,
    InvalidInput,
    MemoryStore,
    Mentor,
    TransitionRejected,
    UnreadableEntry,
    Violation,
)
from changeflow.audit import (
    FORMATS,
    GENESIS,
    Checkpoint,
    Replay,
    canonical,
    chain_hash,
    compare,
    replay,
    verify_chain,
)
from changeflow.records import COHORT_NIP
from changeflow.store.sql import SqlStore
from changeflow.store.sql import statements as sql
from changeflow.store.sql.mapping import entry_from_row
from factories import BKD, DINKES, make_cohort, make_participant, office, trusted_engine
from store.upgrade_support import migrate_to

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

    from changeflow import FixedClock

DATA = Path(__file__).parent / "data"
AT = datetime(2019, 4, 4, 8, 0, tzinfo=UTC)
CODE = "PKA-III-VII-2019"
MENTOR = Mentor(name="dr. Anang Budi Yoelijanto", nip="197003152000031004", position="Kadis")
PROJECT = ChangeProject(title="Aplikasi antrean", theme="kesehatan", mentor=MENTOR)


def _old_canonical(entry: HistoryEntry) -> bytes:
    """The canonical() of changeflow 0.1: the dict without change/format, sorted, ASCII only."""
    body = {k: v for k, v in entry.to_dict().items() if k not in {"change", "format", "role"}}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def _entry(**fields: Any) -> HistoryEntry:
    """A full audit entry (payload, violation, data, effective date, non-ASCII reason)."""
    base: dict[str, Any] = {
        "seq": 7,
        "at": AT,
        "cohort": CODE,
        "nip": "197506012000031001",
        "event": "graduate",
        "source": "seminar",
        "target": "graduated",
        "outcome": "refused",
        "actor": "penguji",
        "reason": "seminar hasil — sesi 2",
        "payload": MappingProxyType({"room": "Aula", "visits": ["Kulon Progo"]}),
        "violations": (Violation("assessment_missing", "no score", message_id="nilai belum"),),
        "data": MappingProxyType({"score": 85.0}),
        "effective_date": date(2019, 7, 19),
    }
    return HistoryEntry(**{**base, **fields})


# -- entry formats ----------------------------------------------------------------------------


def test_format_1_encodes_as_changeflow_0_1_did() -> None:
    """A format-1 entry's canonical bytes and hash are exactly the old release's."""
    old = _entry(format=1)
    assert canonical(old) == _old_canonical(old)
    expected = hashlib.sha256(GENESIS.encode() + b"\n" + _old_canonical(old)).hexdigest()
    assert chain_hash(GENESIS, old) == expected
    assert canonical(old).isascii()


def test_format_1_does_not_cover_a_change() -> None:
    """Format 1 had no change: two format-1 entries differing only there encode alike."""
    change = MappingProxyType({"scores": {"before": None, "after": {"overall": 85.0}}})
    assert canonical(_entry(format=1, change=change)) == canonical(_entry(format=1))


def test_format_2_covers_the_change_and_the_format() -> None:
    """A format-2 entry encodes its whole dict but the role, change and format included."""
    change = MappingProxyType({"scores": {"before": None, "after": {"overall": 85.0}}})
    entry = _entry(change=change, format=2)
    assert json.loads(canonical(entry)) == {k: v for k, v in entry.to_dict().items() if k != "role"}
    assert canonical(entry) == canonical(entry._replace(role="examiner"))
    assert canonical(entry) != canonical(_entry(format=2))
    assert canonical(entry) != canonical(entry._replace(format=1))
    assert chain_hash(GENESIS, entry) != chain_hash(GENESIS, entry._replace(format=1))
    assert canonical(entry).isascii()


def test_encoding_is_stable_and_chained() -> None:
    """The same entry encodes alike every time; its hash depends on the previous hash."""
    entry = _entry()
    assert canonical(entry) == canonical(_entry())
    assert chain_hash(GENESIS, entry) != chain_hash("1" * 64, entry)
    assert FORMATS == (1, 2, 3)


def test_format_3_covers_the_role() -> None:
    """A format-3 entry (the default) encodes its whole dict, the role acted in included."""
    entry = _entry(role="examiner")
    assert entry.format == 3
    assert json.loads(canonical(entry)) == entry.to_dict()
    assert canonical(entry) != canonical(entry._replace(role="organiser"))
    assert chain_hash(GENESIS, entry) != chain_hash(GENESIS, entry._replace(role=None))


@pytest.mark.parametrize("unknown", [0, 4, 99])
def test_unknown_format_cannot_be_encoded(unknown: int) -> None:
    """canonical() of a format this changeflow does not know raises ValueError naming it."""
    with pytest.raises(ValueError, match=f"unknown audit entry format {unknown}"):
        canonical(_entry(format=unknown))


def test_chains_written_by_changeflow_0_1_still_verify(tmp_path: Path) -> None:
    """The 0001 database's format-1 rows verify under format 1, and would not as format 2.

    Read at revision 0004 (Alembic alone), before 0005 re-seals them: what 0005 checks first.
    """
    path = tmp_path / "old.sqlite"
    shutil.copy(DATA / "schema_0001.sqlite", path)
    engine = create_engine(f"sqlite:///{path}")
    try:
        with engine.begin() as connection:
            migrate_to(connection, "0004")
        old_rows = 0
        with engine.connect() as connection:
            for cohort in connection.execute(select(sql.COHORTS)).all():
                rows = [
                    (entry_from_row(r, cohort.code), r.hash)
                    for r in connection.execute(
                        select(*[c for c in sql.AUDIT.columns if c.name != "legacy_hash"])
                        .where(sql.AUDIT.c.cohort_id == cohort.id)
                        .order_by(sql.AUDIT.c.seq)
                    )
                ]
                head = Checkpoint(cohort.code, cohort.chain_seq, cohort.chain_hash)
                check = verify_chain(cohort.code, iter(rows), head)
                assert check.ok, check.problem
                previous = GENESIS
                for entry, stored in rows:
                    if entry.format == 1:
                        old_rows += 1
                        assert chain_hash(previous, entry._replace(format=2)) != stored
                    previous = stored
        assert old_rows > 100
    finally:
        engine.dispose()


# -- replay -----------------------------------------------------------------------------------


def _busy_cohort(engine: Engine, clock: FixedClock) -> list[str]:
    """A cohort that has seen every kind of command, accepted and refused."""
    engine.create_cohort(make_cohort())
    people = [make_participant(office=office(i)) for i in range(5)]
    for person in people:
        engine.enrol(CODE, person)
        clock.advance(minutes=5)
    nips = [p.nip for p in people]
    engine.advance(CODE, "start_class")
    for nip in nips[:4]:
        engine.register_project(CODE, nip, PROJECT)
    engine.form_groups(CODE, 2)
    engine.advance(CODE, "present_proposal")
    engine.fire(CODE, nips[0], "revise_proposal")
    engine.advance(CODE, "approve_proposal", actor="mentor")
    engine.fire(CODE, nips[3], "withdraw", reason="sakit")
    engine.fire(CODE, nips[3], "reopen", reason="salah catat")
    engine.fire(CODE, nips[4], "drop", reason="absen")
    engine.advance(CODE, "present_results")
    clock.advance(days=1)
    for nip, score in zip(nips[:3], (95, 85, 55), strict=True):
        engine.record_assessment(CODE, nip, score)
    engine.correct_assessment(CODE, nips[1], 88, reason="typo")
    engine.correct_participant(CODE, nips[2], name="Budi Santoso", echelon="III.b", reason="typo")
    engine.transfer_office(CODE, nips[0], BKD, reason="mutasi")
    engine.fire(CODE, nips[0], "graduate")
    engine.fire(CODE, nips[2], "fail")
    for refused in (
        lambda: engine.record_assessment(CODE, nips[0], 10),
        lambda: engine.fire(CODE, nips[1], "start_class"),
        lambda: engine.register_project(CODE, nips[4], PROJECT),
    ):
        with pytest.raises(TransitionRejected):
            refused()
    return nips


@pytest.fixture(params=["memory", "sqlite"])
def any_engine(
    request: pytest.FixtureRequest, tmp_path: Path, clock: FixedClock
) -> Iterator[Engine]:
    """An engine on the in-memory store, or on an SQLite file."""
    store = (
        MemoryStore() if request.param == "memory" else SqlStore(f"sqlite:///{tmp_path / 'a.db'}")
    )
    with trusted_engine(store, clock=clock) as engine:
        yield engine


def test_replay_of_the_history_equals_the_stored_projection(
    any_engine: Engine, clock: FixedClock
) -> None:
    """Replaying a cohort's chain gives exactly what the store holds (compare() is empty)."""
    nips = _busy_cohort(any_engine, clock)
    stored = any_engine.store.projection(CODE)
    replayed = replay(iter(any_engine.history(cohort=CODE)), CODE)
    assert compare(stored, replayed) == []
    assert replayed.lifecycle == DEFAULT_LIFECYCLE.sha256
    assert replayed.cohort == make_cohort()
    assert list(replayed.members) == nips
    assert (replayed.seated, replayed.per_office) == (
        4,
        {BKD.code: 1, office(1).code: 1, office(2).code: 1, office(3).code: 1},
    )
    for nip, member in replayed.members.items():
        assert member.to_dict() == any_engine.participant(CODE, nip).to_dict()
    [check] = any_engine.verify(CODE)
    assert check.ok
    assert check.entries == len(any_engine.history(cohort=CODE))


def test_replay_until_stops_at_the_first_later_entry(engine: Engine, clock: FixedClock) -> None:
    """replay(until=) folds the entries recorded up to then, and nothing after."""
    nips = _busy_cohort(engine, clock)
    entries = engine.history(cohort=CODE)
    before_scores = clock.now() - timedelta(days=1)
    past = replay(iter(entries), CODE, until=before_scores)
    assert all(m.scores is None for m in past.members.values())
    assert past.members[nips[0]].state == "seminar"
    assert replay(iter(entries), CODE, until=AT - timedelta(days=1)).members == {}


def test_replay_reports_a_chain_that_contradicts_itself() -> None:
    """An entry for a participant the chain never enrolled is an inconsistency, not a crash."""
    folded = Replay(CODE)
    stray = _entry(event="start_class", outcome="accepted", violations=(), data=None)
    folded.apply(stray)
    [found] = folded.inconsistencies
    assert (found.table, found.key, found.field) == ("audit", stray.nip, "entry (entry 7)")
    assert folded.result().members == {}


def test_replay_ignores_refused_entries() -> None:
    """A refused entry changes nothing in the projection."""
    folded = Replay(CODE)
    folded.apply(_entry())
    assert folded.result() == CohortProjection(CODE)


# -- comparison -------------------------------------------------------------------------------


NIP = "197506012000031001"


def _projection() -> CohortProjection:
    """A small stored projection, built by hand: one participant with a project and a score."""
    person = make_participant(nip=NIP, office=DINKES, name="Siti")
    member = Enrolment(CODE, person, "seminar", 5, 1, PROJECT, {"overall": 85.0}, 2)
    return CohortProjection(
        CODE,
        make_cohort(),
        DEFAULT_LIFECYCLE.sha256,
        {NIP: member},
        1,
        {DINKES.code: 1},
        {DINKES.code: DINKES.name},
    )


def _member(change: Callable[[Enrolment], Enrolment]) -> Callable[[CohortProjection], None]:
    def mutate(projection: CohortProjection) -> None:
        projection.members[NIP] = change(projection.members[NIP])

    return mutate


def _person(**update: Any) -> Callable[[CohortProjection], None]:
    return _member(lambda m: replace(m, participant=m.participant.model_copy(update=update)))


def _set(name: str, value: Any) -> Callable[[CohortProjection], None]:
    return lambda projection: setattr(projection, name, value)


OTHER_COHORT = make_cohort(capacity=25)
DIFFERENCES: list[tuple[str, Callable[[CohortProjection], None], tuple[str, str, str], Any]] = [
    ("cohort", _set("cohort", OTHER_COHORT), ("cohorts", CODE, "document"), None),
    ("lifecycle", _set("lifecycle", "f" * 64), ("cohorts", CODE, "lifecycle"), "f" * 64),
    ("seat counter", _set("seated", 3), ("cohorts", CODE, "seated"), 3),
    (
        "office seats",
        _set("per_office", {DINKES.code: 2}),
        ("cohort_offices", "DINKES", "seated"),
        2,
    ),
    (
        "office name",
        _set("offices", {DINKES.code: "Dinkes"}),
        ("offices", "DINKES", "name"),
        "Dinkes",
    ),
    ("member missing", _set("members", {}), ("enrolments", NIP, "row"), "absent"),
    (
        "state",
        _member(lambda m: replace(m, state="graduated")),
        ("enrolments", NIP, "state"),
        "graduated",
    ),
    ("version", _member(lambda m: replace(m, version=9)), ("enrolments", NIP, "version"), 9),
    ("revisions", _member(lambda m: replace(m, revisions=0)), ("enrolments", NIP, "revisions"), 0),
    ("active", _member(lambda m: replace(m, active=False)), ("enrolments", NIP, "active"), False),
    ("seated", _member(lambda m: replace(m, seated=False)), ("enrolments", NIP, "seated"), False),
    (
        "completed",
        _member(lambda m: replace(m, completed=True)),
        ("enrolments", NIP, "completed"),
        True,
    ),
    ("group", _member(lambda m: replace(m, group=3)), ("enrolments", NIP, "group_no"), 3),
    ("name", _person(name="Sita"), ("enrolments", NIP, "name"), "Sita"),
    ("echelon", _person(echelon="III.b"), ("enrolments", NIP, "echelon"), "III.b"),
    (
        "birth date",
        _person(birth_date=date(1975, 6, 2)),
        ("enrolments", NIP, "birth_date"),
        date(1975, 6, 2),
    ),
    ("retirement age", _person(retirement_age=60), ("enrolments", NIP, "retirement_age"), 60),
    ("office", _person(office=BKD), ("enrolments", NIP, "office_code"), "BKD"),
    (
        "project row",
        _member(lambda m: replace(m, project=None)),
        ("change_projects", NIP, "row"),
        None,
    ),
    (
        "project title",
        _member(lambda m: replace(m, project=PROJECT.model_copy(update={"title": "Lain"}))),
        ("change_projects", NIP, "title"),
        "Lain",
    ),
    (
        "mentor",
        _member(
            lambda m: replace(
                m,
                project=PROJECT.model_copy(
                    update={"mentor": MENTOR.model_copy(update={"name": "Kepala Bidang"})}
                ),
            )
        ),
        ("change_projects", NIP, "mentor_name"),
        "Kepala Bidang",
    ),
    (
        "score",
        _member(lambda m: replace(m, scores={"overall": 99.0})),
        ("assessments", NIP, "overall"),
        99.0,
    ),
    (
        "score missing",
        _member(lambda m: replace(m, scores=None)),
        ("assessments", NIP, "overall"),
        None,
    ),
]


@pytest.mark.parametrize(
    ("mutate", "where", "stored"), [d[1:] for d in DIFFERENCES], ids=[d[0] for d in DIFFERENCES]
)
def test_compare_names_the_table_key_and_field(
    mutate: Callable[[CohortProjection], None], where: tuple[str, str, str], stored: Any
) -> None:
    """Each kind of stored difference is one Difference naming its table, key and field."""
    replayed, edited = _projection(), _projection()
    assert compare(edited, replayed) == []
    mutate(edited)
    differences = compare(edited, replayed)
    assert [(d.table, d.key, d.field) for d in differences] == [where]
    [difference] = differences
    if where[2] != "document":
        assert difference.stored == stored
    assert difference.stored != difference.replayed
    assert where[1] in str(difference)
    assert where[2] in str(difference)
    assert json.loads(json.dumps(difference.to_dict()))["table"] == where[0]


def test_compare_lists_cohort_facts_first_then_participants() -> None:
    """Several differences are all listed: cohort facts first, then each participant's."""
    replayed, edited = _projection(), _projection()
    edited.seated = 5
    _member(lambda m: replace(m, state="graduated", scores={"overall": 1.0}))(edited)
    found = [(d.table, d.field) for d in compare(edited, replayed)]
    assert found == [("cohorts", "seated"), ("enrolments", "state"), ("assessments", "overall")]


def test_compare_of_an_office_the_store_lacks_is_silent_on_its_name() -> None:
    """An office name is compared only for offices the store holds."""
    replayed, edited = _projection(), _projection()
    edited.offices = {}
    assert compare(edited, replayed) == []


def test_difference_text_and_dict() -> None:
    """A Difference reads as a sentence and converts to JSON (non-JSON values as text)."""
    difference = Difference("assessments", NIP, "overall", 99.0, 85.0)
    assert str(difference) == (f"assessments {NIP} overall: stored 99.0, the audit chain says 85.0")
    assert difference.to_dict() == {
        "table": "assessments",
        "key": NIP,
        "field": "overall",
        "stored": 99.0,
        "replayed": 85.0,
    }
    dated = Difference("enrolments", NIP, "birth_date", date(1975, 6, 2), date(1975, 6, 1))
    assert dated.to_dict()["stored"] == "1975-06-02"


# -- verification -----------------------------------------------------------------------------


class Counted:
    """An iterator over rows that counts how many were taken."""

    def __init__(self, rows: Iterable[tuple[HistoryEntry, str]]) -> None:
        self._rows = iter(rows)
        self.taken = 0

    def __iter__(self) -> Iterator[tuple[HistoryEntry, str]]:
        return self

    def __next__(self) -> tuple[HistoryEntry, str]:
        row = next(self._rows)
        self.taken += 1
        return row


def _rows(engine: Engine) -> tuple[list[tuple[HistoryEntry, str]], Checkpoint]:
    """The cohort's stored rows and head."""
    return list(engine.store.trail(CODE)), engine.store.head(CODE)


def test_intact_chain_verifies_and_reads_every_row(engine: Engine, clock: FixedClock) -> None:
    """An untouched trail verifies: every row read, the head matched, the facts agree."""
    _busy_cohort(engine, clock)
    rows, head = _rows(engine)
    fed = Counted(rows)
    check = verify_chain(
        CODE,
        fed,
        head,
        stored=engine.store.projection(CODE),
        opened=engine.store.opened(CODE),
    )
    assert (check.ok, check.entries, check.problem, check.differences) == (
        True,
        len(rows),
        None,
        (),
    )
    assert fed.taken == len(rows) == head.seq


def test_verification_stops_at_the_first_bad_row(engine: Engine, clock: FixedClock) -> None:
    """An edited row is reported at its seq and no row after it is read."""
    _busy_cohort(engine, clock)
    rows, head = _rows(engine)
    bad = 10
    entry, digest = rows[bad - 1]
    rows[bad - 1] = (entry._replace(actor="someone else"), digest)
    fed = Counted(rows)
    check = verify_chain(
        CODE,
        fed,
        head,
        stored=engine.store.projection(CODE),
        opened=engine.store.opened(CODE),
    )
    assert (check.ok, check.first_bad_seq) == (False, bad)
    assert check.problem == f"entry {bad} does not match its hash"
    assert fed.taken == bad < len(rows)
    assert check.differences == ()


def test_verification_stops_at_a_row_out_of_order(engine: Engine, clock: FixedClock) -> None:
    """Two rows swapped are reported at the first of them."""
    _busy_cohort(engine, clock)
    rows, head = _rows(engine)
    rows[4], rows[5] = rows[5], rows[4]
    fed = Counted(rows)
    check = verify_chain(CODE, fed, head)
    assert (check.ok, check.first_bad_seq) == (False, 5)
    assert check.problem == f"row 5 holds entry 6 of {CODE}"
    assert fed.taken == 5


def test_unknown_format_is_reported_at_its_row(engine: Engine, clock: FixedClock) -> None:
    """A row in a format this changeflow cannot read is reported there, never raised."""
    _busy_cohort(engine, clock)
    rows, head = _rows(engine)
    entry, digest = rows[6]
    rows[6] = (entry._replace(format=7), digest)
    fed = Counted(rows)
    check = verify_chain(CODE, fed, head)
    assert (check.ok, check.first_bad_seq) == (False, 7)
    assert "entry 7 cannot be read" in (check.problem or "")
    assert "unknown audit entry format 7" in (check.problem or "")
    assert fed.taken == 7


def _failing_at(
    rows: list[tuple[HistoryEntry, str]], bad: int
) -> Iterator[tuple[HistoryEntry, str]]:
    """The rows as a store streams them, the one at ``bad`` unreadable (a damaged row)."""
    yield from rows[: bad - 1]
    raise UnreadableEntry(CODE, bad, "data", "not valid JSON (Expecting value)")


def test_an_unreadable_row_is_reported_at_its_seq_never_raised(
    engine: Engine, clock: FixedClock
) -> None:
    """A row the store cannot read ends the walk there: broken at its seq, naming its column."""
    _busy_cohort(engine, clock)
    rows, head = _rows(engine)
    check = verify_chain(
        CODE,
        _failing_at(rows, 9),
        head,
        stored=engine.store.projection(CODE),
        opened=engine.store.opened(CODE),
    )
    assert (check.ok, check.first_bad_seq, check.entries, check.field) == (False, 9, 9, "data")
    assert check.problem == "entry 9 cannot be read (data): not valid JSON (Expecting value)"
    assert check.to_dict()["field"] == "data"


@pytest.mark.parametrize(
    ("field", "value"),
    [("nip", b"\x00\xff"), ("at", None), ("effective_date", "2019-13-45"), ("data", [1])],
)
def test_a_value_of_a_type_no_entry_holds_is_named(
    engine: Engine, clock: FixedClock, field: str, value: Any
) -> None:
    """An entry that cannot even be encoded for its hash is broken at its seq, its field named."""
    _busy_cohort(engine, clock)
    rows, head = _rows(engine)
    entry, digest = rows[6]
    rows[6] = (entry._replace(**{field: value}), digest)
    fed = Counted(rows)
    check = verify_chain(CODE, fed, head)
    assert (check.ok, check.first_bad_seq, check.field) == (False, 7, field)
    assert f"entry 7 cannot be read ({field})" in (check.problem or "")
    assert fed.taken == 7


def test_replay_names_an_entry_it_cannot_fold(engine: Engine, clock: FixedClock) -> None:
    """A hash-valid entry whose change is not a change (a rewritten chain) is named, not a crash."""
    _busy_cohort(engine, clock)
    entries = [e for e, _ in _rows(engine)[0]]
    enrolment = next(e for e in entries if e.event == "enrol")
    entries[enrolment.seq - 1] = enrolment._replace(change=MappingProxyType({"office": 5}))
    with pytest.raises(UnreadableEntry) as caught:
        replay(entries, CODE)
    assert (caught.value.cohort, caught.value.seq) == (CODE, enrolment.seq)


def test_a_cohort_a_checkpoint_names_but_the_store_lacks_fails(engine: Engine) -> None:
    """Verifying against a checkpoint of a cohort that is gone reports that cohort as broken."""
    gone = Checkpoint("PKA-GONE", 7, "b" * 64)
    [check] = engine.verify(expected=[gone])
    assert (check.cohort, check.ok, check.missing_tail, check.first_bad_seq) == (
        "PKA-GONE",
        False,
        True,
        1,
    )
    assert check.problem == (
        "the cohort is missing from the database (the checkpoint names entry 7)"
    )
    [named] = engine.verify("PKA-GONE", expected=[gone])
    assert not named.ok


def test_a_checkpoint_round_trips_through_its_dict() -> None:
    """from_dict reads what to_dict wrote, time included; the time is not compared."""
    kept = Checkpoint(CODE, 12, "c" * 64, AT)
    assert Checkpoint.from_dict(kept.to_dict()) == kept
    assert Checkpoint.from_dict(kept.to_dict()).at == AT
    assert Checkpoint(CODE, 12, "c" * 64) == kept
    assert Checkpoint.from_dict({"cohort": CODE, "seq": 0, "hash": GENESIS}).at is None


@pytest.mark.parametrize(
    ("data", "named"),
    [
        ([], "checkpoint"),
        ({"seq": 1, "hash": GENESIS}, "checkpoint.cohort"),
        ({"cohort": CODE, "seq": -1, "hash": GENESIS}, "seq"),
        ({"cohort": CODE, "seq": True, "hash": GENESIS}, "seq"),
        ({"cohort": CODE, "seq": 1, "hash": "abc"}, "hash"),
        ({"cohort": CODE, "seq": 1, "hash": GENESIS, "at": "yesterday"}, "at"),
    ],
)
def test_a_malformed_checkpoint_is_refused_naming_its_field(data: Any, named: str) -> None:
    """from_dict refuses anything to_dict could not have written, naming the field."""
    with pytest.raises(InvalidInput) as caught:
        Checkpoint.from_dict(data)
    assert named in caught.value.field


def test_cut_tail_and_stale_head_are_reported(engine: Engine, clock: FixedClock) -> None:
    """Rows removed from the end, or a head that does not match, fail verification."""
    _busy_cohort(engine, clock)
    rows, head = _rows(engine)
    cut = verify_chain(CODE, iter(rows[:-3]), head)
    assert (cut.ok, cut.missing_tail, cut.first_bad_seq) == (False, True, len(rows) - 2)
    stale = verify_chain(CODE, iter(rows), Checkpoint(CODE, head.seq, "0" * 64))
    assert (stale.ok, stale.problem) == (False, "the chain head does not match the trail")


def test_an_exported_checkpoint_catches_a_rewritten_trail(
    engine: Engine, clock: FixedClock
) -> None:
    """A checkpoint kept outside the database fails a trail that no longer carries its hash."""
    _busy_cohort(engine, clock)
    rows, head = _rows(engine)
    kept = Checkpoint(CODE, 12, rows[11][1])
    assert verify_chain(CODE, iter(rows), head, expected=kept).ok
    forged = Checkpoint(CODE, 12, "a" * 64)
    check = verify_chain(CODE, iter(rows), head, expected=forged)
    assert (check.ok, check.first_bad_seq) == (False, 12)
    assert check.problem == "entry 12 differs from the checkpoint"


def test_verification_compares_the_stored_facts(engine: Engine, clock: FixedClock) -> None:
    """An intact chain whose stored facts were edited fails, naming each difference."""
    nips = _busy_cohort(engine, clock)
    rows, head = _rows(engine)
    stored = engine.store.projection(CODE)
    stored.members[nips[0]] = replace(stored.members[nips[0]], scores={"overall": 99.0})
    check = verify_chain(CODE, iter(rows), head, stored=stored, opened=engine.store.opened(CODE))
    assert not check.ok
    assert check.first_bad_seq is None
    [difference] = check.differences
    assert (difference.table, difference.key, difference.field) == (
        "assessments",
        nips[0],
        "overall",
    )
    assert (difference.stored, difference.replayed) == (99.0, 95.0)
    assert check.problem is not None
    assert check.problem.startswith("stored facts differ from the audit chain: assessments")
    assert check.to_dict()["differences"][0]["key"] == nips[0]


def test_a_chain_rewritten_whole_is_replayed_and_found_inconsistent(
    engine: Engine, clock: FixedClock
) -> None:
    """Rows re-hashed after dropping an enrolment verify as a chain but not as a record."""
    nips = _busy_cohort(engine, clock)
    # Rewritten as opened entries (their personal values with them), then hashed anew.
    kept = [e for e in engine.store.opened(CODE) if not (e.event == "enrol" and e.nip == nips[4])]
    rows, previous = [], GENESIS
    for seq, entry in enumerate(kept, start=1):
        renumbered = entry._replace(seq=seq)
        previous = chain_hash(previous, renumbered)
        rows.append((renumbered, previous))
    check = verify_chain(
        CODE,
        iter(rows),
        Checkpoint(CODE, len(rows), previous),
        stored=engine.store.projection(CODE),
    )
    assert not check.ok
    found = {(d.table, d.key) for d in check.differences}
    assert ("audit", nips[4]) in found
    assert ("enrolments", nips[4]) in found


def test_engine_verify_catches_a_direct_update_of_a_score(
    tmp_path: Path, clock: FixedClock
) -> None:
    """UPDATE assessments SET score = 99 on the SQLite file is reported by Engine.verify."""
    path = tmp_path / "course.db"
    with trusted_engine(SqlStore(f"sqlite:///{path}"), clock=clock) as engine:
        nips = _busy_cohort(engine, clock)
        assert all(check.ok for check in engine.verify())
    with sqlite3.connect(path) as connection:
        connection.execute(
            "UPDATE assessments SET score = 99 WHERE enrolment_id = "
            "(SELECT id FROM enrolments WHERE nip = ?)",
            (nips[1],),
        )
        connection.execute("UPDATE change_projects SET title = 'Lain'")
    connection.close()
    with trusted_engine(SqlStore(f"sqlite:///{path}"), clock=clock) as engine:
        [check] = engine.verify(CODE)
    assert not check.ok
    assert check.first_bad_seq is None
    where = {(d.table, d.key, d.field) for d in check.differences}
    assert ("assessments", nips[1], "overall") in where
    assert {("change_projects", nip, "title") for nip in nips[:4]} <= where


def test_cohort_entries_open_the_chain(engine: Engine) -> None:
    """A cohort's chain opens with its creation: nip '' and the cohort document."""
    created = engine.create_cohort(make_cohort())
    [first] = engine.history(cohort=CODE)
    assert (first.seq, first.nip, first.event, first.source, first.target) == (
        1,
        COHORT_NIP,
        "create_cohort",
        None,
        None,
    )
    replayed = replay(iter([first]), CODE)
    assert replayed.cohort == created
    assert isinstance(replayed.cohort, Cohort)
    assert engine.history(NIP) == []


# -- the canonical encoding ------------------------------------------------------------------

_texts = st.none() | st.text(max_size=12)
_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
_mappings = st.none() | st.dictionaries(st.text(max_size=8), _json_values, max_size=4)
_violations = st.builds(
    Violation,
    code=st.text(min_size=1, max_size=10),
    message=st.text(max_size=20),
    facts=st.dictionaries(st.text(max_size=6), _json_values, max_size=3).map(MappingProxyType),
    message_id=_texts,
    source=_texts,
)
_entries = st.builds(
    HistoryEntry,
    seq=st.integers(1, 10**9),
    at=st.datetimes(timezones=st.just(UTC) | st.just(timezone(timedelta(hours=7)))),
    cohort=st.text(min_size=1, max_size=12),
    nip=st.text(min_size=1, max_size=20),
    event=st.text(min_size=1, max_size=12),
    source=_texts,
    target=_texts,
    outcome=st.sampled_from(["accepted", "refused"]),
    actor=_texts,
    reason=_texts,
    payload=_mappings,
    violations=st.lists(_violations, max_size=2).map(tuple),
    data=_mappings,
    effective_date=st.none() | st.dates(),
    change=_mappings,
    role=_texts,
)


@given(_entries)
def test_the_canonical_bytes_are_json_dumps_of_the_entry_with_sorted_keys(
    entry: HistoryEntry,
) -> None:
    """The fast encoding of the current format is byte for byte ``json.dumps``'s."""
    reference = json.dumps(
        entry.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=True
    ).encode()
    assert canonical(entry) == reference
    assert (
        chain_hash(GENESIS, entry)
        == hashlib.sha256(GENESIS.encode() + b"\n" + reference).hexdigest()
    )
