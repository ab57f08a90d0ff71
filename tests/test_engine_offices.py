"""The office registry through the engine, on every store: aliases, closing, refusals."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest

from changeflow import Engine, Office, TransitionRejected
from changeflow.errors import InvalidInput, NotFound
from changeflow.offices import OfficeConflict
from changeflow.roster import enrol_roster, parse_roster
from factories import BKD, DINKES, make_cohort, make_nip, make_participant, trusted_engine

if TYPE_CHECKING:
    from changeflow.clock import FixedClock
    from changeflow.store.base import Store

DISDIK = "Dinas Pendidikan dan Kebudayaan"
WHEN = datetime(2019, 4, 4, 8, 0, tzinfo=UTC)


@pytest.fixture
def engine(each_store: Store, clock: FixedClock) -> Engine:
    """An engine on a fresh store of each kind, with a 2019 cohort (2 per office)."""
    built = trusted_engine(each_store, clock=clock)
    built.create_cohort(make_cohort())
    return built


def _person(number: int, office: Office) -> object:
    return make_participant(nip=make_nip(sequence=number), name=f"Peserta {number}", office=office)


def test_the_disdik_scenario_a_third_from_one_office_meets_the_quota(engine: Engine) -> None:
    """The alias Disdik and the full name are one office: a third of them meets office_quota."""
    engine.add_office("DINDIKBUD", DISDIK, aliases=["Disdik"], actor="bkd-admin")
    code = make_cohort().code
    engine.enrol(code, _person(1, Office(code="DINDIKBUD", name=DISDIK)))
    engine.enrol(code, _person(2, Office.from_name(DISDIK)))
    with pytest.raises(TransitionRejected) as caught:
        engine.enrol(code, _person(3, Office.from_name("Disdik")))
    assert caught.value.codes == ("office_quota",)
    assert {e.participant.office.code for e in engine.participants(code)} == {"DINDIKBUD"}
    assert [o.code for o in engine.offices()] == ["DINDIKBUD"]


def test_case_spacing_and_punctuation_variants_resolve_to_one_office(engine: Engine) -> None:
    """Names and aliases match with case, spacing and punctuation aside; accents count."""
    engine.add_office("DINDIKBUD", DISDIK, aliases=["Disdik"], actor="bkd-admin")
    code = make_cohort().code
    for number, written in enumerate(["  dinas PENDIDIKAN,  dan kebudayaan", "D.I.S.D.I.K"], 1):
        engine.enrol(code, _person(number, Office.from_name(written)))
    engine.enrol(code, _person(3, Office.from_name("Dínas Kesehatan")))
    codes = sorted(e.participant.office.code for e in engine.participants(code))
    assert codes == ["DINAS-KESEHATAN", "DINDIKBUD", "DINDIKBUD"]
    assert {o.code for o in engine.offices()} == {"DINDIKBUD", "DINAS-KESEHATAN"}


def test_registry_records_aliases_and_who_added_them(engine: Engine) -> None:
    """offices() lists each office with its aliases, who added it and when."""
    engine.add_office("DINDIKBUD", DISDIK, aliases=["Disdik", "disdik"], actor="bkd-admin")
    engine.add_alias("disdik", "Dinas P dan K", actor="operator")
    (office,) = engine.offices()
    assert (office.code, office.name) == ("DINDIKBUD", DISDIK)
    assert sorted(office.aliases) == ["Dinas P dan K", "Disdik"]
    assert (office.added_by, office.added_at) == ("bkd-admin", WHEN)
    assert office == Office(code="DINDIKBUD", name=DISDIK)


def test_an_enrolment_registers_its_new_office_with_its_actor(engine: Engine) -> None:
    """An office created on first use is listed with the enrolling actor and the time."""
    engine.enrol(make_cohort().code, _person(1, BKD), actor="operator")
    (office,) = engine.offices()
    assert (office.code, office.aliases, office.added_by, office.added_at) == (
        "BKD",
        (),
        "operator",
        WHEN,
    )


def test_overwrites_are_refused_naming_both_offices(engine: Engine) -> None:
    """Another name for a code, or a name or alias another office holds, changes nothing."""
    engine.add_office("DINDIKBUD", DISDIK, aliases=["Disdik"], actor="bkd-admin")
    engine.add_office("DINKES", "Dinas Kesehatan", actor="bkd-admin")
    before = engine.offices()
    attempts = [
        (("DINDIKBUD", "Dinas Pendidikan"), (), "code", "DINDIKBUD"),
        (("DINKES2", "DINAS kesehatan"), (), "name", "DINKES"),
        (("DINKES", "Dinas Kesehatan"), ("disdik",), "alias", "DINDIKBUD"),
        (("DIKBUD", "Dinas Kebudayaan"), ("dinkes",), "alias", "DINKES"),
        (("dindikbud", "Dinas Baru"), (), "code", "DINDIKBUD"),
        (("DISDIK", "Dinas Baru"), (), "code", "DINDIKBUD"),
    ]
    for (code, name), aliases, what, holder in attempts:
        with pytest.raises(OfficeConflict) as caught:
            engine.add_office(code, name, aliases=aliases, actor="other")
        assert (caught.value.what, caught.value.holder.code) == (what, holder)
        assert caught.value.wanted.code == code
        assert holder in str(caught.value)
        assert code in str(caught.value)
    assert engine.offices() == before


def test_re_adding_an_office_the_same_way_changes_nothing(engine: Engine) -> None:
    """The same code and a name folding alike is accepted; new aliases only are added."""
    engine.add_office("DINDIKBUD", DISDIK, aliases=["Disdik"], actor="bkd-admin")
    again = engine.add_office("DINDIKBUD", DISDIK.upper(), aliases=["Disdik", "P dan K"], actor="x")
    assert (again.name, sorted(again.aliases), again.added_by) == (
        DISDIK,
        ["Disdik", "P dan K"],
        "bkd-admin",
    )


def test_add_alias_to_an_unknown_office_is_not_found(engine: Engine) -> None:
    """An alias needs a registered office; a blank alias is invalid input."""
    with pytest.raises(NotFound):
        engine.add_alias("Dinas Entah", "DE", actor="x")
    engine.add_office("BKD", "Badan Kepegawaian Daerah", actor="x")
    with pytest.raises(InvalidInput, match="aliases"):
        engine.add_alias("BKD", " ,. ", actor="x")


def test_import_is_all_or_nothing(engine: Engine) -> None:
    """An import registers every row, or none when one row conflicts."""
    rows = [
        {"code": "DINDIKBUD", "name": DISDIK, "aliases": "Disdik | Dikbud"},
        ("DINKES", "Dinas Kesehatan", ["Dinkes"]),
        ("BKD", "Badan Kepegawaian Daerah"),
    ]
    imported = engine.import_offices(rows, actor="bkd-admin")
    assert [(o.code, sorted(o.aliases)) for o in imported] == [
        ("BKD", []),
        ("DINDIKBUD", ["Dikbud", "Disdik"]),
        ("DINKES", ["Dinkes"]),
    ]
    assert engine.import_offices(rows, actor="again") == imported
    with pytest.raises(OfficeConflict):
        engine.import_offices(
            [("DISPAR", "Dinas Pariwisata"), ("DISPAR2", "Dinas Lain", "dikbud")], actor="x"
        )
    assert [o.code for o in engine.offices()] == ["BKD", "DINDIKBUD", "DINKES"]


def test_a_closed_store_refuses_an_unknown_office_with_the_nearest(engine: Engine) -> None:
    """Closed, an unregistered office is unknown_office, the nearest named; aliases still work."""
    engine.add_office("DINDIKBUD", DISDIK, aliases=["Disdik"], actor="bkd-admin")
    engine.add_office("DINKES", "Dinas Kesehatan", actor="bkd-admin")
    engine.close_offices(actor="bkd-admin")
    assert engine.offices_closed
    code = make_cohort().code
    with pytest.raises(TransitionRejected) as caught:
        engine.enrol(code, _person(1, Office.from_name("Dinas Pendidikan dan Kebudayan")))
    (violation,) = caught.value.violations
    assert violation.code == "unknown_office"
    assert violation.facts["nearest"][0] == "DINDIKBUD"
    assert f"nearest: DINDIKBUD ({DISDIK})" in violation.message
    assert engine.check_enrolment(code, _person(2, Office.from_name("disdik"))) == ()
    engine.enrol(code, _person(2, Office.from_name("disdik")))
    assert [o.code for o in engine.offices()] == ["DINDIKBUD", "DINKES"]
    engine.close_offices(actor="bkd-admin", closed=False)
    engine.enrol(code, _person(3, BKD))
    assert [o.code for o in engine.offices()] == ["BKD", "DINDIKBUD", "DINKES"]


def test_the_closed_setting_is_the_stores_for_every_engine(
    each_store: Store, clock: FixedClock
) -> None:
    """An engine opened later on the same store finds it closed."""
    trusted_engine(each_store, clock=clock).close_offices(actor="bkd-admin")
    later = trusted_engine(each_store, clock=clock)
    later.create_cohort(make_cohort())
    assert later.offices_closed
    assert [v.code for v in later.check_enrolment(make_cohort().code, _person(1, DINKES))] == [
        "unknown_office"
    ]


def test_a_transfer_resolves_aliases_and_a_closed_store_refuses_unknown(engine: Engine) -> None:
    """transfer_office to an alias lands in the registered office; closed, unknown is refused."""
    engine.add_office("DINDIKBUD", DISDIK, aliases=["Disdik"], actor="bkd-admin")
    code = make_cohort().code
    nip = engine.enrol(code, _person(1, BKD)).nip
    engine.transfer_office(code, nip, Office.from_name("Disdik"), reason="mutasi")
    assert engine.participant(code, nip).participant.office.code == "DINDIKBUD"
    with pytest.raises(InvalidInput, match="already in office DINDIKBUD"):
        engine.transfer_office(code, nip, Office.from_name(DISDIK), reason="mutasi")
    engine.close_offices(actor="bkd-admin")
    with pytest.raises(TransitionRejected) as caught:
        engine.transfer_office(code, nip, DINKES, reason="mutasi")
    assert caught.value.codes == ("unknown_office",)


def test_roster_dry_run_names_registered_offices_by_alias(engine: Engine) -> None:
    """A roster's office cells resolve through the registry; only new ones are derived."""
    engine.add_office("DINDIKBUD", DISDIK, aliases=["Disdik"], actor="bkd-admin")
    text = "nip,name,office,echelon\n" + "".join(
        f"{make_nip(sequence=n)},Peserta {n},{office},III.a\n"
        for n, office in enumerate(["Disdik", "DINAS PENDIDIKAN DAN KEBUDAYAAN", "disdik"], 1)
    )
    rows = parse_roster(text, offices=engine.offices())
    assert {row.participant.office.code for row in rows if row.participant} == {"DINDIKBUD"}
    report = enrol_roster(engine, make_cohort().code, rows, dry_run=True)
    assert [o.line for o in report.refused] == [4]
    assert report.refused[0].violations[0].code == "office_quota"
