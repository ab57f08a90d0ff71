"""Domain models: offices, cohorts, participants, change projects and assessments.

All are frozen pydantic models. Input from outside is validated strictly (no silent
coercion of ``"30"`` to ``30``, unknown keys refused); a bad value raises pydantic's
``ValidationError`` naming the field. To build models from JSON-like data whose dates are
ISO strings, use ``Model.model_validate(data, strict=False)`` or ``model_validate_json``.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import re
import unicodedata
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_serializer,
    field_validator,
)

from changeflow.characters import unprintable
from changeflow.citations import PROBOLINGGO_2019_CITATIONS, Citation, Citations
from changeflow.dates import retirement_date
from changeflow.nip import Nip, parse_nip

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "CODE_PATTERN",
    "DEFAULT_ELIGIBLE_RANKS",
    "Assessment",
    "Attendance",
    "CalendarParameters",
    "ChangeProject",
    "Coach",
    "Cohort",
    "CohortParameters",
    "Grade",
    "GradeBand",
    "GradingScheme",
    "Group",
    "Mentor",
    "Office",
    "Participant",
    "Timeout",
]


def _printable(text: str) -> str:
    # Control characters (NUL above all, which PostgreSQL cannot store) have no place in a
    # name or a title, a line break in one would forge lines in reports and logs, and a
    # bidirectional control would show it in another order than stored.
    found = unprintable(text)
    if found:
        raise ValueError(
            f"must not contain {found}: it must be one line, without control or bidi characters"
        )
    return text


def _printable_inside(value: object) -> object:
    # Before a pattern that would refuse the character anyway, to name it: the ends are
    # left to the trimming that follows.
    if isinstance(value, str):
        _printable(value.strip())
    return value


Text = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(_printable),
]
"""Free text from outside: trimmed, non-empty, bounded so a roster cannot carry megabytes,
on one line, without control or bidirectional characters."""

CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,63}$"
"""What a :data:`Code` (a cohort's, an office's) may look like."""

Code = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=CODE_PATTERN),
    BeforeValidator(_printable_inside),
]
"""An identifier safe in file names, URLs and shell arguments."""

_ECHELON = re.compile(r"(I{1,3}|IV|V) ?[./-]? ?([AB])", re.IGNORECASE)
_POSTS = ("administrator", "pengawas", "pelaksana", "fungsional")


def _rank(value: object) -> object:
    # ``III/a``, ``IIIa``, ``III-a`` and ``iii.a`` are how HR files write ``III.a``.
    if not isinstance(value, str):
        return value  # the strict ``str`` check that follows refuses it
    text = value.strip()
    if found := _ECHELON.fullmatch(text):
        return f"{found[1].upper()}.{found[2].lower()}"
    if text.casefold() in _POSTS:
        return text.casefold()
    raise ValueError(
        f"{text[:40]!r} is not an echelon: write I.a to V.b (III.a; III/a, IIIa, III-a and "
        f"iii.a are read as III.a) or a post: {', '.join(_POSTS)}"
    )


Rank = Annotated[str, BeforeValidator(_rank)]
"""An echelon (eselon) such as ``III.a``, or a post name such as ``administrator``.

Written forms are normalised: ``III/a``, ``IIIa``, ``III-a`` and ``iii.a`` are ``III.a``."""

DEFAULT_ELIGIBLE_RANKS: frozenset[str] = frozenset({"III.a", "III.b", "administrator"})
"""Echelon III, or the administrator post that replaced it (level III leadership)."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, strict=True, extra="forbid", defer_build=True)


class Office(_Frozen):
    """A regional government organisation (OPD, organisasi perangkat daerah).

    >>> Office(code="DINKES", name="Dinas Kesehatan").code
    'DINKES'
    """

    code: Code
    name: Text

    @classmethod
    def from_name(cls, name: str) -> Office:
        """Build an office whose code is derived from its name, for rosters that give only names.

        What Unicode compatibility decomposition folds to ASCII is kept (``é`` as ``e``).
        When anything else would be lost (a non-Latin script, a symbol) or the code would
        be cut at 64 characters, a hash of :meth:`name_key` is appended, so names that differ
        in what the code cannot show get different codes. Names differing only in
        punctuation or accents may still share one: rosters refuse that collision.

        >>> Office.from_name("Dinas Kesehatan").code
        'DINAS-KESEHATAN'
        >>> Office.from_name("دائرة الصحة").code, Office.from_name("Dinas Ketahanan Pangan ☘").code
        ('OFFICE-1F64BB44', 'DINAS-KETAHANAN-PANGAN-0F6D8EB0')
        """
        longest = 64  # what CODE_PATTERN allows
        decomposed = unicodedata.normalize("NFKD", name)
        folded = "".join(c for c in decomposed if not unicodedata.combining(c))
        code = re.sub(r"[^A-Za-z0-9]+", "-", folded).strip("-").upper()
        if not code or not folded.isascii() or len(code) > longest:
            # A constant or a cut code would file different offices under one code.
            digest = hashlib.blake2b(cls.name_key(name).encode(), digest_size=4).hexdigest()
            stem = code[: longest - len(digest) - 1].rstrip("-") or "OFFICE"
            code = f"{stem}-{digest.upper()}"
        return cls(code=code, name=name)

    @staticmethod
    def name_key(name: str) -> str:
        """What two office names must share to be the same office: case and spacing aside.

        >>> Office.name_key("  Dinas   KESEHATAN ") == Office.name_key("dinas kesehatan")
        True
        """
        return " ".join(unicodedata.normalize("NFKC", name).split()).casefold()


class Mentor(_Frozen):
    """The participant's direct superior (pimpinan langsung), who approves the project."""

    name: Text
    nip: Nip | None = None
    position: Text | None = None


class Coach(_Frozen):
    """The provincial agency's coach who guides the design of change projects."""

    name: Text
    agency: Text | None = None


class ChangeProject(_Frozen):
    """A participant's change project (proyek perubahan) improving a public service."""

    title: Text
    theme: Text
    mentor: Mentor | None = None


class Group(_Frozen):
    """A thematic group (kelompok) the coach forms from similar projects."""

    number: int = Field(ge=1)
    themes: tuple[Text, ...]
    members: tuple[Nip, ...]


class GradeBand(_Frozen):
    """A grade band: scores strictly above ``above`` earn ``name``."""

    name: Text
    above: float = Field(ge=0, le=100)
    passing: bool = True


class Grade(_Frozen):
    """A computed grade: the (weighted) score, its band and whether it passes."""

    score: float
    band: str
    passed: bool


class GradingScheme(_Frozen):
    """How assessments become a grade: component weights and bands.

    Defaults follow public guides for administrator leadership courses and are examples,
    not law: one overall score; above 90 *sangat memuaskan*, above 80 *memuaskan*, above 70
    *cukup memuaskan*, otherwise *kurang memuaskan* (not passed).
    """

    weights: dict[str, float] = Field(default_factory=lambda: {"overall": 1.0})
    bands: tuple[GradeBand, ...] = (
        GradeBand(name="sangat memuaskan", above=90),
        GradeBand(name="memuaskan", above=80),
        GradeBand(name="cukup memuaskan", above=70),
    )
    failing_band: Text = "kurang memuaskan"

    @field_validator("weights")
    @classmethod
    def _check_weights(cls, weights: dict[str, float]) -> dict[str, float]:
        # A NaN or infinite weight would make every grade NaN, silently "not passed".
        if not weights or not all(math.isfinite(w) and w > 0 for w in weights.values()):
            raise ValueError("weights must name at least one component, each weight finite > 0")
        return weights

    @field_validator("bands")
    @classmethod
    def _check_bands(cls, bands: tuple[GradeBand, ...]) -> tuple[GradeBand, ...]:
        floors = [b.above for b in bands]
        # Strictly descending: a band sharing its floor with the one above is unreachable.
        if any(lower >= upper for upper, lower in itertools.pairwise(floors)):
            raise ValueError("bands must be listed from the highest floor down, floors distinct")
        return bands

    def __hash__(self) -> int:
        # ``weights`` is a dict, which pydantic's generated hash cannot hash; without this a
        # frozen Cohort (which holds a scheme in its parameters) would be unhashable.
        return hash((tuple(sorted(self.weights.items())), self.bands, self.failing_band))

    def missing(self, scores: Mapping[str, float]) -> tuple[str, ...]:
        """Components that have a weight but no score yet."""
        return tuple(c for c in self.weights if c not in scores)

    def grade(self, scores: Mapping[str, float]) -> Grade:
        """Grade complete component scores; raise ``KeyError`` naming a missing component.

        >>> GradingScheme().grade({"overall": 85}).band
        'memuaskan'
        """
        total = sum(self.weights.values())
        # Banded on the reported two-decimal score, so the band always agrees with the
        # figure on the certificate (70.004 is reported as 70.0 and does not pass).
        score = round(sum(scores[c] * w for c, w in self.weights.items()) / total, 2)
        for band in self.bands:
            if score > band.above:
                return Grade(score=score, band=band.name, passed=band.passing)
        return Grade(score=score, band=self.failing_band, passed=False)


class Attendance(StrEnum):
    """A participant's attendance (kehadiran) on one on-class day."""

    PRESENT = "present"
    """Present (hadir); the benchmarking visit's days count like any other."""
    PERMITTED = "izin"
    """Excused with permission (izin): counted neither as present nor as absent."""
    SICK = "sakit"
    """Excused as sick (sakit): counted neither as present nor as absent."""
    ABSENT = "absent"
    """Absent without excuse (tanpa keterangan)."""


class Timeout(_Frozen):
    """What happens when a deadline passes: flag only, or fire an event after a grace period."""

    deadline: Text
    """The deadline's name (see :mod:`changeflow.deadlines`), e.g. ``results``."""
    after_working_days: int = Field(default=0, ge=0, le=260)
    """Working days past the due date before the timeout applies."""
    event: Text | None = None
    """The event to fire (e.g. ``drop``); ``None`` only flags the participant."""
    reason: Text = "deadline passed"
    """The reason recorded with the event."""


class CalendarParameters(_Frozen):
    """The rule pack's calendar: durations, attendance and timeouts.

    The defaults follow the 2019 course of the article; ``attendance_minimum`` is an
    example value of the organiser's practice, not a regulation's.
    """

    on_class_working_days: int = Field(default=15, ge=1, le=200)
    """Working days in class, the benchmarking visit included (about three weeks)."""
    visit_working_days: int = Field(default=3, ge=0, le=30)
    """Working days of the benchmarking visit (studi lapangan) inside on_class."""
    laboratory_min_days: int = Field(default=60, ge=1, le=366)
    """Calendar days the laboratory lasts at least (about two months)."""
    attendance_minimum: float = Field(default=0.8, ge=0, le=1)
    """Share of counted on-class days present (present / (present + absent)) that
    ``present_proposal`` needs; excused days (izin, sakit) count neither way."""
    timeouts: tuple[Timeout, ...] = ()
    """What passing a deadline does; none by default (the agenda only flags)."""


class CohortParameters(_Frozen):
    """The per-cohort parameters of the rule pack the cohort is pinned to."""

    max_per_office: int = Field(default=2, ge=1)
    min_years_to_retirement: int = Field(default=4, ge=0, le=40)
    retirement_age: int = Field(default=58, ge=30, le=80)
    eligible_ranks: frozenset[Rank] = DEFAULT_ELIGIBLE_RANKS
    grading: GradingScheme = GradingScheme()
    calendar: CalendarParameters = CalendarParameters()
    """Durations, attendance and timeouts of the course calendar."""
    rule_pack: Text = "probolinggo-2019"
    """Id of the rule pack (the regulation regime) the parameters come from."""
    rule_pack_version: Text = "1"
    """Version of the rule pack; a cohort keeps the version it was created with."""
    citations: Citations = PROBOLINGGO_2019_CITATIONS
    """Each rule's :class:`~changeflow.citations.Citation` in the pack, by rule name or
    violation code, pinned with the parameters. The default is ``probolinggo-2019``
    version 1's, so cohorts stored before rule packs existed cite what judged them."""

    @field_serializer("eligible_ranks", when_used="json")
    def _ranks_in_order(self, ranks: frozenset[str]) -> list[str]:
        # A set has no order of its own: JSON lists the ranks sorted, so documents (and
        # the hashes over them) do not depend on the interpreter's hash seed.
        return sorted(ranks)

    def citation(self, *keys: str) -> Citation | None:
        """The citation of the first of ``keys`` (rule names, violation codes) the pack cites.

        >>> CohortParameters().citation("permission", "not_permitted").basis
        'practice'
        """
        cited = dict(self.citations)
        for key in keys:
            if key in cited:
                return cited[key]
        return None

    def source(self, *keys: str) -> str | None:
        """What a refusal by the first cited of ``keys`` cites: pack, version and basis.

        >>> CohortParameters().source("office_quota").startswith("probolinggo-2019 v1: ")
        True
        """
        found = self.citation(*keys)
        return None if found is None else found.cite(self.rule_pack, self.rule_pack_version)


class Cohort(_Frozen):
    """A cohort (angkatan) of a leadership course, e.g. ``PKA-III-VII-2019``."""

    code: Code
    name: Text
    organiser: Text | None = None
    start: date
    end: date
    capacity: int = Field(default=30, ge=1)
    coach: Coach | None = None
    parameters: CohortParameters = CohortParameters()

    @field_validator("end")
    @classmethod
    def _check_dates(cls, end: date, info: ValidationInfo) -> date:
        # A field validator (not a model validator) so the error's ``loc`` names ``end``.
        start = info.data.get("start")
        if start is not None and end < start:
            raise ValueError(f"end {end} is before start {start}")
        return end


class Participant(_Frozen):
    """A nominated official (peserta): identity, office and rank.

    The birth date is derived from the NIP when not given and must agree with it when given.
    ``retirement_age``, when given, overrides the cohort's default for this person.
    """

    nip: Nip
    name: Text
    office: Office
    echelon: Rank
    birth_date: date | None = Field(default=None, validate_default=True)
    retirement_age: int | None = Field(default=None, ge=30, le=80)

    @field_validator("birth_date")
    @classmethod
    def _check_birth_date(cls, birth_date: date | None, info: ValidationInfo) -> date | None:
        # A field validator so the error's ``loc`` names ``birth_date``; skipped when the
        # NIP itself is invalid (that error is reported on ``nip``). Run on the default too,
        # so the frozen model stores the date the NIP encodes.
        nip = info.data.get("nip")
        if nip is None:
            return birth_date
        encoded = parse_nip(nip).birth_date
        if birth_date is None:
            return encoded
        if birth_date != encoded:
            raise ValueError(f"birth_date {birth_date} disagrees with the NIP's embedded {encoded}")
        return birth_date

    @property
    def born(self) -> date:
        """The birth date (always known once validated)."""
        return self.birth_date or parse_nip(self.nip).birth_date  # only for model_construct

    def retires_on(self, default_age: int) -> date:
        """The pension date, using the participant's own retirement age when given."""
        return retirement_date(self.born, self.retirement_age or default_age)


class Assessment(_Frozen):
    """One assessment score (0-100) of a participant, optionally for a named component."""

    score: float = Field(ge=0, le=100, allow_inf_nan=False)
    component: Code = "overall"
