"""Hostile input is refused with a typed error naming the field or line, and changes nothing.

Hypothesis generates malformed engine commands (wrong types, extra keys, unknown offices,
cohorts, NIPs and events, bad dates, huge strings, SQL, NUL, control characters and
unpaired surrogates; the record's commands too: projects, scores and groups for closed
records, corrections without a reason or turning an outcome, transfers into a full or an
unknown office, reopenings, migrations that cannot be applied), malformed rosters
(headers, encodings, broken quotes, long lines, over-long quoted fields hiding a row after a
line break, rosters past their size or row cap, non-Latin and colliding office names, bad
rows), malformed lifecycle definitions (as
mappings and as TOML, YAML and JSON text) and malformed ``changeflow --json`` command lines.
Each must be refused:

- engine calls with a :class:`~changeflow.errors.ChangeflowError` subclass, or pydantic's
  ``ValidationError`` where the API documents it (a nomination given as data, a bare score,
  a corrected fact, a model built with ``model_validate``), naming the field, the unknown
  key or the rule; a refusal by the rules leaves its refused-attempt entry, a refused
  migration nothing at all;
- rosters row by row (``line N: field: ...``) or as a whole (``InvalidInput`` on ``roster``),
  different office names never placed in one office;
- definitions with a ``DefinitionError`` listing the problem;
- command lines with exit status 2, 3 or 4 and one JSON error document on stdout, never a
  traceback.

The stateful parts run on a real SQLite file and on the private PostgreSQL server. A logical
dump (every table, rows sorted) is taken before and after the barrage: the only difference
allowed is new audit rows whose outcome is ``refused`` (with the chain head on the cohort row
moving accordingly, and the idempotency records of keyed refused commands), and afterwards
:meth:`Engine.verify` passes: every stored fact still equals its chain's replay.
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from pydantic import ValidationError
from sqlalchemy import create_engine, inspect, text
from typer.testing import CliRunner

from changeflow import Engine, FixedClock
from changeflow.cli.app import app
from changeflow.errors import (
    ChangeflowError,
    DefinitionError,
    InvalidInput,
    TransitionRejected,
)
from changeflow.roster import RosterRow, enrol_roster, read_roster
from changeflow.rules.registry import RuleRegistry
from changeflow.states.definition import load_definition
from changeflow.store.sql import SqlStore
from factories import make_participant, office, trusted_engine
from reliability.figures import report
from reliability.hostile import (
    COHORT,
    Case,
    CliCase,
    DefinitionCase,
    RosterCase,
    build_world,
    cli_cases,
    command_cases,
    definition_cases,
    names_what_it_should,
    roster_cases,
    toml_text,
)

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

SHARES = {
    ("commands", "sqlite"): 4_400,
    ("commands", "postgresql"): 600,
    ("rosters", "sqlite"): 2_500,
    ("rosters", "postgresql"): 300,
    ("definitions", "none"): 2_000,
    ("cli", "sqlite"): 600,
    ("cli", "postgresql"): 60,
}
"""Examples per check and backend in the default (`make test`) variant. A command line
costs about 23 ms on SQLite and 45 on PostgreSQL (each opens the database), a roster 6, a
definition 5, a command 3."""

HEAVY_FACTOR = 5
"""The heavy variant (`make test-reliability`) runs this many times as many examples."""

SIZES = [
    pytest.param(1, id="default"),
    pytest.param(HEAVY_FACTOR, id="heavy", marks=pytest.mark.heavy),
]

TARGET = 10_000
"""The default variant must run at least this many examples in all."""

assert sum(SHARES.values()) >= TARGET
EXAMPLES_RUN: Counter[str] = Counter()
"""Examples actually run per check in this session (a failing one stops its check)."""


def _settings(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        print_blob=True,
    )


def _settle(
    check: str,
    backend: str,
    url: str,
    before: dict[str, list[Any]],
    kinds: Counter[str],
    started: float,
    **figures: Any,
) -> tuple[int, int]:
    """After a barrage: only refusals were added, the chain verifies; report the figures.

    Returns the refused audit rows added and the attempts made.
    """
    refused_rows = only_refusals_added(before, dump(url))
    entries = _verified(url)
    attempts = sum(kinds.values())
    report(
        f"hostile {check}",
        backend,
        {
            "attempts": attempts,
            "faults": attempts,
            "lost": 0,
            "inconsistent": 0,
            "refused_rows": refused_rows,
            "chain_entries": entries,
            **figures,
            "kinds": dict(kinds.most_common()),
            "duration_s": round(time.perf_counter() - started, 1),
        },
    )
    return refused_rows, attempts


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, str]:
    """A fresh database URL on each backend, with the backend's name."""
    if request.param == "sqlite":
        return "sqlite", f"sqlite:///{tmp_path / 'hostile.db'}"
    return "postgresql", request.getfixturevalue("pg_url")


# -- the logical dump ---------------------------------------------------------------------------


def dump(url: str) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, rows sorted, as plain dictionaries."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            tables = sorted(inspect(connection).get_table_names())
            return {
                table: sorted(
                    (
                        dict(row._mapping)
                        for row in connection.execute(text(f'SELECT * FROM "{table}"'))  # noqa: S608
                    ),
                    key=repr,
                )
                for table in tables
            }
    finally:
        engine.dispose()


def _added(before: list[dict[str, Any]], after: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows of ``after`` not in ``before``; every row of ``before`` must still be there."""
    kept = {repr(row) for row in before}
    present = {repr(row) for row in after}
    assert kept <= present, "rows were changed or deleted"
    return [row for row in after if repr(row) not in kept]


def only_refusals_added(before: dict[str, list[Any]], after: dict[str, list[Any]]) -> int:
    """Assert the dumps differ only by refused audit rows (and what they move); their count."""
    assert before.keys() == after.keys()
    beside = {"subjects", "personal_data"}  # a refused entry's sealed values, its subject
    for table in before.keys() - {"audit", "cohorts", "idempotency"} - beside:
        assert before[table] == after[table], f"table {table} changed"
    added = _added(before["audit"], after["audit"])
    assert {row["outcome"] for row in added} <= {"refused"}, Counter(r["outcome"] for r in added)
    by_cohort = Counter(row["cohort_id"] for row in added)
    _check_heads(before["cohorts"], after["cohorts"], after["audit"], by_cohort)
    new_seqs = {(row["cohort_id"], row["seq"]) for row in added}
    for values in _added(before["personal_data"], after["personal_data"]):
        assert (values["cohort_id"], values["seq"]) in new_seqs, values
    subjects = {row["nip"] for row in added}
    for subject in _added(before["subjects"], after["subjects"]):
        assert subject["id"] in subjects, subject
    for record in _added(before["idempotency"], after["idempotency"]):
        seqs = json.loads(record["seqs"])
        for seq in seqs if isinstance(seqs, list) else [seqs]:
            assert (record["cohort_id"], seq) in new_seqs, record
    return len(added)


def _check_heads(
    before: list[dict[str, Any]],
    after: list[dict[str, Any]],
    audit: list[dict[str, Any]],
    added: Counter[int],
) -> None:
    """Cohort rows are unchanged but for the chain head, which moved over the new rows."""
    moving = {"chain_seq", "chain_hash"}
    old = {row["id"]: row for row in before}
    assert old.keys() == {row["id"] for row in after}
    hashes = {(row["cohort_id"], row["seq"]): row["hash"] for row in audit}
    for row in after:
        was = old[row["id"]]
        assert {k: v for k, v in row.items() if k not in moving} == {
            k: v for k, v in was.items() if k not in moving
        }
        assert row["chain_seq"] == was["chain_seq"] + added[row["id"]]
        if added[row["id"]]:
            assert row["chain_hash"] == hashes[(row["id"], row["chain_seq"])]
        else:
            assert row["chain_hash"] == was["chain_hash"]


def _verified(url: str) -> int:
    store = SqlStore(url)
    try:
        checks = trusted_engine(store).verify()
        assert all(c.ok for c in checks), [c.problem for c in checks if not c.ok]
        return sum(c.entries for c in checks)
    finally:
        store.close()


def _world(url: str) -> None:
    store = SqlStore(url)
    try:
        build_world(trusted_engine(store, clock=FixedClock(datetime(2019, 4, 4, 8, tzinfo=UTC))))
    finally:
        store.close()


def test_the_dump_check_catches_any_other_write(tmp_path: Path) -> None:
    """Control: a refused enrolment passes the dump check, an accepted one does not."""
    url = f"sqlite:///{tmp_path / 'control.db'}"
    _world(url)
    before = dump(url)
    store = SqlStore(url)
    engine = trusted_engine(store, clock=FixedClock(datetime(2019, 4, 4, 8, tzinfo=UTC)))
    try:
        person = make_participant(office=office(7))
        with pytest.raises(TransitionRejected):
            engine.enrol(COHORT, person.model_copy(update={"echelon": "IV.a"}))
        assert only_refusals_added(before, dump(url)) == 1
        engine.enrol(COHORT, person)
    finally:
        store.close()
    with pytest.raises(AssertionError):
        only_refusals_added(before, dump(url))


# -- engine commands ----------------------------------------------------------------------------


def _raised(call: Callable[[], object]) -> BaseException | None:
    """The exception ``call`` raised, if any (the caller checks its type)."""
    try:
        call()
    except Exception as error:  # noqa: BLE001 - every type is caught to be checked
        return error
    return None


def _refused(engine: Engine, case: Case) -> BaseException:
    """Run ``case``; the error it raised, which must be of an expected type."""
    error = _raised(lambda: case.run(engine))
    if error is None:
        pytest.fail(f"{case.label}: accepted ({case.detail})")
    if not isinstance(error, case.errors):
        pytest.fail(f"{case.label}: {type(error).__name__} escaped: {error!r:.500} ({case.detail})")
    return error


@pytest.mark.parametrize("factor", SIZES)
def test_hostile_commands_are_refused(backend: tuple[str, str], factor: int) -> None:
    """Every malformed command is refused with its field named; only refusals are written."""
    name, url = backend
    examples = SHARES[("commands", name)] * factor
    _world(url)
    before = dump(url)
    store = SqlStore(url, synchronous="NORMAL")
    engine = trusted_engine(store, clock=FixedClock(datetime(2019, 4, 4, 8, tzinfo=UTC)))
    kinds: Counter[str] = Counter()
    hidden: Counter[str] = Counter()
    expected_rows = 0
    started = time.perf_counter()

    @_settings(examples)
    @given(case=command_cases)
    def barrage(case: Case) -> None:
        nonlocal expected_rows
        head = store.head(COHORT).seq
        error = _refused(engine, case)
        # The contract: a changeflow error, or pydantic's where the API validates data.
        assert isinstance(error, ChangeflowError | ValidationError), repr(error)
        assert names_what_it_should(error, case.names), (case.label, case.detail, repr(error))
        assert store.head(COHORT).seq - head == case.audited, case.label
        expected_rows += case.audited
        kinds[type(error).__name__] += 1
        if case.label.startswith("hidden:"):  # bidi, line-break or invisible: refused or kept
            hidden[case.label.rsplit(":", 1)[1]] += 1
        EXAMPLES_RUN[f"commands:{name}"] += 1

    try:
        barrage()
    finally:
        store.close()
    refused_rows, attempts = _settle(
        "commands",
        name,
        url,
        before,
        kinds,
        started,
        hidden_characters=dict(sorted(hidden.items())),
    )
    assert refused_rows == expected_rows
    assert attempts >= examples


# -- rosters ------------------------------------------------------------------------------------


def _check_roster(engine: Engine, case: RosterCase, path: Path) -> int:
    """Apply one roster; the refused audit rows it must have added."""
    path.write_bytes(case.data)
    parsed: list[RosterRow] = []
    offices = engine.store.offices()
    error = _raised(lambda: parsed.extend(read_roster(path, offices=offices, **case.limits)))
    if error is not None:
        assert isinstance(error, InvalidInput), (case.label, repr(error))
        assert case.whole is not None, (case.label, str(error))
        assert error.field == "roster"
        assert case.whole in str(error), (case.label, str(error))
        return 0
    assert case.whole is None, (case.label, parsed)
    if case.offices is not None:  # different names are never merged into one office
        placed = {row.participant.office.code for row in parsed if row.participant is not None}
        assert len(placed) == case.offices, (case.label, placed)
    report = enrol_roster(engine, COHORT, parsed, actor="hostile")
    assert not report.accepted, (case.label, report.to_dict())
    got = [(o.line, o.status, o.violations) for o in report.outcomes]
    assert len(got) == len(case.rows), (case.label, case.rows, got)
    for (line, field), (found, status, violations) in zip(case.rows, got, strict=True):
        assert (found, status) == (line, "refused"), (case.label, case.rows, got)
        if field is None:
            assert "rank" in {v.code for v in violations}, (case.label, violations)
            continue
        first = violations[0]
        assert first.code == "invalid_input", (case.label, violations)
        assert first.message.startswith(f"line {line}: "), (case.label, first.message)
        assert field in str(first.facts["field"]).split(", "), (case.label, field, first)
    return case.audited


@pytest.mark.parametrize("factor", SIZES)
def test_hostile_rosters_are_refused(backend: tuple[str, str], factor: int, tmp_path: Path) -> None:
    """Every bad roster row is refused naming its line and field; unusable files as a whole."""
    name, url = backend
    examples = SHARES[("rosters", name)] * factor
    _world(url)
    before = dump(url)
    store = SqlStore(url, synchronous="NORMAL")
    engine = trusted_engine(store, clock=FixedClock(datetime(2019, 4, 4, 8, tzinfo=UTC)))
    path = tmp_path / "roster.csv"
    kinds: Counter[str] = Counter()
    expected_rows = 0
    started = time.perf_counter()

    @_settings(examples)
    @given(case=roster_cases)
    def barrage(case: RosterCase) -> None:
        nonlocal expected_rows
        head = store.head(COHORT).seq
        audited = _check_roster(engine, case, path)
        assert store.head(COHORT).seq - head == audited, case.label
        expected_rows += audited
        kinds[case.label.split(":")[1].split("_")[0]] += 1
        EXAMPLES_RUN[f"rosters:{name}"] += 1

    try:
        barrage()
    finally:
        store.close()
    refused_rows, attempts = _settle("rosters", name, url, before, kinds, started)
    assert refused_rows == expected_rows
    assert attempts >= examples


# -- lifecycle definitions ----------------------------------------------------------------------


def _definition_source(case: DefinitionCase, folder: Path) -> Any:
    """The mapping or the file the case is loaded from.

    Data is written in the case's format only when the text reads back as the same data (an
    unpaired surrogate, say, has no TOML form); otherwise it is given as a mapping.
    """
    if case.text is not None:
        path = folder / f"definition{case.suffix}"
        path.write_bytes(case.text)
        return path
    assert case.data is not None
    rendered = _render(case.data, case.suffix)
    if rendered is None:
        return case.data
    path = folder / f"definition{case.suffix}"
    path.write_bytes(rendered)
    return path


def _render(data: dict[str, Any], suffix: str) -> bytes | None:
    import tomllib  # noqa: PLC0415

    renderers = {
        ".json": (lambda d: json.dumps(d, ensure_ascii=False), json.loads),
        ".yaml": (
            lambda d: yaml.dump(d, Dumper=yaml.CSafeDumper, allow_unicode=True),
            lambda t: yaml.load(t, Loader=yaml.CSafeLoader),
        ),
        ".toml": (toml_text, tomllib.loads),
    }
    if suffix not in renderers:
        return None
    write, read = renderers[suffix]
    try:
        body = write(data)
        encoded = body.encode("utf-8")
        same = read(body) == data
    except Exception:  # noqa: BLE001 - the format cannot carry this data
        return None
    return encoded if same else None


@pytest.mark.parametrize("factor", SIZES)
def test_hostile_definitions_are_refused(factor: int, tmp_path: Path) -> None:
    """Every malformed lifecycle definition raises DefinitionError naming the problem."""
    examples = SHARES[("definitions", "none")] * factor
    folder = tmp_path
    rules = tuple(RuleRegistry.default())
    kinds: Counter[str] = Counter()
    started = time.perf_counter()

    @_settings(examples)
    @given(case=definition_cases)
    def barrage(case: DefinitionCase) -> None:
        source = _definition_source(case, folder)
        error = _raised(lambda: load_definition(source, rules if case.rules else None))
        assert isinstance(error, DefinitionError), (case.label, repr(error)[:500])
        assert names_what_it_should(error, case.names), (case.label, case.names, str(error))
        kinds[case.label.split(":")[1]] += 1
        EXAMPLES_RUN["definitions"] += 1

    barrage()
    attempts = sum(kinds.values())
    report(
        "hostile definitions",
        "none",
        {
            "attempts": attempts,
            "faults": attempts,
            "lost": 0,
            "inconsistent": 0,
            "kinds": dict(kinds.most_common()),
            "duration_s": round(time.perf_counter() - started, 1),
        },
    )
    assert attempts >= examples


# -- the command line ---------------------------------------------------------------------------


def _invoke(runner: CliRunner, case: CliCase, url: str, folder: Path) -> None:
    """Run one command line and check its exit status and JSON error document."""
    for name, data in case.files:
        (folder / name).write_bytes(data)
    args = [a.replace("{db}", url).replace("{dir}", str(folder)) for a in case.args]
    result = runner.invoke(app, args)
    where = (case.label, args[2:6], result.exit_code, result.stdout[-600:], result.stderr[-600:])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        pytest.fail(f"{case.label}: {type(result.exception).__name__} escaped: {where}")
    assert "Traceback" not in result.stdout + result.stderr, where
    assert result.exit_code in case.statuses, where
    document = json.loads(result.stdout)  # exactly one JSON document
    assert document["schema_version"] == 2, where
    if case.kinds:
        error = document["error"]
        assert error["kind"] in case.kinds, where
        assert error["exit_code"] == result.exit_code, where
        assert error["message"], where
    else:
        assert document["refused"], where
        assert not document["accepted"], where


@pytest.mark.parametrize("factor", SIZES)
def test_hostile_command_lines_fail_cleanly(
    backend: tuple[str, str], factor: int, tmp_path: Path
) -> None:
    """Every bad command line exits 2, 3 or 4 with one JSON error document, no traceback."""
    name, url = backend
    examples = SHARES[("cli", name)] * factor
    _world(url)
    before = dump(url)
    runner = CliRunner(env={"CHANGEFLOW_ACTOR": "BKD"})
    kinds: Counter[str] = Counter()
    statuses: Counter[int] = Counter()
    expected_rows = 0
    started = time.perf_counter()

    @_settings(examples)
    @given(case=cli_cases)
    def barrage(case: CliCase) -> None:
        nonlocal expected_rows
        _invoke(runner, case, url, tmp_path)
        expected_rows += case.audited
        kinds[case.label.split(":")[0]] += 1
        statuses[min(case.statuses)] += 1
        EXAMPLES_RUN[f"cli:{name}"] += 1

    barrage()
    refused_rows, attempts = _settle(
        "command lines",
        name,
        url,
        before,
        kinds,
        started,
        exit_statuses=dict(sorted(statuses.items())),
    )
    assert refused_rows == expected_rows
    assert attempts >= examples


def test_examples_reach_the_target() -> None:
    """The default variant's checks together ran at least 10,000 examples.

    Runs last in this module; when only some checks were selected it has nothing to add.
    """
    ran = sum(EXAMPLES_RUN.values())
    print(
        f"\n[reliability] hostile input examples run: {ran} {dict(EXAMPLES_RUN)}", file=sys.stderr
    )
    checks = {"commands:sqlite", "rosters:sqlite", "definitions", "cli:sqlite"}
    if not checks <= EXAMPLES_RUN.keys():
        pytest.skip("not every hostile-input check ran in this session")
    assert ran >= TARGET
