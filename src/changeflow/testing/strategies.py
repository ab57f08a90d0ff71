"""Hypothesis strategies for property-testing your own rules against changeflow's models.

Imported through :mod:`changeflow.testing` (``from changeflow.testing import nips``), which
documents them with an example. Every strategy produces values that pass the models'
validation, except :func:`malformed_nips`, whose strings must all be refused.
:func:`rule_contexts` draws contexts for one event, with :class:`CountingFacts` standing in
for the store's counts, so a rule can be judged without an engine or a store.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, TypeVar

from hypothesis import assume
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from changeflow.dates import add_years
from changeflow.models import (
    DEFAULT_ELIGIBLE_RANKS,
    ChangeProject,
    Coach,
    Cohort,
    CohortParameters,
    GradingScheme,
    Mentor,
    Office,
    Participant,
)
from changeflow.rules.context import RuleContext, Standing
from changeflow.states.default import DEFAULT_LIFECYCLE
from changeflow.states.names import ENROL

if TYPE_CHECKING:
    from collections.abc import Mapping

    from changeflow.rules.context import Facts
    from changeflow.states.definition import LifecycleDefinition

__all__ = [
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
]

T = TypeVar("T")

RANKS: tuple[str, ...] = (
    "I.a",
    "I.b",
    "II.a",
    "II.b",
    "III.a",
    "III.b",
    "IV.a",
    "IV.b",
    "V.a",
    "V.b",
    "administrator",
    "pengawas",
    "pelaksana",
    "fungsional",
)
"""Every echelon or post name a :class:`~changeflow.models.Participant` accepts."""

_OFFICES = (
    ("DINKES", "Dinas Kesehatan"),
    ("DISDIK", "Dinas Pendidikan"),
    ("BKD", "Badan Kepegawaian Daerah"),
    ("DISPENDUKCAPIL", "Dinas Kependudukan dan Pencatatan Sipil"),
    ("BAPPEDA", "Badan Perencanaan Pembangunan Daerah"),
    ("DPUPR", "Dinas Pekerjaan Umum dan Penataan Ruang"),
    ("DINSOS", "Dinas Sosial"),
    ("DPMPTSP", "Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu"),
    ("RSUD", "Rumah Sakit Umum Daerah"),
    ("BPKAD", "Badan Pengelolaan Keuangan dan Aset Daerah"),
)
_NAMES = (
    "Budi Santoso",
    "Siti Aminah",
    "Agus Setiawan",
    "Dewi Lestari",
    "Hendra Wijaya",
    "Nur Hidayati",
    "Rahmat Hidayat",
    "Sri Wahyuni",
    "Bambang Sutrisno",
    "Endang Purwati",
    "Slamet Riyadi",
    "Yuliana Kartika",
)
_THEMES = (
    "pelayanan kesehatan",
    "administrasi kependudukan",
    "perizinan",
    "pendidikan",
    "kepegawaian",
    "perencanaan",
)
_TITLES = (
    "Layanan antar jemput akta kelahiran",
    "Aplikasi antrean puskesmas daring",
    "Perizinan usaha satu hari",
    "Sistem informasi kepegawaian terpadu",
    "Pojok baca desa",
    "Dashboard perencanaan pembangunan",
)
_REASONS = ("sakit", "mutasi jabatan", "tidak memenuhi kehadiran", "alasan keluarga")
_ASCII_DIGITS = "0123456789"
# Decimal digits of other scripts (fullwidth, Arabic-Indic, Devanagari, Bengali, Thai):
# ``str.isdigit`` and ``\d`` accept them, a NIP must not.
_FOREIGN_ZEROS = (0xFF10, 0x0660, 0x0966, 0x09E6, 0x0E50)
_YOUNGEST_YEARS = 20
"""No participant drawn by :func:`eligible_participants` is younger than this at the start."""
_LAST_MONTH = 9999 * 12 + 11
"""The latest appointment month a four-digit year can encode, counted as ``year * 12 + m-1``."""


# Strategies validate themselves once, when first drawn from: build the shared ones once.
_BIRTH_DATES = st.dates(date(1950, 1, 1), date(2000, 12, 31))
_STARTS = st.dates(date(2000, 1, 1), date(2035, 12, 31))
_SEX = st.sampled_from("12")
_APPOINTMENT_OFFSET = st.integers(0, 22 * 12)
_SEQUENCE = st.integers(0, 999)
_NAME = st.sampled_from(_NAMES)
_RANK = st.sampled_from(RANKS)
_BOOL = st.booleans()
_NONE = st.none()
_QUOTA = st.integers(1, 5)
_HORIZON_YEARS = st.integers(0, 10)
_RETIREMENT_AGE = st.integers(50, 65)
_ELIGIBLE_RANKS = st.just(DEFAULT_ELIGIBLE_RANKS) | st.frozensets(_RANK, min_size=1)
_COURSE_DAYS = st.integers(14, 183)
_CAPACITY = st.integers(1, 40)
_COHORT_NUMBER = st.integers(1, 99)
_ORGANISER = st.sampled_from((None, "BKD Kabupaten Probolinggo"))
_COACH = st.sampled_from((None, Coach(name="Coach BPSDM", agency="BPSDM Jawa Timur")))
_POSITION = st.sampled_from((None, "Kepala Dinas", "Sekretaris Daerah"))
_TITLE = st.sampled_from(_TITLES)
_THEME = st.sampled_from(_THEMES)
_DAY_OFFSET = st.integers(-30, 200)
_MINUTES = st.integers(0, 600)
_REASON = st.sampled_from((None, "", "   ", *_REASONS))
_ACTOR = st.sampled_from((None, "bkd", "mentor"))


def _strategy(
    value: T | st.SearchStrategy[T] | None, default: st.SearchStrategy[T]
) -> st.SearchStrategy[T]:
    """``value`` as a strategy: itself, a fixed value, or ``default`` when ``None``."""
    if value is None:
        return default
    if isinstance(value, st.SearchStrategy):
        return value
    return st.just(value)


@st.composite
def nips(draw: st.DrawFn, born: date | st.SearchStrategy[date] | None = None) -> str:
    """Valid 18-digit NIPs; ``born`` fixes (or draws) the embedded birth date.

    The appointment month falls 18 to 40 years after birth (never past year 9999), the
    sex digit is ``1`` or ``2``, and the sequence is any three digits.
    """
    return _draw_nip(draw, draw(_strategy(born, _BIRTH_DATES)))


def _draw_nip(draw: st.DrawFn, born: date) -> str:
    """A valid NIP for ``born``, drawn with the shared strategies (no new ones per draw)."""
    birth_month = born.year * 12 + born.month - 1
    assume(birth_month < _LAST_MONTH)  # born in December 9999: no later month to appoint in
    appointed = min(birth_month + 18 * 12 + draw(_APPOINTMENT_OFFSET), _LAST_MONTH)
    year, month = divmod(appointed, 12)
    return (
        f"{born.year:04d}{born.month:02d}{born.day:02d}"
        f"{year:04d}{month + 1:02d}{draw(_SEX)}{draw(_SEQUENCE):03d}"
    )


def offices() -> st.SearchStrategy[Office]:
    """Offices (OPD): real-sounding regional offices, or numbered ones like ``OPD042``.

    The real-sounding ones are few, so offices repeat often enough to exercise quotas.
    """
    known = st.sampled_from([Office(code=code, name=name) for code, name in _OFFICES])
    numbered = st.integers(1, 999).map(
        lambda n: Office(code=f"OPD{n:03d}", name=f"Organisasi Perangkat Daerah {n}")
    )
    return st.one_of(known, numbered)


@st.composite
def participants(
    draw: st.DrawFn,
    *,
    office: Office | st.SearchStrategy[Office] | None = None,
    echelon: str | st.SearchStrategy[str] | None = None,
    born: date | st.SearchStrategy[date] | None = None,
    retirement_age: int | st.SearchStrategy[int | None] | None = None,
) -> Participant:
    """Valid participants; each keyword fixes a value or gives a strategy for it.

    By default the office comes from :func:`offices`, the echelon is any of :data:`RANKS`
    (so many are ineligible), the birth date lies in 1950-2000 and the participant has no
    personal retirement age (the cohort's applies). The birth date field is sometimes
    given explicitly, always agreeing with the NIP.
    """
    day = draw(_strategy(born, _BIRTH_DATES))
    return Participant(
        nip=_draw_nip(draw, day),
        name=draw(_NAME),
        office=draw(_strategy(office, _ANY_OFFICE)),
        echelon=draw(_strategy(echelon, _RANK)),
        birth_date=day if draw(_BOOL) else None,
        retirement_age=draw(_strategy(retirement_age, _NONE)),
    )


def eligible_participants(
    cohort: Cohort, *, office: Office | st.SearchStrategy[Office] | None = None
) -> st.SearchStrategy[Participant]:
    """Participants who pass the cohort's ``rank`` and ``retirement_horizon`` rules.

    Echelons come from the cohort's eligible ranks; birth dates run from the earliest whose
    pension falls strictly more than ``min_years_to_retirement`` after the cohort's start
    (that boundary included) to 20 years before the start. Quotas and one-course-at-
    a-time depend on the store, so these people may still be refused for those.
    Raises ``InvalidArgument`` when the cohort's parameters leave nobody eligible.
    """
    params = cohort.parameters
    ranks = sorted(params.eligible_ranks.intersection(RANKS))
    if not ranks:
        raise InvalidArgument(f"cohort {cohort.code} admits no rank a participant can hold")
    horizon = add_years(cohort.start, params.min_years_to_retirement)
    # Born in the horizon's month, retirement_age years earlier, the pension starts on the
    # first day of the next month: the earliest birth month strictly after the horizon.
    earliest = date(horizon.year - params.retirement_age, horizon.month, 1)
    latest = add_years(cohort.start, -_YOUNGEST_YEARS)
    if earliest > latest:
        raise InvalidArgument(
            f"cohort {cohort.code} admits nobody aged {_YOUNGEST_YEARS} or more at its start"
        )
    return participants(
        office=office, echelon=st.sampled_from(ranks), born=st.dates(earliest, latest)
    )


@st.composite
def cohort_parameters(draw: st.DrawFn) -> CohortParameters:
    """Rule-pack parameters around the defaults: quotas 1-5, horizons 0-10 years, ages 50-65.

    Eligible ranks are the default set or a non-empty subset of :data:`RANKS`.
    """
    return CohortParameters(
        max_per_office=draw(_QUOTA),
        min_years_to_retirement=draw(_HORIZON_YEARS),
        retirement_age=draw(_RETIREMENT_AGE),
        eligible_ranks=draw(_ELIGIBLE_RANKS),
    )


@st.composite
def cohorts(
    draw: st.DrawFn,
    *,
    code: str | st.SearchStrategy[str] | None = None,
    start: date | st.SearchStrategy[date] | None = None,
    capacity: int | st.SearchStrategy[int] | None = None,
    parameters: CohortParameters | st.SearchStrategy[CohortParameters] | None = None,
) -> Cohort:
    """Valid cohorts; each keyword fixes a value or gives a strategy for it.

    By default the course starts in 2000-2035 and lasts 2 weeks to 6 months, seats 1-40
    and draws its parameters from :func:`cohort_parameters`.
    """
    first = draw(_strategy(start, _STARTS))
    days = draw(_COURSE_DAYS)
    number = draw(_COHORT_NUMBER)
    return Cohort(
        code=draw(_strategy(code, st.just(f"PKA-{number}-{first.year}"))),
        name=f"Pelatihan Kepemimpinan Administrator angkatan {number}",
        organiser=draw(_ORGANISER),
        start=first,
        end=first + timedelta(days=min(days, (date.max - first).days)),
        capacity=draw(_strategy(capacity, _CAPACITY)),
        coach=draw(_COACH),
        parameters=draw(_strategy(parameters, _ANY_PARAMETERS)),
    )


@st.composite
def change_projects(draw: st.DrawFn, *, with_mentor: bool | None = None) -> ChangeProject:
    """Change projects (proyek perubahan); ``with_mentor`` forces or forbids a mentor.

    By default the mentor is sometimes missing, which the proposal's guards refuse.
    """
    has_mentor = draw(_BOOL) if with_mentor is None else with_mentor
    mentor = (
        Mentor(
            name=draw(_NAME),
            nip=draw(_MAYBE_NIP),
            position=draw(_POSITION),
        )
        if has_mentor
        else None
    )
    return ChangeProject(title=draw(_TITLE), theme=draw(_THEME), mentor=mentor)


_ANY_NIP = nips()
_MAYBE_NIP = _NONE | _ANY_NIP
_ANY_OFFICE = offices()
_ANY_PARAMETERS = cohort_parameters()
_ANY_COHORT = cohorts()
_ANY_PARTICIPANT = participants()
_MAYBE_PROJECT = _NONE | change_projects()


@dataclass(frozen=True, slots=True)
class CountingFacts:
    """A store's counts from plain dictionaries, for judging rules without a store.

    ``seats`` maps a cohort code to its seated participants, ``office_seats`` a
    ``(cohort, office)`` pair to that office's, ``standings`` a NIP to the person's
    :class:`~changeflow.rules.Standing`, ``attendances`` a ``(cohort, nip)`` pair to the
    days recorded (ISO day -> status); anything absent counts as zero, nobody or none.

    >>> facts = CountingFacts(seats={"PKA-1": 30}, office_seats={("PKA-1", "DINKES"): 2})
    >>> facts.seated("PKA-1"), facts.seated_from_office("PKA-1", "BKD"), facts.standing("x")
    (30, 0, Standing(active_in=None, completed_in=None))
    """

    seats: Mapping[str, int] = field(default_factory=dict)
    office_seats: Mapping[tuple[str, str], int] = field(default_factory=dict)
    standings: Mapping[str, Standing] = field(default_factory=dict)
    attendances: Mapping[tuple[str, str], Mapping[str, str]] = field(default_factory=dict)

    def seated(self, cohort: str) -> int:
        """Participants holding a seat in the cohort."""
        return self.seats.get(cohort, 0)

    def seated_from_office(self, cohort: str, office: str) -> int:
        """Participants from one office holding a seat in the cohort."""
        return self.office_seats.get((cohort, office), 0)

    def standing(self, nip: str) -> Standing:
        """The person's course record across cohorts."""
        return self.standings.get(nip, Standing())

    def attendance(self, cohort: str, nip: str) -> Mapping[str, str]:
        """The participant's recorded attendance in the cohort."""
        return self.attendances.get((cohort, nip), {})


@st.composite
def counting_facts(draw: st.DrawFn, cohort: Cohort, participant: Participant) -> CountingFacts:
    """Counts around the cohort's limits: seats 0 to capacity+1, office seats 0 to quota+1.

    The participant's standing is clear, active in this or another cohort, or graduated
    from an earlier one, so every outcome of the quota and standing rules is reachable.
    """
    seated = draw(st.integers(0, cohort.capacity + 1))
    office = draw(st.integers(0, min(seated, cohort.parameters.max_per_office + 1)))
    other = f"{cohort.code}-OTHER"
    standing = Standing(
        active_in=draw(st.sampled_from((None, cohort.code, other))),
        completed_in=draw(st.sampled_from((None, other))),
    )
    return CountingFacts(
        seats={cohort.code: seated},
        office_seats={(cohort.code, participant.office.code): office},
        standings={participant.nip: standing},
    )


def _moves(lifecycle: LifecycleDefinition, event: str) -> list[tuple[str | None, str]]:
    """The (source, target) pairs of ``event``; enrolment has no source."""
    if event == ENROL:
        return [(None, lifecycle.initial)]
    return [
        (source, spec.dest)
        for spec in lifecycle.transitions
        if spec.event == event
        for source in lifecycle.sources(spec)
    ]


def _scores(grading: GradingScheme) -> st.SearchStrategy[dict[str, float]]:
    """Scores for some (often all) of the scheme's components."""
    return st.fixed_dictionaries(
        {},
        optional={component: st.floats(0, 100, allow_nan=False) for component in grading.weights},
    )


def rule_contexts(
    event: str = ENROL,
    *,
    cohort: Cohort | st.SearchStrategy[Cohort] | None = None,
    participant: Participant | st.SearchStrategy[Participant] | None = None,
    facts: Facts | st.SearchStrategy[Facts] | None = None,
    lifecycle: LifecycleDefinition = DEFAULT_LIFECYCLE,
) -> st.SearchStrategy[RuleContext]:
    """Contexts of one attempted ``event`` (enrolment by default) of ``lifecycle``.

    Source and target are a move the event makes; the cohort comes from :func:`cohorts`,
    the participant from :func:`participants` and the facts from :func:`counting_facts`
    unless given. Transitions also draw a change project (or none), scores, a reason
    (possibly blank), an actor and an effective date. Raises ``InvalidArgument`` for an
    event the lifecycle does not have.
    """
    moves = _moves(lifecycle, event)
    if not moves:
        raise InvalidArgument(f"lifecycle {lifecycle.name!r} has no event {event!r}")
    return _rule_contexts(event, st.sampled_from(moves), cohort, participant, facts)


@st.composite
def _rule_contexts(
    draw: st.DrawFn,
    event: str,
    moves: st.SearchStrategy[tuple[str | None, str]],
    cohort: Cohort | st.SearchStrategy[Cohort] | None,
    participant: Participant | st.SearchStrategy[Participant] | None,
    facts: Facts | st.SearchStrategy[Facts] | None,
) -> RuleContext:
    source, target = draw(moves)
    course = draw(_strategy(cohort, _ANY_COHORT))
    person = draw(_strategy(participant, _ANY_PARTICIPANT))
    counts = draw(_strategy(facts, counting_facts(course, person)))
    start = datetime(course.start.year, course.start.month, course.start.day, 8, tzinfo=UTC)
    now = start + timedelta(days=draw(_DAY_OFFSET), minutes=draw(_MINUTES))
    reason = draw(_REASON)
    actor = draw(_ACTOR)
    if source is None:
        return RuleContext(
            course, person, event, source, target, counts, now, actor=actor, reason=reason
        )
    return RuleContext(
        course,
        person,
        event,
        source,
        target,
        counts,
        now,
        project=draw(_MAYBE_PROJECT),
        scores=draw(st.none() | _scores(course.parameters.grading)),
        actor=actor,
        reason=reason,
        effective_date=now.date() if draw(_BOOL) else None,
    )


def _replace(nip: str, at: int, text: str) -> str:
    return nip[:at] + text + nip[at + len(text) :]


@st.composite
def _wrong_length(draw: st.DrawFn) -> str:
    size = draw(st.integers(0, 30).filter(lambda n: n != 18))
    return draw(st.text(_ASCII_DIGITS, min_size=size, max_size=size))


@st.composite
def _not_a_digit(draw: st.DrawFn) -> str:
    # Any character but an ASCII digit: a space or edge whitespace is stripped, leaving
    # 17 characters, anything else is not a digit; either way the NIP is refused.
    char = draw(st.characters(exclude_characters=_ASCII_DIGITS))
    return _replace(draw(_ANY_NIP), draw(st.integers(0, 17)), char)


@st.composite
def _foreign_digits(draw: st.DrawFn) -> str:
    zero = draw(st.sampled_from(_FOREIGN_ZEROS))
    nip = list(draw(_ANY_NIP))
    for at in draw(st.sets(st.integers(0, 17), min_size=1)):
        nip[at] = chr(zero + int(nip[at]))
    return "".join(nip)


@st.composite
def _impossible_birth_date(draw: st.DrawFn) -> str:
    year = draw(st.integers(1900, 2099))
    month = draw(st.integers(0, 99))
    if 1 <= month <= 12:
        last = calendar.monthrange(year, month)[1]
        day = draw(st.sampled_from([0, *range(last + 1, 100)]))
    else:
        day = draw(st.integers(0, 99))
    return _replace(draw(_ANY_NIP), 0, f"{year:04d}{month:02d}{day:02d}")


@st.composite
def _impossible_appointment_month(draw: st.DrawFn) -> str:
    month = draw(st.sampled_from([0, *range(13, 100)]))
    return _replace(draw(_ANY_NIP), 12, f"{month:02d}")


@st.composite
def _appointed_before_birth(draw: st.DrawFn) -> str:
    nip = draw(_ANY_NIP)
    born = int(nip[0:4]) * 12 + int(nip[4:6]) - 1
    year, month = divmod(draw(st.integers(max(born - 40 * 12, 0), born)), 12)
    return _replace(nip, 8, f"{year:04d}{month + 1:02d}")


@st.composite
def _bad_sex_digit(draw: st.DrawFn) -> str:
    return _replace(draw(_ANY_NIP), 14, draw(st.sampled_from("03456789")))


def malformed_nips() -> st.SearchStrategy[str]:
    """Strings a NIP field must refuse, each broken in exactly one known way.

    Wrong length; a character that is not an ASCII digit (including digits of other
    scripts); a birth date that is not a real date; an appointment month outside 01-12;
    an appointment not after the birth month; a sex digit other than 1 or 2.
    """
    return st.one_of(
        _wrong_length(),
        _not_a_digit(),
        _foreign_digits(),
        _impossible_birth_date(),
        _impossible_appointment_month(),
        _appointed_before_birth(),
        _bad_sex_digit(),
    )
