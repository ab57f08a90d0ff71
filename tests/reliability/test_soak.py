"""Soak: four processes drive many cohorts through whole lifecycles at once, for a bounded time.

Each cohort gets a roster larger than its capacity (two per office, a third from the first
office, an ineligible rank, an overflow nominee, and one person nominated to two cohorts at
once); each accepted nominee runs a planned course (graduate, fail, withdraw or drop) with
detours that provoke every guard's refusal, some commands keyed and sent twice. Cohorts are
worked a block at a time (two cohorts; four in the heavy variant) by all four workers
together, so several processes write to the same cohort, race for its seats and move each
other's participants (one bulk ``start_class`` per cohort). Workers stop at a deadline even
if unfinished; what they did is still reconciled.

Courses include the record's commands too: projects and scores (audited data commands), a
score corrected (refused first for want of a reason) and a final state reopened, which
takes a seat back under the quota rules while the other workers race for the same seats.

Afterwards, from a fresh store: every chain verifies and every stored fact equals its
replay (``Engine.verify``); every enrolment's state replayed from the trail
(``Engine.states_as_of`` and an independent replay of the moves) equals its stored state,
version and revision count; the stored flags and the seat counters on the cohort and per
office equal what the states imply; quotas held; nobody is active twice; and the audit
trail holds exactly the accepted entries the workers reported (each cohort's creation
aside) and as many refusals.
"""

from __future__ import annotations

import dataclasses
import random
import sys
import time
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import text

from changeflow.records import COHORT_NIP
from changeflow.states.names import CREATE_COHORT, DATA_COMMANDS
from changeflow.store.sql import SqlStore
from factories import make_cohort, make_nip, make_participant, office, trusted_engine
from reliability import soak_workers
from reliability.figures import backend_of
from reliability.ledger import stored_seats
from reliability.processes import spawned_pool
from reliability.soak_workers import FATES, QUIRKS, Block, Nomination, Tally

if TYPE_CHECKING:
    from collections.abc import Iterator
    from multiprocessing.pool import Pool
    from pathlib import Path

    from changeflow import Engine
    from changeflow.models import Cohort, Participant
    from changeflow.records import Enrolment, HistoryEntry

WORKERS = 4
MAX_PER_OFFICE = 2
LOCK_TIMEOUT = 5.0
FAR_FUTURE = datetime(9999, 1, 1, tzinfo=UTC)
LIFECYCLE = (
    trusted_engine().lifecycle
)  # the default lifecycle, with its final and seat-freeing states
SPARE_OFFICES = {"junior": 900, "overflow": 901, "shared": 902}


@pytest.fixture(scope="module")
def pool() -> Iterator[Pool]:
    """Four spawned worker processes sharing a start-line barrier, reused by every soak."""
    with spawned_pool(WORKERS, soak_workers.init_worker) as (workers, _):
        yield workers


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database URL: an SQLite file in ``tmp_path`` or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'soak.db'}"
    return str(request.getfixturevalue("pg_url"))


# -- the plan --------------------------------------------------------------------------------


class _People:
    """Distinct eligible people: NIPs differ by birth day and sequence number."""

    def __init__(self) -> None:
        self.count = 0

    def next(self, office_number: int, echelon: str = "III.a") -> Participant:
        """A new person from ``office(office_number)``."""
        n, self.count = self.count, self.count + 1
        born = date(1972, 1, 1) + timedelta(days=n // 999)
        nip = make_nip(born=born, sequence=n % 999 + 1)
        return make_participant(nip=nip, born=born, office=office(office_number), echelon=echelon)


def _course(code: str, person: Participant, slot: int, rng: random.Random) -> Nomination:
    """A planned course: slots 0-2 fail, withdraw and drop; the rest mostly graduate."""
    fate = FATES[slot + 1] if slot < 3 else rng.choices(FATES, weights=(7, 1, 1, 1))[0]
    quirks = {q for q in QUIRKS if rng.random() < 0.2}
    quirks.add(QUIRKS[slot % len(QUIRKS)])  # every detour in every cohort of 7 or more
    passing = fate != "fail"
    return Nomination(
        cohort=code,
        person=person,
        fate=fate,
        leave_at=rng.choice(("on_class", "proposal", "laboratory", "seminar")),
        score=round(rng.uniform(71.0, 99.0) if passing else rng.uniform(40.0, 69.5), 1),
        quirks=frozenset(quirks),
    )


def _roster(
    code: str, index: int, size: int, people: _People, shared: Participant | None
) -> list[list[Nomination]]:
    """The cohort's nominations grouped by office; each group goes to one worker, in order."""
    rng = random.Random(index)
    groups: list[list[Nomination]] = []
    for slot in range(size):
        if slot % 2 == 0:
            groups.append([])
        groups[-1].append(_course(code, people.next(slot // 2 + 1), slot, rng))
    # A third nominee from the first office, right after its two: refused by the office quota.
    groups[0].append(_course(code, people.next(1), size, rng))
    junior = _course(code, people.next(SPARE_OFFICES["junior"], "IV.a"), size, rng)
    groups.append([dataclasses.replace(junior, refusal="rank")])
    groups.append([_course(code, people.next(SPARE_OFFICES["overflow"]), size, rng)])
    if shared is not None:
        groups.append([_course(code, shared, size, rng)])
    return groups


def _plan(cohorts: int, size: int, block: int) -> tuple[list[Cohort], list[list[Block]]]:
    """The cohorts to create and each worker's blocks (of ``block`` cohorts) of nominations.

    Cohorts ``2k`` and ``2k + 1`` (in one block, as ``block`` is even) share a nominee whom
    two different workers try to enrol first thing.
    """
    people = _People()
    made = [
        make_cohort(f"SOAK-{c:03d}", capacity=size, max_per_office=MAX_PER_OFFICE)
        for c in range(cohorts)
    ]
    shared = {c: people.next(SPARE_OFFICES["shared"]) for c in range(0, cohorts - 1, 2)}
    blocks: list[list[Block]] = [[] for _ in range(WORKERS)]
    for first in range(0, cohorts, block):
        members = range(first, min(first + block, cohorts))
        own: list[list[list[Nomination]]] = [[] for _ in range(WORKERS)]
        for c in members:
            twin = shared.get(c - c % 2)
            groups = _roster(made[c].code, c, size, people, twin)
            per_worker: list[list[Nomination]] = [[] for _ in range(WORKERS)]
            for g, group in enumerate(groups[:-1] if twin else groups):
                per_worker[(g + c) % WORKERS] += group
            if twin is not None:  # first in line, so the two enrolments race
                per_worker[(c // 2 + c % 2) % WORKERS].insert(0, groups[-1][0])
            for w in range(WORKERS):
                own[w].append(per_worker[w])
        for w in range(WORKERS):
            blocks[w].append(
                Block(
                    nominations=tuple(_interleave(own[w])),
                    advance=tuple(made[c].code for c in members if c % WORKERS == w),
                )
            )
    return made, blocks


def _interleave(lists: list[list[Nomination]]) -> list[Nomination]:
    """Alternate between the cohorts of a block: one nomination from each in turn."""
    merged: list[Nomination] = []
    for i in range(max((len(x) for x in lists), default=0)):
        merged += [x[i] for x in lists if i < len(x)]
    return merged


# -- running -----------------------------------------------------------------------------------


def _soak(
    pool: Pool, url: str, *, cohorts: int, size: int, block: int, bound: float
) -> dict[str, Any]:
    """Create the cohorts, run the four workers until done or ``bound`` seconds; the figures.

    The workers go through the cohorts ``block`` at a time, all four in the same block.
    """
    made, blocks = _plan(cohorts, size, block)
    started = time.perf_counter()
    tallies = _run(pool, url, made, blocks, bound)
    wall = time.perf_counter() - started
    problems = _reconcile(url, made, tallies)
    return _figures(made, blocks, tallies, problems, wall)


def _run(
    pool: Pool, url: str, made: list[Cohort], blocks: list[list[Block]], bound: float
) -> list[Tally]:
    """Create the cohorts, then drive the blocks in the four workers; their tallies."""
    store = SqlStore(url)
    try:
        engine = trusted_engine(store)
        for cohort in made:
            engine.create_cohort(cohort)
    finally:
        store.close()
    deadline = time.time() + bound
    return pool.starmap_async(
        soak_workers.drive,
        [(url, w, blocks[w], deadline, LOCK_TIMEOUT) for w in range(WORKERS)],
        chunksize=1,
    ).get(bound + soak_workers.BARRIER_TIMEOUT + 60.0)


def _figures(
    made: list[Cohort],
    blocks: list[list[Block]],
    tallies: list[Tally],
    problems: list[str],
    wall: float,
) -> dict[str, Any]:
    """Every figure of one soak, and the problems found."""
    ended: Counter[str] = sum((t.ended for t in tallies), Counter())
    retries: Counter[str] = sum((t.retries for t in tallies), Counter())
    return {
        "cohorts": len(made),
        "nominations": sum(len(b.nominations) for bs in blocks for b in bs),
        "tried": sum(t.tried for t in tallies),
        "commands": sum(t.commands for t in tallies),
        "accepted": sum(len(t.accepted) for t in tallies),
        "refused": sum(sum(t.refused.values()) for t in tallies),
        "replayed": sum(t.replays for t in tallies),
        "retried": sum(retries.values()),
        "retried_by_type": dict(retries),
        "advanced": sum(t.advanced for t in tallies),
        "raced": sum(t.raced for t in tallies),
        "reopened": sum(t.reopened for t in tallies),
        "completed_lifecycles": sum(ended[s] for s in LIFECYCLE.finals),
        "ended": dict(ended),
        "codes": dict(sum((t.codes for t in tallies), Counter())),
        "hit_deadline": any(t.hit_deadline for t in tallies),
        "errors": [e for t in tallies for e in t.errors],
        "unexpected": [u for t in tallies for u in t.unexpected],
        "problems": problems,
        "soak_s": round(max(t.seconds for t in tallies), 2),
        "duration_s": round(wall, 2),
    }


# -- reconciling --------------------------------------------------------------------------------


def _reconcile(url: str, made: list[Cohort], tallies: list[Tally]) -> list[str]:
    """Every inconsistency between the database, its audit trails and the workers' reports."""
    store = SqlStore(url)
    try:
        engine = trusted_engine(store)
        problems: list[str] = []
        trail: list[HistoryEntry] = []
        for cohort in made:
            history = engine.history(cohort=cohort.code)
            trail += history
            problems += _cohort_problems(engine, cohort, history)
        problems += _counter_problems(store, made)
        problems += _report_problems(trail, tallies)
        return problems
    finally:
        store.close()


def _cohort_problems(engine: Engine, cohort: Cohort, history: list[HistoryEntry]) -> list[str]:
    """Chain, stored facts against their replay, replayed states and quotas of one cohort."""
    code = cohort.code
    check = engine.verify(code)[0]
    problems = [f"{code}: verify: {d}" for d in check.differences]
    if not check.ok and not check.differences:
        problems.append(f"{code}: chain broken: {check.problem}")
    if check.entries != len(history):
        problems.append(f"{code}: verify saw {check.entries} entries, history {len(history)}")
    opening = [(e.seq, e.event, e.outcome) for e in history if e.nip == COHORT_NIP]
    if opening != [(1, CREATE_COHORT, "accepted")]:
        problems.append(f"{code}: cohort entries {opening}, expected its creation only")
    members = {e.nip: e for e in engine.participants(code)}
    stored = {nip: e.state for nip, e in members.items()}
    if engine.states_as_of(code, FAR_FUTURE) != stored:
        problems.append(f"{code}: states_as_of differs from the stored states")
    moves: dict[str, list[HistoryEntry]] = defaultdict(list)
    for entry in history:
        # A data command changes facts, not the state: it is no move.
        if entry.accepted and entry.nip != COHORT_NIP and entry.event not in DATA_COMMANDS:
            moves[entry.nip].append(entry)
    if set(moves) != set(members):
        problems.append(f"{code}: accepted trail names {len(moves)} people, {len(members)} stored")
    for nip, member in members.items():
        problems += _replay_problems(code, nip, moves.get(nip, []), member)
    seated = [e for e in members.values() if e.state not in LIFECYCLE.seat_freeing]
    per_office = Counter(e.participant.office.code for e in seated)
    if len(seated) > cohort.capacity or max(per_office.values(), default=0) > MAX_PER_OFFICE:
        problems.append(f"{code}: quota broken: {len(seated)} seated, per office {per_office}")
    return problems


def _replay_problems(
    code: str, nip: str, moves: list[HistoryEntry], member: Enrolment
) -> list[str]:
    """One enrolment's accepted moves must chain from enrolment to its stored state."""
    state: str | None = None
    for entry in moves:
        if entry.source != state or entry.target is None:
            return [
                f"{code} {nip}: seq {entry.seq} moves {entry.source}->{entry.target} from {state}"
            ]
        state = entry.target
    loops = sum(1 for e in moves if e.source == e.target)
    if (state, len(moves), loops) != (member.state, member.version, member.revisions):
        return [
            f"{code} {nip}: replay gives {state} v{len(moves)} r{loops}, stored "
            f"{member.state} v{member.version} r{member.revisions}"
        ]
    return []


def _counter_problems(store: SqlStore, made: list[Cohort]) -> list[str]:
    """Stored flags and the seat counters on the cohort and per office, against the states."""
    problems: list[str] = []
    with store.engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT c.code, e.nip, e.office_code, e.state, e.active, e.seated, e.completed "
                "FROM enrolments e JOIN cohorts c ON c.id = e.cohort_id"
            )
        ).all()
        seats, office_seats = stored_seats(connection)
    counted: Counter[str] = Counter()
    counted_office: Counter[tuple[str, str]] = Counter()
    active: Counter[str] = Counter()
    completed: Counter[str] = Counter()
    for r in rows:
        flags = (
            r.state not in LIFECYCLE.finals,
            r.state not in LIFECYCLE.seat_freeing,
            r.state in LIFECYCLE.completing,
        )
        stored = (bool(r.active), bool(r.seated), bool(r.completed))
        if stored != flags:
            problems.append(f"{r.code} {r.nip}: flags {stored} in {r.state}")
        if flags[1]:
            counted[r.code] += 1
            counted_office[r.code, r.office_code] += 1
        active[r.nip] += flags[0]
        completed[r.nip] += flags[2]
    for code in (c.code for c in made):
        if seats[code] != counted[code]:
            problems.append(f"{code}: seated counter {seats[code]}, counted {counted[code]}")
    for key in set(office_seats) | set(counted_office):
        if office_seats.get(key, 0) != counted_office[key]:
            problems.append(
                f"{key}: office counter {office_seats.get(key)}, counted {counted_office[key]}"
            )
    problems += [f"{nip}: active in {n} cohorts" for nip, n in active.items() if n > 1]
    problems += [f"{nip}: completed {n} times" for nip, n in completed.items() if n > 1]
    return problems


def _report_problems(trail: list[HistoryEntry], tallies: list[Tally]) -> list[str]:
    """The trail holds exactly the accepted entries the workers reported, and their refusals."""
    reported = Counter(a for t in tallies for a in t.accepted)
    stored = Counter(
        (
            e.cohort,
            soak_workers.UNSEQUENCED if e.event == "record_assessment" else e.seq,
            e.nip,
            e.event,
            e.source,
            e.target,
        )
        for e in trail
        if e.accepted and e.nip != COHORT_NIP  # the cohorts' creation is the test's own
    )
    problems = [f"accepted twice by the workers: {a}" for a, n in reported.items() if n > 1]
    if reported != stored:
        missing, extra = stored - reported, reported - stored
        problems.append(
            f"accepted entries: {len(extra)} reported not stored, {len(missing)} "
            f"stored not reported, e.g. {sorted(extra)[:3]} / {sorted(missing)[:3]}"
        )
    refused_reported: Counter[tuple[str, str, str]] = sum((t.refused for t in tallies), Counter())
    refused_stored = Counter((e.cohort, e.nip, e.event) for e in trail if not e.accepted)
    if refused_reported != refused_stored:
        differing = (refused_reported - refused_stored) + (refused_stored - refused_reported)
        problems.append(
            f"refused entries: reported {refused_reported.total()}, stored "
            f"{refused_stored.total()}, differing {sorted(differing)[:3]}"
        )
    return problems


# -- the checks --------------------------------------------------------------------------------


def _report(url: str, figures: dict[str, Any]) -> None:
    """Print the soak's figures in one line (shown with ``-s`` or on failure)."""
    backend = backend_of(url)
    shown = ", ".join(
        f"{k}={figures[k]}"
        for k in (
            "cohorts",
            "nominations",
            "tried",
            "commands",
            "accepted",
            "refused",
            "replayed",
            "retried",
            "retried_by_type",
            "advanced",
            "raced",
            "reopened",
            "completed_lifecycles",
            "ended",
            "codes",
            "hit_deadline",
            "soak_s",
            "duration_s",
        )
    )
    inconsistent = len(figures["problems"]) + len(figures["unexpected"])
    print(
        f"\n[reliability] soak on {backend}: {shown}, errors={len(figures['errors'])}, "
        f"inconsistent={inconsistent}",
        file=sys.stderr,
    )


def _assert_consistent(figures: dict[str, Any]) -> None:
    """No error, no unexpected outcome, no inconsistency; a finished run did everything."""
    assert figures["errors"] == [], figures["errors"][:10]
    assert figures["unexpected"] == [], figures["unexpected"][:10]
    assert figures["problems"] == [], figures["problems"][:10]
    assert figures["accepted"] > 0
    assert figures["completed_lifecycles"] > 0
    if figures["hit_deadline"]:
        return
    # Finished: every nomination was tried and every accepted one reached a final state.
    assert figures["tried"] == figures["nominations"]
    ended = figures["ended"]
    assert sum(ended.values()) == figures["nominations"], ended
    assert all(ended.get(s, 0) > 0 for s in (*LIFECYCLE.finals, "refused")), ended
    codes = figures["codes"]
    for code in (
        "office_quota",
        "rank",
        "already_active",
        "illegal_transition",
        "change_project_missing",
        "mentor_missing",
        "assessment_missing",
        "assessment_not_passing",
        "reason_required",
    ):
        assert codes.get(code, 0) > 0, (code, codes)
    assert figures["replayed"] > 0
    assert figures["reopened"] > 0


def test_soak(pool: Pool, url: str) -> None:
    """20 cohorts of 8 (plus 4 extra nominations each), 4 processes, bounded at 120 s."""
    figures = _soak(pool, url, cohorts=20, size=8, block=2, bound=120.0)
    _report(url, figures)
    _assert_consistent(figures)


@pytest.mark.heavy
def test_soak_heavy(pool: Pool, url: str) -> None:
    """200 cohorts of 30 (plus 4 extra nominations each), 4 processes, bounded at 10 min."""
    figures = _soak(pool, url, cohorts=200, size=30, block=4, bound=600.0)
    _report(url, figures)
    _assert_consistent(figures)


def test_reconcile_catches_drift(pool: Pool, tmp_path: Path) -> None:
    """The control: drift planted after a small soak is reported, each kind by name.

    The reconciliation is the same code on both backends, so the control runs on SQLite
    only: a counter off by one, an office counter off by one, a state changed behind the
    audit trail's back, an accepted entry and a refusal the workers did not report; verify
    names the stored facts that differ from the chain.
    """
    url = f"sqlite:///{tmp_path / 'drift.db'}"
    made, blocks = _plan(4, 8, 2)
    tallies = _run(pool, url, made, blocks, 120.0)
    assert _reconcile(url, made, tallies) == []
    store = SqlStore(url)
    try:
        with store.engine.begin() as connection:
            connection.execute(
                text("UPDATE cohorts SET seated = seated + 1 WHERE code = 'SOAK-000'")
            )
            connection.execute(
                text(
                    "UPDATE cohort_offices SET seated = seated + 1 WHERE office_code = 'OPD002' "
                    "AND cohort_id = (SELECT id FROM cohorts WHERE code = 'SOAK-001')"
                )
            )
            moved = connection.execute(
                text(
                    "UPDATE enrolments SET state = 'seminar' WHERE cohort_id = "
                    "(SELECT id FROM cohorts WHERE code = 'SOAK-002') AND state = 'graduated'"
                )
            ).rowcount
    finally:
        store.close()
    assert moved > 0
    dropped = tallies[0].accepted.pop()
    tallies[1].refused["SOAK-003", "197201012000031999", "graduate"] += 1
    problems = "\n".join(_reconcile(url, made, tallies))
    for expected in (
        "SOAK-000: seated counter",
        "SOAK-000: verify: cohorts SOAK-000 seated",
        "('SOAK-001', 'OPD002'): office counter",
        "SOAK-001: verify: cohort_offices OPD002 seated",
        "SOAK-002: states_as_of differs",
        "SOAK-002: verify: enrolments 1972",
        "SOAK-002 1972",  # the independent replay names the person
        "flags (False, True, True) in seminar",
        f"1 stored not reported, e.g. [] / [{dropped}]",
        "refused entries: reported",
    ):
        assert expected in problems, (expected, problems)
