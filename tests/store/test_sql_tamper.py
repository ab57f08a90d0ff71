"""Tamper evidence on real databases: edits of the chain, and of the facts stored beside it.

The audit chain is the record; the tables the rules read (enrolments, projects, scores,
seat counters, the cohort and its lifecycle) are a cache of it. An edited, deleted,
reordered or truncated audit row breaks the chain; a direct edit of any stored fact is a
difference from the chain's replay, named by table, participant (or office, or cohort) and
field.
"""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NamedTuple

import pytest
from sqlalchemy import Connection, insert, select, text, update

from changeflow import (
    ChangeProject,
    FixedClock,
    Mentor,
    TransitionRejected,
    UnreadableEntry,
)
from changeflow.audit import Checkpoint, chain_hash
from changeflow.records import Difference
from changeflow.states import DEFAULT_LIFECYCLE
from changeflow.store.sql import SqlStore
from changeflow.store.sql import statements as sql
from factories import make_cohort, make_participant, office, trusted_engine

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

    from changeflow.audit import AuditCheck
    from changeflow.records import CohortProjection

CODE = "PKA-III-VII-2019"
ENTRIES = 13
"""The cohort's creation, then six enrolments and six moves."""


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh database URL on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'tamper.db'}"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def store(url: str) -> Iterator[SqlStore]:
    """A store holding one cohort with a 13-entry audit trail."""
    store = SqlStore(url)
    engine = trusted_engine(store, clock=FixedClock(datetime(2019, 4, 4, 8, tzinfo=UTC)))
    engine.create_cohort(make_cohort())
    nips = [engine.enrol(CODE, make_participant(office=office(i))).nip for i in range(6)]
    for nip in nips:
        engine.fire(CODE, nip, "start_class")
    assert len(engine.history(cohort=CODE)) == ENTRIES
    yield store
    store.close()


@contextmanager
def superuser(store: SqlStore) -> Iterator[Connection]:
    """A connection that bypasses the append-only triggers, as a database owner could."""
    with store.engine.connect() as connection:
        if store.dialect == "postgresql":
            connection.exec_driver_sql("SET session_replication_role = replica")
        else:
            connection.exec_driver_sql("DROP TRIGGER IF EXISTS audit_append_only_update")
            connection.exec_driver_sql("DROP TRIGGER IF EXISTS audit_append_only_delete")
        yield connection
        connection.commit()
        if store.dialect == "postgresql":
            # The setting outlives the transaction: never hand it back to the pool.
            connection.exec_driver_sql("RESET session_replication_role")
            connection.commit()


def _check(store: SqlStore, **kw: Any) -> Any:
    return trusted_engine(store).verify(CODE, **kw)[0]


def test_an_intact_trail_verifies(store: SqlStore) -> None:
    """Untouched, the chain verifies and its head is the last entry."""
    check = _check(store)
    assert check.ok
    assert (check.entries, check.head.seq) == (ENTRIES, ENTRIES)


def _edit(seq: int) -> Callable[[Connection], int]:
    def apply(connection: Connection) -> int:
        connection.execute(text("UPDATE audit SET actor = 'forger' WHERE seq = :s"), {"s": seq})
        return seq

    return apply


def _delete(seq: int) -> Callable[[Connection], int]:
    def apply(connection: Connection) -> int:
        connection.execute(text("DELETE FROM audit WHERE seq = :s"), {"s": seq})
        return seq

    return apply


def _swap(seq: int) -> Callable[[Connection], int]:
    def apply(connection: Connection) -> int:
        # Swap the contents of two rows but leave their sequence numbers in place.
        rows = connection.execute(
            text("SELECT seq, nip, event FROM audit WHERE seq IN (:a, :b) ORDER BY seq"),
            {"a": seq, "b": seq + 1},
        ).all()
        for (s, _, _), (_, nip, event) in zip(rows, reversed(rows), strict=True):
            connection.execute(
                text("UPDATE audit SET nip = :n, event = :e WHERE seq = :s"),
                {"n": nip, "e": event, "s": s},
            )
        return seq

    return apply


@pytest.mark.parametrize(
    "tamper",
    [_edit(1), _edit(7), _edit(ENTRIES), _delete(5), _swap(3)],
    ids=["edit-first", "edit-middle", "edit-last", "delete-middle", "swap"],
)
def test_tampering_names_the_first_broken_row(
    store: SqlStore, tamper: Callable[[Connection], int]
) -> None:
    """An edited, deleted or reordered row is named as the first broken entry."""
    with superuser(store) as connection:
        first = tamper(connection)
    check = _check(store)
    assert not check.ok
    assert check.first_bad_seq == first
    assert not check.missing_tail


def test_truncating_the_tail_is_caught_by_the_chain_head(store: SqlStore) -> None:
    """Removing the last rows leaves a chain that verifies link by link, but the head says more."""
    with superuser(store) as connection:
        connection.execute(text("DELETE FROM audit WHERE seq > 9"))
    check = _check(store)
    assert not check.ok
    assert check.missing_tail
    assert check.first_bad_seq == 10


def test_a_rewritten_chain_is_caught_by_an_exported_checkpoint(store: SqlStore) -> None:
    """A forger who recomputes every hash and the head is still caught by a kept checkpoint."""
    kept = trusted_engine(store).checkpoints()
    with superuser(store) as connection:
        connection.execute(text("UPDATE audit SET actor = 'forger' WHERE seq = 4"))
        connection.commit()
    previous = "0" * 64
    trail = list(store.trail(CODE))
    with superuser(store) as connection:
        for entry, _ in trail:
            previous = chain_hash(previous, entry)
            connection.execute(
                text("UPDATE audit SET hash = :h WHERE seq = :s"), {"h": previous, "s": entry.seq}
            )
        connection.execute(text("UPDATE cohorts SET chain_hash = :h"), {"h": previous})
    assert _check(store).ok  # the forger's rewrite is self-consistent ...
    check = _check(store, expected=kept)
    assert not check.ok  # ... but not with the checkpoint kept outside the database
    assert check.first_bad_seq == ENTRIES


def test_a_checkpoint_beyond_the_trail_reports_a_missing_tail(store: SqlStore) -> None:
    """A checkpoint naming more entries than the trail holds fails as a missing tail."""
    head = store.head(CODE)
    ahead = Checkpoint(CODE, head.seq + 3, "f" * 64)
    check = _check(store, expected=[ahead])
    assert not check.ok
    assert check.missing_tail


def test_a_rewound_head_is_caught_only_by_an_earlier_checkpoint(store: SqlStore) -> None:
    """A last row deleted with the head rewound passes the chain alone, not a checkpoint."""
    engine = trusted_engine(store)
    nip = engine.history(cohort=CODE)[-1].nip
    with pytest.raises(TransitionRejected):  # audited, and changes no stored fact
        engine.fire(CODE, nip, "graduate")
    kept = engine.checkpoints()
    assert [c.seq for c in kept] == [ENTRIES + 1]
    with superuser(store) as connection:
        connection.execute(text("DELETE FROM audit WHERE seq = :s"), {"s": ENTRIES + 1})
        connection.execute(
            text(
                "UPDATE cohorts SET chain_seq = :s, "
                "chain_hash = (SELECT hash FROM audit WHERE seq = :s)"
            ),
            {"s": ENTRIES},
        )
    assert _check(store).ok  # by design: the chain cannot see its own end rewound ...
    check = _check(store, expected=kept)
    assert (check.ok, check.missing_tail, check.first_bad_seq) == (False, True, ENTRIES + 1)
    assert check.problem == f"entry {ENTRIES + 1} is missing (the checkpoint names entry 14)"


# -- rows that cannot be read at all ---------------------------------------------------

BAD = 9
"""The row the tests below damage (a start_class move)."""

MALFORMED_JSON: list[Any] = [
    pytest.param("data", "'{bad'", id="data-invalid-json"),
    pytest.param("data", "'[1, 2]'", id="data-not-an-object"),
    pytest.param("payload", "'{\"x\": '", id="payload-invalid-json"),
    pytest.param("payload", "'5'", id="payload-a-number"),
    pytest.param("violations", "'nope'", id="violations-invalid-json"),
    pytest.param("violations", "'[1]'", id="violations-not-objects"),
    pytest.param("violations", "'{\"code\": 1}'", id="violations-an-object"),
    pytest.param("change", "'{\"office\": '", id="change-invalid-json"),
    pytest.param("change", "'\"text\"'", id="change-a-string"),
]
"""Text columns holding JSON: any text fits them on both backends."""

MALFORMED_TYPED: list[Any] = [
    pytest.param("at", "'not a time'", id="at-invalid"),
    pytest.param("at", "12345", id="at-a-number"),
    pytest.param("effective_date", "'2019-13-45'", id="effective_date-invalid"),
    pytest.param("effective_date", "20190404", id="effective_date-a-number"),
    pytest.param("nip", "X'00ff'", id="nip-bytes"),
    pytest.param("actor", "CAST(X'c328' AS TEXT)", id="actor-not-utf8"),
    pytest.param("event", "X'01'", id="event-bytes"),
]
"""Values of the wrong type: SQLite stores them; PostgreSQL's column types refuse them."""


def _damage_and_check(store: SqlStore, column: str, value: str) -> None:
    """Write ``value`` into row BAD's ``column``, then read the trail every way there is.

    Verify must fail at that row naming the column; history and the replay raise
    UnreadableEntry naming it instead of crashing.
    """
    with superuser(store) as connection:
        connection.execute(text(f"UPDATE audit SET {column} = {value} WHERE seq = {BAD}"))  # noqa: S608
    check = _check(store)
    assert (check.ok, check.first_bad_seq, check.field) == (False, BAD, column)
    assert check.problem is not None
    assert check.problem.startswith(f"entry {BAD} cannot be read ({column}): ")
    if value.startswith("X'"):  # bytes read back as they are; only hashing them can tell
        return
    engine = trusted_engine(store)
    for read in (
        lambda: engine.history(cohort=CODE),
        lambda: engine.record_as_of(CODE, datetime(2030, 1, 1, tzinfo=UTC)),
    ):
        with pytest.raises(UnreadableEntry) as caught:
            read()
        assert (caught.value.cohort, caught.value.seq, caught.value.field) == (CODE, BAD, column)


@pytest.mark.parametrize(("column", "value"), MALFORMED_JSON)
def test_malformed_json_in_an_audit_row_is_named_at_its_row(
    store: SqlStore, column: str, value: str
) -> None:
    """Invalid JSON, or JSON of the wrong shape, in an audit row is reported at that row."""
    _damage_and_check(store, column, value)


@pytest.mark.parametrize("url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(("column", "value"), MALFORMED_TYPED)
def test_a_value_of_the_wrong_type_in_an_audit_row_is_named_at_its_row(
    store: SqlStore, column: str, value: str
) -> None:
    """An invalid time or date, a number, bytes or non-UTF-8 text is reported at its row."""
    _damage_and_check(store, column, value)


def test_verify_stops_at_the_first_of_two_malformed_rows(store: SqlStore) -> None:
    """With two damaged rows, verify reports the first and reads no further."""
    with superuser(store) as connection:
        connection.execute(text("UPDATE audit SET change = 'x' WHERE seq IN (4, 11)"))
    check = _check(store)
    assert (check.ok, check.first_bad_seq, check.entries, check.field) == (False, 4, 4, "change")


# -- the stored facts beside the chain ---------------------------------------------------

MENTOR = Mentor(name="dr. Anang Budi Yoelijanto", position="Kepala Dinas")
PROJECT = ChangeProject(title="Aplikasi antrean puskesmas daring", theme="kesehatan", mentor=MENTOR)


class Record(NamedTuple):
    """A cohort run through a whole lifecycle, and who ended where."""

    url: str
    graduate: str
    seminar: str
    withdrawn: str
    failed: str


@pytest.fixture
def record(url: str) -> Record:
    """A cohort with projects, groups and scores: graduated, at seminar, withdrawn, failed."""
    store = SqlStore(url)
    try:
        engine = trusted_engine(store, clock=FixedClock(datetime(2019, 4, 4, 8, tzinfo=UTC)))
        engine.create_cohort(make_cohort())
        nips = [engine.enrol(CODE, make_participant(office=office(i))).nip for i in range(4)]
        engine.advance(CODE, "start_class")
        for nip in nips:
            engine.register_project(CODE, nip, PROJECT)
        for event in ("present_proposal", "approve_proposal", "present_results"):
            assert engine.advance(CODE, event).ok
        engine.form_groups(CODE, 2)
        graduate, seminar, withdrawn, failed = nips
        engine.fire(CODE, withdrawn, "withdraw", reason="sakit")
        for nip, score in ((graduate, 85), (seminar, 70), (failed, 40)):
            engine.record_assessment(CODE, nip, score)
        engine.fire(CODE, graduate, "graduate")
        engine.fire(CODE, failed, "fail")
        [check] = engine.verify(CODE)
        assert check.ok, check.problem
    finally:
        store.close()
    return Record(url, graduate, seminar, withdrawn, failed)


def _tampered(record: Record, edit: Callable[[Connection, Record], None]) -> AuditCheck:
    """Run ``edit`` on the database directly, then verify from a freshly opened store."""
    store = SqlStore(record.url)
    try:
        with store.engine.begin() as connection:
            edit(connection, record)
    finally:
        store.close()
    return _verified(record)


def _verified(record: Record) -> AuditCheck:
    """The cohort's check from a freshly opened store."""
    store = SqlStore(record.url)
    try:
        return trusted_engine(store).verify(CODE)[0]
    finally:
        store.close()


def _stored(record: Record) -> CohortProjection:
    """What the database holds for the cohort, before any edit."""
    store = SqlStore(record.url)
    try:
        return store.projection(CODE)
    finally:
        store.close()


def _sql(statement: str, who: str | None = None) -> Callable[[Connection, Record], None]:
    """An edit running one SQL statement, ``:nip`` bound to the record's ``who``."""

    def edit(connection: Connection, record: Record) -> None:
        params = {} if who is None else {"nip": getattr(record, who)}
        assert connection.execute(text(statement), params).rowcount == 1

    return edit


def _insert_enrolment(connection: Connection, _record: Record) -> None:
    """An enrolment row no audit entry speaks of, holding no seat so no counter betrays it."""
    cohort_id = connection.execute(
        select(sql.COHORTS.c.id).where(sql.COHORTS.c.code == CODE)
    ).scalar_one()
    person = make_participant(office=office(0), nip=FORGED_NIP)
    connection.execute(
        insert(sql.ENROLMENTS).values(
            cohort_id=cohort_id,
            nip=person.nip,
            name=person.name,
            office_code=person.office.code,
            echelon=person.echelon,
            birth_date=person.born,
            retirement_age=None,
            state="graduated",
            version=7,
            revisions=0,
            active=False,
            seated=False,
            completed=False,
            group_no=None,
        )
    )


_PINNED = sql.LIFECYCLES.c.sha256 == DEFAULT_LIFECYCLE.sha256
"""The row of the lifecycle the cohort is pinned to (the schema also stores version 2)."""


def _lifecycle_document(connection: Connection) -> dict[str, Any]:
    return dict(connection.execute(select(sql.LIFECYCLES.c.document).where(_PINNED)).scalar_one())


def _drop_a_rule(connection: Connection, _record: Record) -> None:
    """The withdraw transition of the cohort's lifecycle loses its reason_required rule."""
    document = _without_reason_rule(connection)
    connection.execute(update(sql.LIFECYCLES).where(_PINNED).values(document=document))


def _without_reason_rule(connection: Connection) -> dict[str, Any]:
    document = _lifecycle_document(connection)
    document["transitions"] = [
        {**t, "rules": []} if t["event"] == "withdraw" else t for t in document["transitions"]
    ]
    return document


def _more_capacity(connection: Connection, _record: Record) -> None:
    """The cohort's stored document is given 99 seats."""
    document = connection.execute(select(sql.COHORTS.c.document)).scalar_one()
    connection.execute(update(sql.COHORTS).values(document={**document, "capacity": 99}))


FORGED_NIP = "197506012000031777"
_COHORT_DOC = make_cohort().model_dump(mode="json")

# Each edit with the one difference verify must report: (table, key, field, stored, replayed).
# The key names a Record attribute (a participant) or is literal (an office, the cohort); a
# callable replayed value is read from the participant's enrolment before the edit.
EDITS: list[Any] = [
    pytest.param(
        _sql(
            "UPDATE assessments SET score = 99 WHERE enrolment_id = "
            "(SELECT id FROM enrolments WHERE nip = :nip)",
            "graduate",
        ),
        ("assessments", "graduate", "overall", 99.0, 85.0),
        id="assessments-score",
    ),
    pytest.param(
        _sql(
            "UPDATE change_projects SET title = 'Proyek palsu' WHERE enrolment_id = "
            "(SELECT id FROM enrolments WHERE nip = :nip)",
            "graduate",
        ),
        ("change_projects", "graduate", "title", "Proyek palsu", PROJECT.title),
        id="change_projects-title",
    ),
    pytest.param(
        _sql(
            "UPDATE change_projects SET mentor_name = 'Orang Lain' WHERE enrolment_id = "
            "(SELECT id FROM enrolments WHERE nip = :nip)",
            "graduate",
        ),
        ("change_projects", "graduate", "mentor_name", "Orang Lain", MENTOR.name),
        id="change_projects-mentor_name",
    ),
    pytest.param(
        _sql(
            "DELETE FROM change_projects WHERE enrolment_id = "
            "(SELECT id FROM enrolments WHERE nip = :nip)",
            "seminar",
        ),
        ("change_projects", "seminar", "row", None, PROJECT.model_dump(mode="json")),
        id="change_projects-delete",
    ),
    pytest.param(
        _sql("UPDATE enrolments SET state = 'graduated' WHERE nip = :nip", "seminar"),
        ("enrolments", "seminar", "state", "graduated", "seminar"),
        id="enrolments-state",
    ),
    pytest.param(
        _sql("UPDATE enrolments SET group_no = 7 WHERE nip = :nip", "seminar"),
        ("enrolments", "seminar", "group_no", 7, lambda member: member.group),
        id="enrolments-group_no",
    ),
    pytest.param(
        _sql("UPDATE enrolments SET office_code = 'OPD000' WHERE nip = :nip", "seminar"),
        ("enrolments", "seminar", "office_code", "OPD000", "OPD001"),
        id="enrolments-office_code",
    ),
    pytest.param(
        _sql("UPDATE enrolments SET name = 'Nama Palsu' WHERE nip = :nip", "failed"),
        ("enrolments", "failed", "name", "Nama Palsu", lambda member: member.participant.name),
        id="enrolments-name",
    ),
    pytest.param(
        _sql("UPDATE cohort_offices SET seated = 5 WHERE office_code = 'OPD001'"),
        ("cohort_offices", "OPD001", "seated", 5, 1),
        id="cohort_offices-seated",
    ),
    pytest.param(
        _sql("UPDATE cohorts SET seated = 9"),
        ("cohorts", CODE, "seated", 9, 3),
        id="cohorts-seated",
    ),
    pytest.param(
        _sql("UPDATE offices SET name = 'Kantor Palsu' WHERE code = 'OPD001'"),
        ("offices", "OPD001", "name", "Kantor Palsu", office(1).name),
        id="offices-name",
    ),
    pytest.param(
        _insert_enrolment,
        ("enrolments", FORGED_NIP, "row", "present", "absent"),
        id="enrolments-insert",
    ),
    pytest.param(
        _more_capacity,
        ("cohorts", CODE, "document", {**_COHORT_DOC, "capacity": 99}, _COHORT_DOC),
        id="cohorts-document",
    ),
    pytest.param(
        _drop_a_rule,
        ("cohorts", CODE, "lifecycle", "forged", DEFAULT_LIFECYCLE.sha256),
        id="lifecycles-document",
    ),
]


def test_an_untouched_record_verifies(record: Record) -> None:
    """Without an edit, every stored fact agrees with the chain's replay."""
    store = SqlStore(record.url)
    try:
        [check] = trusted_engine(store).verify(CODE)
    finally:
        store.close()
    assert (check.ok, check.differences, check.problem) == (True, (), None)


@pytest.mark.parametrize(("edit", "expected"), EDITS)
def test_a_direct_edit_of_a_stored_fact_is_named(
    record: Record, edit: Callable[[Connection, Record], None], expected: tuple[Any, ...]
) -> None:
    """A fact edited on the database itself fails verify with its table, key and field."""
    before = _stored(record)
    table, who, field, stored, replayed = expected
    key = getattr(record, who, who)
    if callable(replayed):  # the value the chain holds: the stored one before the edit
        replayed = replayed(before.members[key])
    check = _tampered(record, edit)
    if field == "lifecycle":  # the forged document's hash, computed the way the store does
        store = SqlStore(record.url)
        try:
            stored = store.projection(CODE).lifecycle
        finally:
            store.close()
        assert stored not in {None, replayed}
    assert not check.ok
    assert check.first_bad_seq is None
    assert not check.missing_tail
    assert check.differences == (Difference(table, key, field, stored, replayed),)
    assert check.problem is not None
    for named in (table, key, field):
        assert named in check.problem


def _unchecked(record: Record, *statements: str, **params: str) -> AuditCheck:
    """Run ``statements`` as a database owner would, foreign keys unchecked, then verify.

    On SQLite through the bare driver (the ``sqlite3`` shell's defaults: no foreign keys);
    on PostgreSQL with replication-role ``replica``, which skips the foreign-key triggers.
    ``params`` bind ``:name`` in every statement.
    """
    if record.url.startswith("sqlite"):
        connection = sqlite3.connect(record.url.removeprefix("sqlite:///"))
        try:
            for statement in statements:
                connection.execute(statement, params)
            connection.commit()
        finally:
            connection.close()
    else:
        store = SqlStore(record.url)
        try:
            with superuser(store) as owner:
                for statement in statements:
                    owner.execute(text(statement), params)
        finally:
            store.close()
    return _verified(record)


def test_an_enrolment_of_an_office_the_store_lacks_is_named(record: Record) -> None:
    """An enrolment with no audit entry is named even when its office is not in the store.

    Only with foreign keys off (the ``sqlite3`` shell's default) can the row name such an
    office; the members' join with the offices used to drop it from the comparison.
    """
    check = _unchecked(
        record,
        "INSERT INTO enrolments (cohort_id, nip, name, office_code, echelon, birth_date, "
        "retirement_age, state, version, revisions, active, seated, completed, group_no) "
        "VALUES ((SELECT id FROM cohorts WHERE code = :code), :nip, 'Hantu', 'GHOST', "
        "'III.a', '1975-06-01', NULL, 'enrolled', 1, 0, TRUE, TRUE, FALSE, NULL)",
        code=CODE,
        nip=FORGED_NIP,
    )
    assert not check.ok
    assert check.differences == (Difference("enrolments", FORGED_NIP, "row", "present", "absent"),)


def test_an_office_deleted_under_its_members_is_named(record: Record) -> None:
    """An office row deleted (foreign keys off) leaves its members visible, its name missing."""
    before = _stored(record)
    graduate = before.members[record.graduate].participant.office
    check = _unchecked(record, "DELETE FROM offices WHERE code = :office", office=graduate.code)
    assert not check.ok
    assert check.differences == (Difference("offices", graduate.code, "name", "", graduate.name),)


def test_zeroed_seat_counters_are_named(record: Record) -> None:
    """The cohort's seated count and every office's counter set to 0 are each a difference."""
    before = _stored(record)
    assert before.seated > 0
    check = _unchecked(
        record, "UPDATE cohorts SET seated = 0", "UPDATE cohort_offices SET seated = 0"
    )
    assert not check.ok
    assert set(check.differences) == {
        Difference("cohorts", CODE, "seated", 0, before.seated),
        *(Difference("cohort_offices", o, "seated", 0, n) for o, n in before.per_office.items()),
    }
