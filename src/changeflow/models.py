"""Domain models: offices, cohorts, participants, change projects and assessments.

All are frozen pydantic models. Input from outside is validated strictly (no silent
coercion of ``"30"`` to ``30``, unknown keys refused); a bad value raises pydantic's
``ValidationError`` naming the field. To build models from JSON-like data whose dates are
ISO strings, use ``Model.model_validate(data, strict=False)`` or ``model_validate_json``.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from changeflow.dates import retirement_date
from changeflow.nip import Nip, parse_nip

__all__ = [
    "DEFAULT_ELIGIBLE_RANKS",
    "Assessment",
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
]

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
"""Free text from outside: trimmed, non-empty, bounded so a roster cannot carry megabytes."""

Code = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,63}$")
]
"""An identifier safe in file names, URLs and shell arguments."""

Rank = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        pattern=r"^(?:(?:I|II|III|IV|V)\.[a-b]|administrator|pengawas|pelaksana|fungsional)$",
    ),
]
"""An echelon (eselon) such as ``III.a``, or a post name such as ``administrator``."""

DEFAULT_ELIGIBLE_RANKS: frozenset[str] = frozenset({"III.a", "III.b", "administrator"})
"""Echelon III, or the administrator post that replaced it (level III leadership)."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, strict=True, extra="forbid")


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

        >>> Office.from_name("Dinas Kesehatan").code
        'DINAS-KESEHATAN'
        """
        code = re.sub(r"[^A-Za-z0-9]+", "-", name.strip()).strip("-").upper()[:64]
        return cls(code=code or "OFFICE", name=name)


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

    @model_validator(mode="after")
    def _check(self) -> Self:
        if not self.weights or any(w <= 0 for w in self.weights.values()):
            raise ValueError("weights must name at least one component, each weight > 0")
        floors = [b.above for b in self.bands]
        if floors != sorted(floors, reverse=True):
            raise ValueError("bands must be listed from the highest floor down")
        return self

    def missing(self, scores: dict[str, float]) -> tuple[str, ...]:
        """Components that have a weight but no score yet."""
        return tuple(c for c in self.weights if c not in scores)

    def grade(self, scores: dict[str, float]) -> Grade:
        """Grade complete component scores; raise ``KeyError`` naming a missing component.

        >>> GradingScheme().grade({"overall": 85}).band
        'memuaskan'
        """
        total = sum(self.weights.values())
        score = round(sum(scores[c] * w for c, w in self.weights.items()) / total, 2)
        for band in self.bands:
            if score > band.above:
                return Grade(score=score, band=band.name, passed=band.passing)
        return Grade(score=score, band=self.failing_band, passed=False)


class CohortParameters(_Frozen):
    """The per-cohort parameters of the rule pack the cohort is pinned to."""

    max_per_office: int = Field(default=2, ge=1)
    min_years_to_retirement: int = Field(default=4, ge=0, le=40)
    retirement_age: int = Field(default=58, ge=30, le=80)
    eligible_ranks: frozenset[str] = DEFAULT_ELIGIBLE_RANKS
    grading: GradingScheme = GradingScheme()
    rule_pack: Text = "changeflow-default-1"
    """Label of the regulation regime the parameters come from, cited in refusals."""


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

    @model_validator(mode="after")
    def _check_dates(self) -> Self:
        if self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        return self


class Participant(_Frozen):
    """A nominated official (peserta): identity, office and rank.

    The birth date is derived from the NIP when not given and must agree with it when given.
    ``retirement_age``, when given, overrides the cohort's default for this person.
    """

    nip: Nip
    name: Text
    office: Office
    echelon: Rank
    birth_date: date | None = None
    retirement_age: int | None = Field(default=None, ge=30, le=80)

    @model_validator(mode="after")
    def _check_birth_date(self) -> Self:
        encoded = parse_nip(self.nip).birth_date
        if self.birth_date is not None and self.birth_date != encoded:
            raise ValueError(
                f"birth_date {self.birth_date} disagrees with the NIP's embedded {encoded}"
            )
        return self

    @property
    def born(self) -> date:
        """The birth date (always known once validated)."""
        return self.birth_date or parse_nip(self.nip).birth_date

    def retires_on(self, default_age: int) -> date:
        """The pension date, using the participant's own retirement age when given."""
        return retirement_date(self.born, self.retirement_age or default_age)


class Assessment(_Frozen):
    """One assessment score (0-100) of a participant, optionally for a named component."""

    score: float = Field(ge=0, le=100, allow_inf_nan=False)
    component: Code = "overall"
