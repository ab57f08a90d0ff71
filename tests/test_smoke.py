"""The package imports and runs one enrolment end to end."""

from changeflow import Cohort, Engine
from factories import make_participant


def test_enrol_then_start_class(engine: Engine, cohort: Cohort) -> None:
    """An eligible participant is enrolled and can start class."""
    person = make_participant()
    engine.enrol(cohort.code, person)
    assert engine.fire(cohort.code, person.nip, "start_class").target == "on_class"
    assert engine.state(cohort.code, person.nip) == "on_class"
