"""Domain models: strict validation naming the field, derived values and grading."""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from pydantic import ValidationError

from changeflow import (
    Assessment,
    ChangeProject,
    Coach,
    Cohort,
    CohortParameters,
    GradeBand,
    GradingScheme,
    Group,
    Mentor,
    Office,
    Participant,
)
from changeflow.models import CODE_PATTERN, DEFAULT_ELIGIBLE_RANKS
from factories import DINKES, make_cohort, make_nip

if TYPE_CHECKING:
    from collections.abc import Callable

NIP = "197003152000031004"
PARTICIPANT: dict[str, Any] = {
    "nip": NIP,
    "name": "Budi Santoso",
    "office": DINKES,
    "echelon": "III.a",
}
COHORT: dict[str, Any] = {
    "code": "PKA-III-VII-2019",
    "name": "Diklat PIM III angkatan VII 2019",
    "start": date(2019, 4, 4),
    "end": date(2019, 7, 19),
}


def refusal(build: Callable[[], object]) -> list[dict[str, Any]]:
    """Run ``build``, expect a ValidationError and return its error list."""
    with pytest.raises(ValidationError) as caught:
        build()
    return list(caught.value.errors())


def locs(build: Callable[[], object]) -> set[tuple[str | int, ...]]:
    """The fields named by the ValidationError ``build`` raises."""
    return {tuple(e["loc"]) for e in refusal(build)}


# -- Office --------------------------------------------------------------------------------


def test_office_keeps_code_and_name() -> None:
    """A well-formed office keeps its code and name."""
    dinkes = Office(code="DINKES", name="Dinas Kesehatan")
    assert (dinkes.code, dinkes.name) == ("DINKES", "Dinas Kesehatan")


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("Dinas Kesehatan", "DINAS-KESEHATAN"),
        ("  Dinas Pendidikan & Kebudayaan  ", "DINAS-PENDIDIKAN-KEBUDAYAAN"),
        (
            "Badan Perencanaan Pembangunan Daerah (Bappeda)",
            "BADAN-PERENCANAAN-PEMBANGUNAN-DAERAH-BAPPEDA",
        ),
        ("dinas kominfo", "DINAS-KOMINFO"),
        ("Kecamatan 12", "KECAMATAN-12"),
    ],
)
def test_office_from_name_derives_an_upper_case_code(name: str, code: str) -> None:
    """from_name turns runs of non-alphanumerics into one hyphen and upper-cases the rest."""
    built = Office.from_name(name)
    assert built.code == code
    assert built.name == name.strip()


NON_LATIN_OFFICES = ("دائرة الصحة", "دائرة التعليم", "دائرة المالية", "ꦢꦶꦤꦱ꧀", "卫生局", "—")
"""Office names with no ASCII letter at all (Arabic, Javanese, Chinese, a dash)."""


def test_office_codes_of_non_latin_names_differ() -> None:
    """Names without ASCII letters each get their own valid code, never a shared constant."""
    codes = [Office.from_name(name).code for name in NON_LATIN_OFFICES]
    assert len(set(codes)) == len(codes)
    assert all(re.fullmatch(CODE_PATTERN, code) for code in codes)


@given(
    st.lists(
        st.text(st.sampled_from("دائرةلصحتعيمليꦢꦶꦤꦱ卫生局 -"), min_size=1, max_size=80),
        min_size=2,
        max_size=2,
    )
)
def test_office_codes_differ_whenever_non_latin_names_do(names: list[str]) -> None:
    """Two non-Latin names share a code exactly when they are the same name (case, spaces aside)."""
    assume(all(name.strip() for name in names))
    first, second = (Office.from_name(name) for name in names)
    assert re.fullmatch(CODE_PATTERN, first.code)
    same_name = Office.name_key(names[0]) == Office.name_key(names[1])
    assert (first.code == second.code) == same_name


def test_office_from_name_folds_accents_and_spacing() -> None:
    """Accents fold to ASCII letters and case or spacing does not change a code."""
    assert Office.from_name("Dinas Pariwísata").code == "DINAS-PARIWISATA"
    assert Office.from_name(" دائرة   الصحة ").code == Office.from_name("دائرة الصحة").code


def test_office_from_name_truncates_long_codes_keeping_them_apart() -> None:
    """A derived code over 64 characters is cut and suffixed so names differing late differ."""
    stem = "Dinas " + "Pekerjaan Umum dan Penataan Ruang " * 4
    built = [Office.from_name(stem + end) for end in ("Utara", "Selatan")]
    assert all(len(office.code) <= 64 for office in built)
    assert all(office.code.startswith("DINAS-PEKERJAAN-UMUM") for office in built)
    assert built[0].code != built[1].code


def test_office_from_blank_name_is_refused() -> None:
    """A blank office name is refused on ``name``."""
    assert locs(lambda: Office.from_name("   ")) == {("name",)}


@pytest.mark.parametrize("code", ["", "DINAS KESEHATAN", "-DINKES", "DINKES/1", "X" * 65])
def test_office_malformed_code_is_refused(code: str) -> None:
    """A code unsafe for files, URLs or shells is refused on ``code``."""
    assert locs(lambda: Office(code=code, name="Dinas Kesehatan")) == {("code",)}


def test_office_overlong_name_is_refused() -> None:
    """Names are bounded (200 characters) so a roster cannot carry megabytes."""
    assert locs(lambda: Office(code="X", name="n" * 201)) == {("name",)}


# -- Text and codes: one line, no control or bidirectional characters -----------------------

_TEXT_FIELDS: dict[str, Callable[[str], object]] = {
    "office.name": lambda text: Office(code="X", name=text),
    "participant.name": lambda text: Participant(**{**PARTICIPANT, "name": text}),
    "project.title": lambda text: ChangeProject(title=text, theme="kesehatan"),
    "project.theme": lambda text: ChangeProject(title="Antrean", theme=text),
    "cohort.name": lambda text: Cohort(**{**COHORT, "name": text}),
    "mentor.position": lambda text: Mentor(name="Kepala", position=text),
}
_REFUSED_INSIDE = [
    pytest.param("\u202e", "U+202E RIGHT-TO-LEFT OVERRIDE", id="rlo"),
    pytest.param("\u202a", "U+202A LEFT-TO-RIGHT EMBEDDING", id="lre"),
    pytest.param("\u2066", "U+2066 LEFT-TO-RIGHT ISOLATE", id="lri"),
    pytest.param("\u2069", "U+2069 POP DIRECTIONAL ISOLATE", id="pdi"),
    pytest.param("\u200f", "U+200F RIGHT-TO-LEFT MARK", id="rlm"),
    pytest.param("\u061c", "U+061C ARABIC LETTER MARK", id="alm"),
    pytest.param("\n", "U+000A LINE FEED", id="lf"),
    pytest.param("\u2028", "U+2028 LINE SEPARATOR", id="ls"),
    pytest.param("\u2029", "U+2029 PARAGRAPH SEPARATOR", id="ps"),
    pytest.param("\x1c", "U+001C FILE SEPARATOR", id="fs"),
    pytest.param("\x85", "U+0085 NEXT LINE", id="nel"),
]


@pytest.mark.parametrize("field", sorted(_TEXT_FIELDS))
@pytest.mark.parametrize(("char", "named"), _REFUSED_INSIDE)
def test_text_refuses_line_breaks_controls_and_bidi(field: str, char: str, named: str) -> None:
    """Every single-line text field refuses the character, naming its code point, not showing it."""
    errors = refusal(lambda: _TEXT_FIELDS[field](f"Dinas{char}Sehat"))
    assert [e["loc"] for e in errors] == [(field.split(".")[1],)]
    assert f"{named} at 5" in errors[0]["msg"]
    assert char not in errors[0]["msg"]


@pytest.mark.parametrize(("char", "named"), _REFUSED_INSIDE)
def test_a_code_names_the_refused_character(char: str, named: str) -> None:
    """A code with a control or bidi character inside is refused on ``code``, naming it."""
    errors = refusal(lambda: Office(code=f"OP{char}D", name="Dinas"))
    assert [e["loc"] for e in errors] == [("code",)]
    assert f"{named} at 2" in errors[0]["msg"]


@pytest.mark.parametrize(
    "text", ["\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645", "Sri\u2003Wahyuni", "\u540d\u524d"]
)
def test_text_keeps_joiners_wide_spaces_and_other_scripts(text: str) -> None:
    """A zero-width non-joiner (Persian), an em space and CJK are names, kept verbatim."""
    assert Office(code="X", name=text).name == text


def test_text_still_trims_line_breaks_at_its_ends() -> None:
    """Surrounding white space, a trailing line break included, is trimmed, not refused."""
    assert Office(code=" DINKES\n", name="\tDinas Kesehatan\n").model_dump() == {
        "code": "DINKES",
        "name": "Dinas Kesehatan",
    }


# -- Participant ---------------------------------------------------------------------------


def test_participant_birth_date_is_derived_from_the_nip() -> None:
    """Without a stated birth date, the participant's birth date is the NIP's."""
    person = Participant(**PARTICIPANT)
    assert person.birth_date == person.born == date(1970, 3, 15)


def test_participant_agreeing_birth_date_is_accepted() -> None:
    """A stated birth date equal to the NIP's is kept."""
    person = Participant(**PARTICIPANT, birth_date=date(1970, 3, 15))
    assert person.birth_date == person.born == date(1970, 3, 15)


def test_participant_disagreeing_birth_date_is_refused() -> None:
    """A birth date that disagrees with the NIP is refused on ``birth_date``."""
    errors = refusal(lambda: Participant(**PARTICIPANT, birth_date=date(1970, 3, 16)))
    assert [e["loc"] for e in errors] == [("birth_date",)]
    assert "1970-03-15" in errors[0]["msg"]


def test_participant_nip_with_print_spaces_is_normalised() -> None:
    """A NIP printed with spaces is stored as its 18 digits."""
    person = Participant(**{**PARTICIPANT, "nip": "19700315 200003 1 004"})
    assert person.nip == NIP


@pytest.mark.parametrize(
    ("nip", "fragment"),
    [
        pytest.param("19700315200003100", "exactly 18 digits", id="wrong-length"),
        pytest.param("1970031520000310AB", "exactly 18 digits", id="letters"),
        pytest.param("197002302000031004", "not a real date", id="30-february"),
        pytest.param("197003152000131004", "not a real month", id="appointment-month-13"),
        pytest.param("197003151970031004", "not after the birth date", id="appointed-at-birth"),
        pytest.param("197003152000035004", "sex digit", id="sex-digit-5"),
    ],
)
def test_participant_malformed_nip_is_refused_on_nip(nip: str, fragment: str) -> None:
    """A malformed NIP is refused on ``nip`` with the precise reason."""
    errors = refusal(lambda: Participant(**{**PARTICIPANT, "nip": nip}))
    assert [e["loc"] for e in errors] == [("nip",)]
    assert fragment in errors[0]["msg"]


def test_participant_bad_nip_with_birth_date_reports_only_the_nip() -> None:
    """With a malformed NIP the birth date is not compared, so only ``nip`` is named."""
    bad = {**PARTICIPANT, "nip": "197002302000031004", "birth_date": date(1970, 2, 28)}
    assert locs(lambda: Participant(**bad)) == {("nip",)}


@pytest.mark.parametrize(
    "echelon", ["III.a", "III.b", "administrator", "IV.a", "IV.b", "II.a", "I.b", "pengawas"]
)
def test_participant_well_formed_echelon_is_valid_input(echelon: str) -> None:
    """A well-formed echelon is valid input even if not eligible (the rank rule judges that)."""
    assert Participant(**{**PARTICIPANT, "echelon": echelon}).echelon == echelon


def test_participant_echelon_is_trimmed() -> None:
    """Whitespace around the echelon is removed."""
    assert Participant(**{**PARTICIPANT, "echelon": " III.b "}).echelon == "III.b"


@pytest.mark.parametrize("echelon", ["III", "III.c", "3a", "eselon III.a", "VI.a", "", "III.a.1"])
def test_participant_malformed_echelon_is_refused(echelon: str) -> None:
    """A malformed echelon is refused on ``echelon``."""
    assert locs(lambda: Participant(**{**PARTICIPANT, "echelon": echelon})) == {("echelon",)}


def test_participant_extra_key_is_refused() -> None:
    """Unknown keys are refused, naming the key."""
    errors = refusal(lambda: Participant(**PARTICIPANT, grade="III/c"))
    assert [(e["loc"], e["type"]) for e in errors] == [(("grade",), "extra_forbidden")]


def test_participant_nip_as_number_is_refused() -> None:
    """A NIP given as an int is refused in python mode (no silent coercion)."""
    assert locs(lambda: Participant(**{**PARTICIPANT, "nip": int(NIP)})) == {("nip",)}


def test_participant_iso_birth_date_needs_lax_mode() -> None:
    """An ISO string birth date is refused strictly but accepted with ``strict=False``."""
    data = {**PARTICIPANT, "birth_date": "1970-03-15"}
    assert locs(lambda: Participant(**data)) == {("birth_date",)}
    assert Participant.model_validate(data, strict=False).birth_date == date(1970, 3, 15)


def test_participant_from_json_normalises_and_checks() -> None:
    """JSON input is validated like python input: spaced NIP normalised, office nested."""
    raw = json.dumps(
        {
            "nip": "19700315 200003 1 004",
            "name": "Budi",
            "office": {"code": "DINKES", "name": "Dinas Kesehatan"},
            "echelon": "III.a",
            "birth_date": "1970-03-15",
        }
    )
    person = Participant.model_validate_json(raw)
    assert (person.nip, person.office.code, person.born) == (NIP, "DINKES", date(1970, 3, 15))


@pytest.mark.parametrize("age", [29, 81])
def test_participant_retirement_age_out_of_range_is_refused(age: int) -> None:
    """A personal retirement age outside 30-80 is refused on ``retirement_age``."""
    assert locs(lambda: Participant(**PARTICIPANT, retirement_age=age)) == {("retirement_age",)}


def test_participant_retires_on_uses_the_default_age() -> None:
    """Without a personal age, the pension follows the default age given."""
    assert Participant(**PARTICIPANT).retires_on(58) == date(2028, 4, 1)


def test_participant_own_retirement_age_wins() -> None:
    """A personal retirement age overrides the default one."""
    person = Participant(**PARTICIPANT, retirement_age=60)
    assert person.retires_on(58) == date(2030, 4, 1)


def test_participant_is_frozen() -> None:
    """A validated participant cannot be changed in place."""
    person = Participant(**PARTICIPANT)
    errors = refusal(lambda: setattr(person, "echelon", "IV.a"))
    assert errors[0]["type"] == "frozen_instance"
    assert person.echelon == "III.a"


# -- Mentor, Coach, ChangeProject, Group ---------------------------------------------------


def test_mentor_nip_is_validated_and_normalised() -> None:
    """A mentor's optional NIP is normalised when valid and refused on ``nip`` otherwise."""
    assert Mentor(name="Kepala Dinas", nip="19700315 200003 1 004").nip == NIP
    assert locs(lambda: Mentor(name="Kepala Dinas", nip="1970")) == {("nip",)}


def test_coach_needs_a_name() -> None:
    """A coach without a name is refused on ``name``."""
    assert Coach(name="Widyaiswara BPSDM", agency="BPSDM Jatim").agency == "BPSDM Jatim"
    assert locs(lambda: Coach(name=" ")) == {("name",)}


def test_change_project_mentor_is_optional() -> None:
    """A change project may be registered before its mentor is known."""
    project = ChangeProject(title="Layanan KTP keliling", theme="kependudukan")
    assert project.mentor is None
    assert locs(lambda: ChangeProject(title="", theme="x")) == {("title",)}


def test_group_numbers_start_at_one_and_members_are_nips() -> None:
    """Group numbers start at 1; every member must be a valid NIP."""
    assert Group(number=1, themes=("kesehatan",), members=(NIP,)).members == (NIP,)
    assert locs(lambda: Group(number=0, themes=(), members=())) == {("number",)}
    assert locs(lambda: Group(number=1, themes=(), members=(NIP, "x"))) == {("members", 1)}


# -- Cohort and its parameters -------------------------------------------------------------


def test_cohort_defaults_come_from_the_article() -> None:
    """A cohort seats 30, at most 2 per office, 4 years to retirement at 58, echelon III."""
    cohort = Cohort(**COHORT)
    params = cohort.parameters
    assert cohort.capacity == 30
    assert (params.max_per_office, params.min_years_to_retirement) == (2, 4)
    assert params.retirement_age == 58
    assert params.eligible_ranks == DEFAULT_ELIGIBLE_RANKS == {"III.a", "III.b", "administrator"}


def test_cohort_end_before_start_is_refused_on_end() -> None:
    """A cohort ending before it starts is refused on ``end``."""
    errors = refusal(lambda: Cohort(**{**COHORT, "end": date(2019, 4, 3)}))
    assert [e["loc"] for e in errors] == [("end",)]
    assert "before start 2019-04-04" in errors[0]["msg"]


def test_cohort_of_one_day_is_accepted() -> None:
    """A cohort may end on the day it starts."""
    assert Cohort(**{**COHORT, "end": COHORT["start"]}).end == date(2019, 4, 4)


@pytest.mark.parametrize("capacity", [0, -1])
def test_cohort_non_positive_capacity_is_refused(capacity: int) -> None:
    """Zero or negative capacity is refused on ``capacity``."""
    assert locs(lambda: Cohort(**COHORT, capacity=capacity)) == {("capacity",)}


def test_cohort_capacity_as_string_is_refused_strictly() -> None:
    """Capacity ``"30"`` is refused in python mode and accepted only in lax mode."""
    assert locs(lambda: Cohort(**COHORT, capacity="30")) == {("capacity",)}
    assert Cohort.model_validate({**COHORT, "capacity": "30"}, strict=False).capacity == 30


def test_cohort_impossible_date_is_refused_on_the_field() -> None:
    """A date that does not exist (30 February) is refused on its field."""
    raw = json.dumps({**COHORT, "start": "2019-02-30", "end": "2019-07-19"})
    assert locs(lambda: Cohort.model_validate_json(raw)) == {("start",)}


def test_cohort_from_json_reads_iso_dates() -> None:
    """JSON input with ISO dates builds the cohort."""
    raw = json.dumps({**COHORT, "start": "2019-04-04", "end": "2019-07-19"})
    assert Cohort.model_validate_json(raw).start == date(2019, 4, 4)


def test_cohort_datetime_for_a_date_is_refused() -> None:
    """A datetime is not silently truncated to a date."""
    assert locs(lambda: Cohort(**{**COHORT, "start": datetime(2019, 4, 4)})) == {("start",)}


def test_cohort_extra_key_is_refused() -> None:
    """Unknown cohort keys are refused, naming the key."""
    assert locs(lambda: Cohort(**COHORT, seats=30)) == {("seats",)}


def test_cohort_is_hashable_and_compares_by_value() -> None:
    """Equal frozen cohorts are equal and hash alike (usable in sets and as keys)."""
    assert make_cohort() == make_cohort()
    assert hash(make_cohort()) == hash(make_cohort())
    assert len({make_cohort(), make_cohort(), make_cohort("OTHER")}) == 2


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("max_per_office", 0),
        ("min_years_to_retirement", -1),
        ("min_years_to_retirement", 41),
        ("retirement_age", 29),
        ("retirement_age", 81),
        ("rule_pack", ""),
    ],
)
def test_cohort_parameters_out_of_range_are_refused(field: str, value: object) -> None:
    """Rule-pack parameters outside their bounds are refused on the field."""
    assert locs(lambda: CohortParameters(**{field: value})) == {(field,)}


def test_cohort_parameters_are_honoured() -> None:
    """Parameters given to the cohort are kept, not replaced by defaults."""
    cohort = make_cohort(max_per_office=3, min_years_to_retirement=2, retirement_age=60)
    params = cohort.parameters
    assert (params.max_per_office, params.min_years_to_retirement, params.retirement_age) == (
        3,
        2,
        60,
    )


# -- Grading -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("score", "band", "passed"),
    [
        (0, "kurang memuaskan", False),
        (69.99, "kurang memuaskan", False),
        (70, "kurang memuaskan", False),
        (70.01, "cukup memuaskan", True),
        (80, "cukup memuaskan", True),
        (80.01, "memuaskan", True),
        (85, "memuaskan", True),
        (90, "memuaskan", True),
        (90.01, "sangat memuaskan", True),
        (100, "sangat memuaskan", True),
    ],
)
def test_default_bands_at_their_boundaries(score: float, band: str, passed: bool) -> None:
    """A score must be strictly above a band's floor: exactly 70 does not pass."""
    grade = GradingScheme().grade({"overall": score})
    assert (grade.score, grade.band, grade.passed) == (score, band, passed)


def test_weighted_components_are_averaged_by_weight() -> None:
    """Component scores are averaged with their weights."""
    scheme = GradingScheme(weights={"proposal": 1, "seminar": 3})
    grade = scheme.grade({"proposal": 60, "seminar": 100})
    assert (grade.score, grade.band) == (90, "memuaskan")


def test_weighted_score_is_rounded_to_two_decimals() -> None:
    """The weighted score is rounded to two decimals before banding."""
    scheme = GradingScheme(weights={"a": 1, "b": 2})
    assert scheme.grade({"a": 70, "b": 71}).score == 70.67


def test_scores_without_a_weight_are_ignored() -> None:
    """A score for a component the scheme does not weigh does not move the grade."""
    assert GradingScheme().grade({"overall": 85, "attendance": 0}).score == 85


def test_missing_lists_weighted_components_without_a_score() -> None:
    """missing() names each weighted component not yet scored, in weight order."""
    scheme = GradingScheme(weights={"proposal": 1, "seminar": 2, "attitude": 1})
    assert scheme.missing({}) == ("proposal", "seminar", "attitude")
    assert scheme.missing({"seminar": 80}) == ("proposal", "attitude")
    assert scheme.missing({"proposal": 1, "seminar": 2, "attitude": 3}) == ()


def test_grade_of_incomplete_scores_raises_key_error() -> None:
    """Grading incomplete scores raises KeyError naming the missing component."""
    with pytest.raises(KeyError, match="seminar"):
        GradingScheme(weights={"proposal": 1, "seminar": 1}).grade({"proposal": 90})


def test_custom_bands_and_a_non_passing_band() -> None:
    """A rule pack's own bands apply, including a named band that does not pass."""
    scheme = GradingScheme(
        bands=(
            GradeBand(name="lulus", above=75),
            GradeBand(name="lulus tertunda", above=60, passing=False),
        ),
        failing_band="tidak lulus",
    )
    assert scheme.grade({"overall": 80}).model_dump() == {
        "score": 80,
        "band": "lulus",
        "passed": True,
    }
    assert (scheme.grade({"overall": 65}).band, scheme.grade({"overall": 65}).passed) == (
        "lulus tertunda",
        False,
    )
    assert scheme.grade({"overall": 60}).band == "tidak lulus"


@pytest.mark.parametrize(
    "weights",
    [{}, {"overall": 0}, {"overall": -1}, {"overall": float("nan")}, {"overall": float("inf")}],
    ids=["empty", "zero", "negative", "nan", "inf"],
)
def test_bad_weights_are_refused_on_weights(weights: dict[str, float]) -> None:
    """Weights must name a component and each be finite and positive."""
    assert locs(lambda: GradingScheme(weights=weights)) == {("weights",)}


@pytest.mark.parametrize(
    "floors",
    [pytest.param((70, 80, 90), id="ascending"), pytest.param((90, 80, 80), id="duplicate")],
)
def test_bands_must_descend_strictly(floors: tuple[float, ...]) -> None:
    """Bands are listed from the highest floor down; a repeated floor is unreachable."""
    bands = tuple(GradeBand(name=f"band {f}", above=f) for f in floors)
    assert locs(lambda: GradingScheme(bands=bands)) == {("bands",)}


@pytest.mark.parametrize("above", [-1, 100.5])
def test_band_floor_outside_0_to_100_is_refused(above: float) -> None:
    """A band floor must lie within 0-100."""
    assert locs(lambda: GradeBand(name="x", above=above)) == {("above",)}


def test_grading_scheme_hash_ignores_weight_order() -> None:
    """Schemes with the same weights in another order are equal and hash alike."""
    one = GradingScheme(weights={"a": 1, "b": 2})
    other = GradingScheme(weights={"b": 2, "a": 1})
    assert one == other
    assert hash(one) == hash(other)


SCORES = st.floats(min_value=0, max_value=100, allow_nan=False)


@given(SCORES)
def test_single_score_grade_matches_the_thresholds(score: float) -> None:
    """With one component, the grade is the score rounded, banded strictly above 90/80/70."""
    grade = GradingScheme().grade({"overall": score})
    rounded = round(score, 2)
    expected = (
        "sangat memuaskan"
        if rounded > 90
        else "memuaskan"
        if rounded > 80
        else "cukup memuaskan"
        if rounded > 70
        else "kurang memuaskan"
    )
    assert (grade.score, grade.band, grade.passed) == (rounded, expected, rounded > 70)


@given(
    st.dictionaries(
        st.sampled_from(["proposal", "seminar", "attitude", "report"]),
        st.tuples(st.floats(min_value=0.01, max_value=100), SCORES),
        min_size=1,
    )
)
def test_weighted_grade_lies_between_component_scores(
    parts: dict[str, tuple[float, float]],
) -> None:
    """A weighted average never leaves the range of its component scores (up to rounding)."""
    scheme = GradingScheme(weights={c: w for c, (w, _) in parts.items()})
    scores = {c: s for c, (_, s) in parts.items()}
    grade = scheme.grade(scores)
    assert min(scores.values()) - 0.005 <= grade.score <= max(scores.values()) + 0.005


# -- Assessment ----------------------------------------------------------------------------


def test_assessment_defaults_to_the_overall_component() -> None:
    """An assessment without a component scores ``overall``."""
    assert Assessment(score=85).model_dump() == {"score": 85.0, "component": "overall"}


@pytest.mark.parametrize("score", [-0.01, 100.01, float("nan"), float("inf"), "85"])
def test_assessment_score_outside_0_to_100_is_refused(score: object) -> None:
    """Scores must be real numbers from 0 to 100 (no NaN, no strings)."""
    assert locs(lambda: Assessment(score=score)) == {("score",)}


def test_assessment_component_must_be_a_code() -> None:
    """A component name must be a safe code."""
    assert Assessment(score=1, component="seminar").component == "seminar"
    assert locs(lambda: Assessment(score=1, component="the seminar")) == {("component",)}


def test_factories_build_valid_models() -> None:
    """The shared builders produce NIPs and cohorts these models accept."""
    assert Participant(**{**PARTICIPANT, "nip": make_nip()}).born == date(1975, 6, 1)
    assert make_cohort().code == COHORT["code"]


@pytest.mark.parametrize(
    ("written", "echelon"),
    [
        ("III/a", "III.a"),
        ("IIIa", "III.a"),
        ("III-a", "III.a"),
        ("iii.a", "III.a"),
        ("iv/B", "IV.b"),
        ("Administrator", "administrator"),
    ],
)
def test_participant_echelon_forms_normalise(written: str, echelon: str) -> None:
    """The forms HR files use read as the dotted echelon (posts in lower case)."""
    assert Participant(**{**PARTICIPANT, "echelon": written}).echelon == echelon


def test_participant_malformed_echelon_message_lists_the_forms() -> None:
    """The refusal names the value and the accepted forms, not a regular expression."""
    with pytest.raises(ValidationError, match=r"'III\.c' is not an echelon: write I\.a to V\.b"):
        Participant(**{**PARTICIPANT, "echelon": "III.c"})
