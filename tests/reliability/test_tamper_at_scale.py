"""Tamper evidence at scale: random tamperings of a large record are all named.

On each backend a cohort's trail (about 2,000 entries in ``make test``, 10,000 with 1,000
tamperings per backend in ``make test-reliability``) is built once, then seeded random
tamperings (edit a field, delete a row, swap two rows' contents, insert a correctly chained
forged row in the middle, append one past the head, truncate the tail) are applied one at a
time to the pristine trail, as a database owner could: SQLite gets a fresh copy of the file
for each case; PostgreSQL's rows are put back after each case and compared with the pristine
table at the end. The first broken entry :meth:`Engine.verify` names must be the one computed here.

The stored facts are tampered with the same way, the chain left intact: a direct ``UPDATE``
of a score, a project, a mentor, a state, a version, a name, a group, an office's or the
cohort's seat counter, and an enrolment row inserted with no audit entry. Each must be
reported by verify as exactly one difference naming its table, whose fact (the participant,
the office or the cohort) and the field, with the forged value and the chain's own.
"""

from __future__ import annotations

import random
import shutil
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy import exc as sa_exc

from changeflow import ChangeProject, FixedClock, Mentor
from changeflow.audit import GENESIS, chain_hash
from changeflow.store.sql import SqlStore
from factories import make_cohort, make_nip, make_participant, office, trusted_engine
from reliability.figures import report

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

    from sqlalchemy import Connection

    from changeflow.records import HistoryEntry

CODE = "PKA-III-VII-2019"
REFUSED_ROUNDS = 3
SCORED_EVERY = 4
"""Every fourth person registers a change project and is scored (facts to tamper with)."""
KINDS = ("edit", "delete", "swap", "insert", "append", "truncate")
FIELDS = ("actor", "reason", "nip", "event", "hash")
COLUMNS = (
    "cohort_id, seq, at, nip, event, source, target, outcome, actor, reason, payload, "
    "violations, data, effective_date, change, format, role, hash"
)
PROJECTED = ("enrolments", "assessments", "change_projects", "cohort_offices", "cohorts")
"""The tables holding the stored facts (the chain's projection)."""


@dataclass(frozen=True)
class Edit:
    """A direct UPDATE of one stored fact: where it lives and how verify must name it."""

    table: str
    column: str
    field: str
    """The field verify names (the column, or the assessment's component)."""
    forge: Callable[[Any], Any]
    """The forged value, from the stored one (always different)."""


EDITS = {
    "score": Edit("assessments", "score", "overall", lambda v: v - 13.5),
    "project": Edit("change_projects", "title", "title", lambda v: f"{v} (forged)"),
    "mentor": Edit("change_projects", "mentor_name", "mentor_name", lambda v: f"{v} (forged)"),
    "state": Edit("enrolments", "state", "state", lambda _: "graduated"),
    "version": Edit("enrolments", "version", "version", lambda v: v + 1),
    "name": Edit("enrolments", "name", "name", lambda v: f"{v} (forged)"),
    "group": Edit("enrolments", "group_no", "group_no", lambda _: 7),
    "office_seats": Edit("cohort_offices", "seated", "seated", lambda v: v + 1),
    "cohort_seats": Edit("cohorts", "seated", "seated", lambda v: v - 1),
}
FACT_KINDS = (*EDITS, "phantom")
"""Tamperings of the stored facts; ``phantom`` inserts an enrolment with no audit entry."""
PHANTOM_NIP = make_nip(sequence=999, appointed=(1999, 12))


@dataclass(frozen=True)
class Scale:
    """How big a trail to build and how many tamperings to try on it."""

    people: int
    cases: int
    fact_cases: int

    @property
    def scored(self) -> range:
        """Roster indexes of the people with a project and a score."""
        return range(0, self.people, SCORED_EVERY)

    @property
    def entries(self) -> int:
        """Audit entries in the trail.

        The cohort's creation; per person the enrolment, start_class and the refused
        rounds; per scored person the project and the score.
        """
        return 1 + self.people * (2 + REFUSED_ROUNDS) + 2 * len(self.scored)


REDUCED = Scale(people=400, cases=100, fact_cases=20)
FULL = Scale(people=2_000, cases=1_000, fact_cases=200)
SCALES = [
    pytest.param(REDUCED, id=f"{REDUCED.entries}-rows"),
    pytest.param(FULL, id=f"{FULL.entries}-rows", marks=pytest.mark.heavy),
]


def _nip(index: int) -> str:
    """The NIP of roster member ``index``."""
    return make_nip(sequence=index % 999 + 1, appointed=(2000, index // 999 + 1))


def _office_of(index: int) -> int:
    """The office number of roster member ``index``."""
    return index % 40


@dataclass(frozen=True)
class Trail:
    """The pristine trail as built: its size and every entry with its stored hash."""

    scale: Scale
    rows: list[tuple[HistoryEntry, str]]

    def forged_hash(self, seq: int) -> str:
        """The hash a forger would give a copy of entry ``seq - 1`` placed at ``seq``."""
        previous = self.rows[seq - 2][1] if seq > 1 else GENESIS
        copied = self.rows[max(seq - 2, 0)][0]
        return chain_hash(previous, copied._replace(seq=seq))


@dataclass(frozen=True)
class Expected:
    """What verify must report for one tampering."""

    first_bad_seq: int
    missing_tail: bool = False


def _build(url: str, scale: Scale) -> Trail:
    """Fill a database with a cohort of ``scale.entries`` audit entries; the trail as built."""
    store = SqlStore(url, synchronous="OFF")
    people = scale.people
    try:
        engine = trusted_engine(store, clock=FixedClock(datetime(2019, 4, 4, 8, tzinfo=UTC)))
        engine.create_cohort(make_cohort(capacity=people, max_per_office=people))
        for i in range(people):
            person = make_participant(nip=_nip(i), office=office(_office_of(i)))
            engine.enrol(CODE, person, actor=f"BKD-{i}")
        assert len(engine.advance(CODE, "start_class", actor="BKD").accepted) == people
        for _ in range(REFUSED_ROUNDS):  # nobody has a project: every attempt is refused
            assert len(engine.advance(CODE, "present_proposal", actor="coach").refused) == people
        for i in scale.scored:
            project = ChangeProject(
                title=f"Proyek {i}", theme=f"tema {i % 7}", mentor=Mentor(name=f"Kepala {i}")
            )
            engine.register_project(CODE, _nip(i), project, actor="coach")
            engine.record_assessment(CODE, _nip(i), 60.0 + i % 40, actor="penguji")
        check = engine.verify(CODE)[0]
        assert check.ok, check.problem
        assert check.entries == scale.entries
        return Trail(scale, list(store.trail(CODE)))
    finally:
        store.close()


@contextmanager
def _superuser(url: str) -> Iterator[Connection]:
    """A connection that bypasses the append-only triggers; committed when the block ends."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "postgresql":
                connection.exec_driver_sql("SET session_replication_role = replica")
            else:
                connection.exec_driver_sql("DROP TRIGGER IF EXISTS audit_append_only_update")
                connection.exec_driver_sql("DROP TRIGGER IF EXISTS audit_append_only_delete")
            yield connection
            connection.commit()
    finally:
        engine.dispose()


def _verify(url: str) -> Any:
    """The audit check of the cohort, through a fresh store closed afterwards."""
    store = SqlStore(url)
    try:
        return trusted_engine(store).verify(CODE)[0]
    finally:
        store.close()


def _tamper(
    connection: Connection, kind: str, rng: random.Random, trail: Trail
) -> tuple[Expected, set[int]]:
    """Apply one tampering of ``kind``; what verify must say and the seqs touched."""
    entries = trail.scale.entries
    if kind == "edit":
        seq, column = rng.randint(1, entries), rng.choice(FIELDS)
        value = {"nip": "197001012000031999", "hash": "f" * 64}.get(column, f"forged-{seq}")
        connection.execute(
            text(f"UPDATE audit SET {column} = :v WHERE seq = :s"),  # noqa: S608
            {"v": value, "s": seq},
        )
        return Expected(seq), {seq}
    if kind == "delete":
        seq = rng.randint(1, entries)
        connection.execute(text("DELETE FROM audit WHERE seq = :s"), {"s": seq})
        # The last row gone, the rest chains fine but the head names one more entry.
        return Expected(seq, missing_tail=seq == entries), {seq}
    if kind == "swap":
        a, b = sorted(rng.sample(range(1, entries + 1), 2))
        names = [c.strip() for c in COLUMNS.split(",") if c.strip() not in ("cohort_id", "seq")]
        rows = {
            row.seq: row
            for row in connection.execute(
                text(f"SELECT seq, {', '.join(names)} FROM audit WHERE seq IN (:a, :b)"),  # noqa: S608
                {"a": a, "b": b},
            )
        }
        assignments = ", ".join(f"{n} = :{n}" for n in names)
        for target, source in ((a, b), (b, a)):
            params = {n: getattr(rows[source], n) for n in names}
            connection.execute(
                text(f"UPDATE audit SET {assignments} WHERE seq = :target"),  # noqa: S608
                {**params, "target": target},
            )
        return Expected(a), {a, b}
    if kind == "insert":
        # Make room at ``seq`` (in two steps: the (cohort, seq) key is checked row by row),
        # then put a correctly chained copy of the entry before it there: the displaced
        # entry, now one further, is the first that no longer matches its hash. The copy is
        # caught itself when personal values are kept at ``seq`` (the displaced entry's):
        # they match no commitment of the copy (made at another sequence, if it has any).
        # With none kept there, the copy reads as an erased person's entry, and the
        # displaced one is first.
        seq = rng.randint(1, entries)
        connection.execute(text("UPDATE audit SET seq = -(seq + 1) WHERE seq >= :s"), {"s": seq})
        connection.execute(text("UPDATE audit SET seq = -seq WHERE seq < 0"))
        _insert_copy(connection, source=seq - 1 if seq > 1 else 2, seq=seq, trail=trail)
        cohort_id = connection.execute(
            text("SELECT cohort_id FROM audit WHERE seq = :s"), {"s": seq}
        ).scalar()
        kept = connection.execute(
            text("SELECT count(*) FROM personal_data WHERE seq = :s AND cohort_id = :c"),
            {"s": seq, "c": cohort_id},
        ).scalar()
        first = seq if kept else seq + 1
        return Expected(first), set(range(seq, entries + 2))
    if kind == "append":
        # A forger appends a correctly chained entry but cannot update the head unnoticed.
        forged = entries + 1
        _insert_copy(connection, source=entries, seq=forged, trail=trail)
        return Expected(forged), {forged}
    keep = rng.randint(0, entries - 1)
    connection.execute(text("DELETE FROM audit WHERE seq > :k"), {"k": keep})
    return Expected(keep + 1, missing_tail=True), set(range(keep + 1, entries + 1))


def _insert_copy(connection: Connection, *, source: int, seq: int, trail: Trail) -> None:
    """Insert a copy of the row now at ``source`` as entry ``seq``, chained as a forger would."""
    copied = COLUMNS.replace("seq, ", ":f, ", 1).replace(", hash", ", :h")
    connection.execute(
        text(f"INSERT INTO audit ({COLUMNS}) SELECT {copied} FROM audit WHERE seq = :s"),  # noqa: S608
        {"f": seq, "h": trail.forged_hash(seq), "s": source},
    )


@dataclass(frozen=True)
class Forged:
    """A stored fact tampered with: the one difference verify must report, and its undoing."""

    difference: tuple[str, str, str, Any, Any]
    """``(table, key, field, stored, replayed)``."""
    undo: str
    params: dict[str, Any]


def _where(table: str) -> str:
    """The condition selecting one fact's row of ``table`` by its key."""
    if table in ("assessments", "change_projects"):
        return "enrolment_id = (SELECT id FROM enrolments WHERE nip = :key)"
    return {"enrolments": "nip = :key", "cohort_offices": "office_code = :key"}.get(
        table, "code = :key"
    )


def _tamper_fact(connection: Connection, kind: str, rng: random.Random, scale: Scale) -> Forged:
    """Tamper with one stored fact (the chain untouched); what verify must report."""
    if kind == "phantom":
        # A copy of a real enrolment under a NIP the chain never enrolled.
        columns = (
            "cohort_id, name, office_code, echelon, birth_date, retirement_age, state, "
            "version, revisions, active, seated, completed, group_no"
        )
        connection.execute(
            text(
                f"INSERT INTO enrolments (nip, {columns}) "  # noqa: S608
                f"SELECT :nip, {columns} FROM enrolments WHERE nip = :copy"
            ),
            {"nip": PHANTOM_NIP, "copy": _nip(rng.randrange(scale.people))},
        )
        return Forged(
            ("enrolments", PHANTOM_NIP, "row", "present", "absent"),
            "DELETE FROM enrolments WHERE nip = :key",
            {"key": PHANTOM_NIP},
        )
    edit = EDITS[kind]
    person = rng.choice(scale.scored)
    key = {"cohort_offices": office(_office_of(person)).code, "cohorts": CODE}.get(
        edit.table, _nip(person)
    )
    where = _where(edit.table)
    select_old = f"SELECT {edit.column} FROM {edit.table} WHERE {where}"  # noqa: S608
    old = connection.execute(text(select_old), {"key": key}).scalar_one()
    forged = edit.forge(old)
    update = f"UPDATE {edit.table} SET {edit.column} = :value WHERE {where}"  # noqa: S608
    connection.execute(text(update), {"value": forged, "key": key})
    return Forged((edit.table, key, edit.field, forged, old), update, {"value": old, "key": key})


def _assert_fact_named(check: Any, forged: Forged, kind: str) -> None:
    """Verify failed on exactly the forged fact; the chain itself is not blamed."""
    assert not check.ok, kind
    assert (check.first_bad_seq, check.missing_tail) == (None, False), (kind, check.problem)
    found = [(d.table, d.key, d.field, d.stored, d.replayed) for d in check.differences]
    assert found == [forged.difference], (kind, check.problem)


def _snapshot(connection: Connection, table: str = "audit") -> list[tuple[Any, ...]]:
    """Every row of ``table``, every column, in a stable order (the audit trail by seq)."""
    order = "seq, id" if table == "audit" else "1, 2"
    query = text(f"SELECT * FROM {table} ORDER BY {order}")  # noqa: S608
    return [tuple(r) for r in connection.execute(query)]


def _assert_detected(check: Any, expected: Expected, kind: str) -> None:
    """Verify failed, naming exactly the expected first broken entry."""
    assert not check.ok, kind
    assert (check.first_bad_seq, check.missing_tail) == (
        expected.first_bad_seq,
        expected.missing_tail,
    ), (kind, check.problem)


def _assert_append_only(url: str) -> None:
    """Through the store's own connections, UPDATE and DELETE on audit are refused."""
    store = SqlStore(url)
    try:
        for statement in ("UPDATE audit SET actor = 'x' WHERE seq = 1", "DELETE FROM audit"):
            with (
                pytest.raises(sa_exc.DBAPIError, match="append-only"),
                store.engine.begin() as connection,
            ):
                connection.execute(text(statement))
        assert trusted_engine(store).verify(CODE)[0].ok
    finally:
        store.close()


@pytest.mark.parametrize("scale", SCALES)
def test_sqlite_tamperings_are_all_named(tmp_path: Path, scale: Scale) -> None:
    """Random tamperings, each on a fresh copy of the SQLite trail, are all named exactly."""
    pristine = tmp_path / "pristine.db"
    url = f"sqlite:///{pristine}"
    started = time.perf_counter()
    trail = _build(url, scale)
    _assert_append_only(url)
    rng = random.Random(1)
    counts = dict.fromkeys(KINDS, 0)
    for case in range(scale.cases):
        kind = KINDS[case % len(KINDS)]
        copy = tmp_path / "case.db"
        shutil.copyfile(pristine, copy)
        copy_url = f"sqlite:///{copy}"
        with _superuser(copy_url) as connection:
            expected, _ = _tamper(connection, kind, rng, trail)
        _assert_detected(_verify(copy_url), expected, kind)
        counts[kind] += 1
    facts = dict.fromkeys(FACT_KINDS, 0)
    for case in range(scale.fact_cases):
        kind = FACT_KINDS[case % len(FACT_KINDS)]
        copy = tmp_path / "case.db"
        shutil.copyfile(pristine, copy)
        copy_url = f"sqlite:///{copy}"
        with _superuser(copy_url) as connection:
            forged = _tamper_fact(connection, kind, rng, scale)
        _assert_fact_named(_verify(copy_url), forged, kind)
        facts[kind] += 1
    _report("sqlite", scale, counts, facts, started)
    assert sum(counts.values()) == scale.cases
    assert sum(facts.values()) == scale.fact_cases


@pytest.mark.parametrize("scale", SCALES)
def test_postgresql_tamperings_are_all_named(pg_url: str, scale: Scale) -> None:
    """Random tamperings of the PostgreSQL trail, each undone after, are all named exactly."""
    started = time.perf_counter()
    trail = _build(pg_url, scale)
    _assert_append_only(pg_url)
    with _superuser(pg_url) as connection:
        pristine = _snapshot(connection)
        facts_before = {table: _snapshot(connection, table) for table in PROJECTED}
    rng = random.Random(2)
    counts = dict.fromkeys(KINDS, 0)
    facts = dict.fromkeys(FACT_KINDS, 0)
    store = SqlStore(pg_url)
    owner = create_engine(pg_url)
    try:
        for case in range(scale.cases):
            kind = KINDS[case % len(KINDS)]
            with owner.connect() as connection:
                connection.exec_driver_sql("SET session_replication_role = replica")
                expected, touched = _tamper(connection, kind, rng, trail)
                connection.commit()
                _assert_detected(trusted_engine(store).verify(CODE)[0], expected, kind)
                _restore(connection, pristine, touched)
            counts[kind] += 1
        for case in range(scale.fact_cases):
            kind = FACT_KINDS[case % len(FACT_KINDS)]
            with owner.connect() as connection:
                forged = _tamper_fact(connection, kind, rng, scale)
                connection.commit()
                _assert_fact_named(trusted_engine(store).verify(CODE)[0], forged, kind)
                connection.execute(text(forged.undo), forged.params)
                connection.commit()
            facts[kind] += 1
    finally:
        owner.dispose()
        store.close()
    with _superuser(pg_url) as connection:
        assert _snapshot(connection) == pristine
        for table, rows in facts_before.items():
            assert _snapshot(connection, table) == rows, table
    assert _verify(pg_url).ok
    _report("postgresql", scale, counts, facts, started)
    assert sum(counts.values()) == scale.cases
    assert sum(facts.values()) == scale.fact_cases


def _restore(connection: Connection, pristine: list[tuple[Any, ...]], touched: set[int]) -> None:
    """Put the touched rows back exactly as they were in the pristine trail."""
    lo, hi = min(touched), max(touched)
    connection.execute(
        text("DELETE FROM audit WHERE seq >= :lo AND seq <= :hi"), {"lo": lo, "hi": hi}
    )
    restore = [r for r in pristine if lo <= r[2] <= hi]
    if restore:
        marks = ", ".join(["%s"] * len(restore[0]))
        connection.exec_driver_sql(f"INSERT INTO audit VALUES ({marks})", restore)  # noqa: S608
    connection.commit()


def _report(
    backend: str, scale: Scale, counts: dict[str, int], facts: dict[str, int], started: float
) -> None:
    """Print the figures of one run (shown with ``-s`` or on failure)."""
    figures = {
        "rows": scale.entries,
        "tamperings": sum(counts.values()),
        "kinds": counts,
        "fact_tamperings": sum(facts.values()),
        "fact_kinds": facts,
    }
    duration = round(time.perf_counter() - started, 1)
    report("tamper evidence", backend, {**figures, "undetected": 0, "duration_s": duration})
