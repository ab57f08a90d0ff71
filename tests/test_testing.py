"""What ``changeflow.testing`` ships: Hypothesis strategies and the store contract suite.

The strategies produce what they promise; the contract suite is bound by a third-party
store without any of changeflow's own test helpers.
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from pydantic import ValidationError

from changeflow import (
    ChangeProject,
    Cohort,
    CohortParameters,
    FixedClock,
    MemoryStore,
    Office,
    Participant,
    parse_nip,
    testing,
)
from changeflow.rules import Rank, RetirementHorizon, RuleContext, Standing, builtin_rules
from changeflow.states import DEFAULT_ENROLMENT_RULES, DEFAULT_LIFECYCLE, ENROL
from changeflow.testing import (
    RANKS,
    CountingFacts,
    DurableStoreContract,
    EngineContract,
    StoreContract,
    change_projects,
    cohorts,
    counting_facts,
    eligible_participants,
    malformed_nips,
    nips,
    offices,
    participants,
    rule_contexts,
    strategies,
)
from changeflow.testing import contract as contract_module
from factories import DINKES, make_cohort, trusted_engine

if TYPE_CHECKING:
    from pathlib import Path

COHORT_2019 = make_cohort()
EARLIEST_ELIGIBLE_2019 = date(1965, 4, 1)
"""Pension on 1 May 2023, after 4 April 2023 (start + 4 years); a month earlier is too late."""


def _enrolment_context(cohort: Cohort, person: Participant) -> RuleContext:
    return RuleContext(
        cohort, person, ENROL, None, "enrolled", CountingFacts(), datetime(2019, 4, 4, tzinfo=UTC)
    )


def _pairs(event: str) -> set[tuple[str | None, str]]:
    if event == ENROL:
        return {(None, DEFAULT_LIFECYCLE.initial)}
    return {
        (source, spec.dest)
        for spec in DEFAULT_LIFECYCLE.transitions
        if spec.event == event
        for source in DEFAULT_LIFECYCLE.sources(spec)
    }


@given(nips())
def test_nips_are_valid(nip: str) -> None:
    """Every drawn NIP is 18 ASCII digits and decodes without error."""
    assert len(nip) == 18
    assert nip.isascii()
    assert nip.isdigit()
    parse_nip(nip)


@given(st.data(), st.dates(date(1000, 1, 1), date(9999, 11, 30)))
def test_nips_embed_the_given_birth_date(data: st.DataObject, born: date) -> None:
    """A NIP drawn for a birth date encodes that date, even near the year 9999."""
    nip = data.draw(nips(born=born))
    assert parse_nip(nip).birth_date == born


@given(nips(born=st.just(date(9999, 11, 30))))
def test_nips_born_at_the_end_of_the_calendar_are_appointed_in_its_last_month(nip: str) -> None:
    """A birth in November 9999 leaves only December 9999 as the appointment month."""
    assert parse_nip(nip).appointed == (9999, 12)


@given(offices())
def test_offices_are_valid(office: Office) -> None:
    """Every drawn office survives strict revalidation unchanged."""
    assert Office.model_validate(office.model_dump()) == office


@given(participants())
def test_participants_are_valid(person: Participant) -> None:
    """Every drawn participant survives strict revalidation unchanged and holds a known rank."""
    assert Participant.model_validate(person.model_dump()) == person
    assert person.echelon in RANKS


@given(participants(office=DINKES, echelon="IV.a", born=date(1980, 2, 29)))
def test_participants_keep_fixed_fields(person: Participant) -> None:
    """Fixed office, echelon and birth date are used as given."""
    assert (person.office, person.echelon, person.born) == (DINKES, "IV.a", date(1980, 2, 29))


@given(participants(born=st.dates(date(1960, 1, 1), date(1960, 12, 31)), retirement_age=60))
def test_participants_draw_from_given_strategies(person: Participant) -> None:
    """A birth-date strategy bounds the birth date; a fixed retirement age is set."""
    assert person.born.year == 1960
    assert person.retirement_age == 60


@given(cohorts())
def test_cohorts_are_valid(cohort: Cohort) -> None:
    """Every drawn cohort survives strict revalidation, ends after it starts, has a seat."""
    assert Cohort.model_validate(cohort.model_dump()) == cohort
    assert cohort.start <= cohort.end
    assert cohort.capacity >= 1


@given(cohorts(code="PKA-X", start=date(2019, 4, 4), capacity=6, parameters=CohortParameters()))
def test_cohorts_keep_fixed_fields(cohort: Cohort) -> None:
    """Fixed code, start, capacity and parameters are used as given."""
    assert (cohort.code, cohort.start, cohort.capacity) == ("PKA-X", date(2019, 4, 4), 6)
    assert cohort.parameters == CohortParameters()


@given(st.data(), cohorts())
def test_eligible_participants_pass_rank_and_retirement_horizon(
    data: st.DataObject, cohort: Cohort
) -> None:
    """Eligible participants of any drawn cohort pass its rank and retirement-horizon rules."""
    person = data.draw(eligible_participants(cohort))
    context = _enrolment_context(cohort, person)
    assert Rank()(context).ok
    assert RetirementHorizon()(context).ok


@given(st.data(), cohorts())
def test_eligible_participants_are_enrolled_by_an_empty_engine(
    data: st.DataObject, cohort: Cohort
) -> None:
    """In an engine with nobody enrolled, an eligible participant meets no objection."""
    person = data.draw(eligible_participants(cohort))
    engine = trusted_engine(MemoryStore(), clock=FixedClock(datetime(2019, 4, 4, tzinfo=UTC)))
    engine.create_cohort(cohort)
    assert engine.check_enrolment(cohort.code, person) == ()


@given(eligible_participants(COHORT_2019))
def test_eligible_participants_of_2019_are_born_on_or_after_the_boundary(
    person: Participant,
) -> None:
    """No eligible participant of the 2019 cohort is born before 1 April 1965."""
    assert person.born >= EARLIEST_ELIGIBLE_2019


def test_the_2019_boundary_is_where_the_rule_says() -> None:
    """The hand-computed 2019 boundary is accepted and the day before it refused."""
    horizon = RetirementHorizon()
    on = Participant(
        nip=f"{EARLIEST_ELIGIBLE_2019:%Y%m%d}1990011001", name="A", office=DINKES, echelon="III.a"
    )
    before = Participant(nip="196503311990011001", name="B", office=DINKES, echelon="III.a")
    assert horizon(_enrolment_context(COHORT_2019, on)).ok
    assert not horizon(_enrolment_context(COHORT_2019, before)).ok


def test_eligible_participants_refuse_a_cohort_nobody_can_join() -> None:
    """A cohort whose horizon outlasts everyone's career is refused when the strategy is built."""
    cohort = make_cohort(min_years_to_retirement=40, retirement_age=30)
    with pytest.raises(InvalidArgument, match="admits nobody"):
        eligible_participants(cohort)


@given(malformed_nips())
def test_malformed_nips_are_refused_by_participant_validation(nip: str) -> None:
    """Every malformed NIP makes Participant validation fail on the ``nip`` field."""
    with pytest.raises(ValidationError) as caught:
        Participant(nip=nip, name="Budi", office=DINKES, echelon="III.a")
    assert {err["loc"] for err in caught.value.errors()} == {("nip",)}


@given(change_projects(with_mentor=True))
def test_change_projects_with_mentor_have_one(project: ChangeProject) -> None:
    """``with_mentor=True`` always attaches a mentor."""
    assert project.mentor is not None


@given(change_projects(with_mentor=False))
def test_change_projects_without_mentor_have_none(project: ChangeProject) -> None:
    """``with_mentor=False`` never attaches a mentor."""
    assert project.mentor is None


def test_counting_facts_count_absent_keys_as_zero() -> None:
    """Cohorts, offices and people absent from the dictionaries count as zero or nobody."""
    facts = CountingFacts(
        seats={"A": 3},
        office_seats={("A", "DINKES"): 2},
        standings={"1": Standing(active_in="A")},
    )
    assert (facts.seated("A"), facts.seated("B")) == (3, 0)
    assert (facts.seated_from_office("A", "DINKES"), facts.seated_from_office("A", "BKD")) == (2, 0)
    assert (facts.standing("1"), facts.standing("2")) == (Standing(active_in="A"), Standing())


@given(st.data(), cohorts(), participants())
def test_counting_facts_are_consistent(
    data: st.DataObject, cohort: Cohort, person: Participant
) -> None:
    """Drawn facts never seat more people from one office than in the whole cohort."""
    facts = data.draw(counting_facts(cohort, person))
    assert facts.seated_from_office(cohort.code, person.office.code) >= 0
    assert facts.seated_from_office(cohort.code, person.office.code) <= facts.seated(cohort.code)


@given(st.data(), st.sampled_from([ENROL, *DEFAULT_LIFECYCLE.events]))
def test_rule_contexts_make_a_move_of_their_event(data: st.DataObject, event: str) -> None:
    """A context for an event carries that event and one of the moves it makes."""
    context = data.draw(rule_contexts(event))
    assert context.event == event
    assert (context.source, context.target) in _pairs(event)


@given(rule_contexts(cohort=COHORT_2019, participant=eligible_participants(COHORT_2019)))
def test_rule_contexts_use_a_given_cohort_and_participant_strategy(context: RuleContext) -> None:
    """A fixed cohort is used as is, and the participant comes from the given strategy."""
    assert context.cohort == COHORT_2019
    assert context.participant.born >= EARLIEST_ELIGIBLE_2019


def test_rule_contexts_refuse_an_unknown_event() -> None:
    """Asking for contexts of an event the lifecycle lacks fails when the strategy is built."""
    with pytest.raises(InvalidArgument, match="no event 'graduate_early'"):
        rule_contexts("graduate_early")


def test_rule_contexts_reach_both_verdicts_of_every_enrolment_rule() -> None:
    """Drawn enrolment contexts include ones each default enrolment rule accepts and refuses."""
    rules = {name: builtin_rules()[name] for name in DEFAULT_ENROLMENT_RULES}
    seen: set[tuple[str, bool]] = set()

    @settings(max_examples=300, derandomize=True, database=None)
    @given(rule_contexts(ENROL))
    def judge(context: RuleContext) -> None:
        seen.update((name, rule(context).ok) for name, rule in rules.items())

    judge()
    assert seen == {(name, ok) for name in rules for ok in (True, False)}


def test_importing_changeflow_does_not_import_hypothesis() -> None:
    """``import changeflow`` leaves Hypothesis unimported: it is only a test extra."""
    code = "import sys, changeflow; sys.exit('hypothesis' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], check=False)
    assert done.returncode == 0


STRATEGY_NAMES = (
    "RANKS",
    "CountingFacts",
    "change_projects",
    "cohort_parameters",
    "cohorts",
    "counting_facts",
    "eligible_participants",
    "malformed_nips",
    "nips",
    "offices",
    "participants",
    "rule_contexts",
)
"""Everything ``changeflow.testing`` exported when it was a single module."""


def test_the_package_exports_what_the_module_did_and_the_contracts() -> None:
    """Every name of the former module, and the three contract classes, are exported."""
    assert set(testing.__all__) == {
        *STRATEGY_NAMES,
        "DurableStoreContract",
        "EngineContract",
        "StoreContract",
    }
    for name in STRATEGY_NAMES:
        assert getattr(testing, name) is getattr(strategies, name)
    for name in ("DurableStoreContract", "EngineContract", "StoreContract"):
        assert getattr(testing, name) is getattr(contract_module, name)
        assert not name.startswith("Test")  # pytest collects a contract only where bound
    with pytest.raises(AttributeError):
        _ = testing.NoSuchContract


def test_the_strategies_do_not_import_pytest_or_the_contracts() -> None:
    """``from changeflow.testing import nips`` loads neither pytest nor the contract suite."""
    code = (
        "import sys\n"
        "from changeflow.testing import nips, CountingFacts\n"
        "assert 'pytest' not in sys.modules, 'pytest'\n"
        "assert 'changeflow.testing.contract' not in sys.modules, 'contract'\n"
        "from changeflow.testing import StoreContract\n"
        "assert StoreContract.__module__ == 'changeflow.testing.contract'\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=60
    )
    assert done.returncode == 0, done.stderr


THIRD_PARTY = textwrap.dedent(
    """
    import pytest

    from changeflow import MemoryStore
    from changeflow.store.sql import SqlStore
    from changeflow.testing import DurableStoreContract, EngineContract, StoreContract


    class TestTheirMemoryStore(StoreContract):
        '''The store contract, bound as the changeflow.testing documentation shows.'''

        @pytest.fixture
        def make_store(self):
            return MemoryStore


    class TestTheirMemoryEngine(EngineContract):
        '''The engine contract on the same store.'''

        @pytest.fixture
        def make_store(self):
            return MemoryStore


    class TestTheirDurableStore(DurableStoreContract):
        '''The durable contract, with a reopen fixture.'''

        @pytest.fixture
        def make_store(self, tmp_path):
            return lambda: SqlStore(f"sqlite:///{tmp_path / 'theirs.db'}")

        @pytest.fixture
        def reopen(self, make_store):
            return make_store
    """
)


def test_a_third_party_binds_the_contract_outside_this_repository(tmp_path: Path) -> None:
    """The suite runs in a project of its own: no changeflow conftest, factories or config."""
    (tmp_path / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    (tmp_path / "test_their_store.py").write_text(THIRD_PARTY, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "error", "."],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:]

    def tests(contract_class: type) -> int:
        return sum(name.startswith("test_") for name in dir(contract_class))

    expected = (
        tests(StoreContract)
        + len(contract_module.ROUND_TRIPS)
        - 1  # one test runs once per round-tripped entry
        + tests(EngineContract)
        + tests(DurableStoreContract)
    )
    summary = re.search(r"(\d+) passed", done.stdout)
    assert summary is not None, done.stdout[-3000:]
    assert int(summary.group(1)) == expected
