"""Citations: where each rule of a rule pack comes from, a regulation's article or practice.

A :class:`Citation` says its ``basis``: ``law`` when it names a regulation and the article
(pasal) that was actually read, ``practice`` for an organiser's practice, the source
article's account, or changeflow's own bookkeeping. A cohort carries its pack's citations
with its parameters (:attr:`changeflow.models.CohortParameters.citations`), keyed by rule
name or violation code, so a refusal cites the pack the cohort was created on.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    PlainSerializer,
    StringConstraints,
    model_validator,
)

from changeflow.characters import unprintable

__all__ = ["PROBOLINGGO_2019_CITATIONS", "Basis", "Citation", "Citations"]

Basis = Literal["law", "practice"]
"""``law``: a regulation's article that was read; ``practice``: anything else."""


def _one_line(text: str) -> str:
    # A citation ends up in refusals, logs and tables: one printable line, like a name.
    found = unprintable(text)
    if found:
        raise ValueError(f"must not contain {found}: a citation is one printable line")
    return text


class Citation(BaseModel):
    """The basis of one rule: ``law`` (a regulation and its article) or ``practice``.

    >>> Citation(basis="practice", text="organiser's practice (source article)").cite(
    ...     "probolinggo-2019", "1")
    "probolinggo-2019 v1: organiser's practice (source article)"
    """

    model_config = ConfigDict(frozen=True, strict=True, extra="forbid", defer_build=True)

    basis: Basis
    text: Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1, max_length=500),
        AfterValidator(_one_line),
    ]
    """What the rule rests on, e.g. ``Perlan LAN 5/2022 Pasal 12 ayat (1)`` for ``law``."""

    @model_validator(mode="after")
    def _law_names_its_article(self) -> Citation:
        # "law" is a claim that an article was read: one that names none is practice.
        if self.basis == "law" and not re.search(r"\bPasal\s+\d", self.text):
            raise ValueError("a law citation names the article it rests on (Pasal N)")
        return self

    def cite(self, pack: str, version: str) -> str:
        """The ``source`` a refusal carries: ``"<pack> v<version>: <text>"``."""
        return f"{pack} v{version}: {self.text}"


def _as_pairs(value: Any) -> Any:
    # Given as a mapping (JSON, keyword arguments), kept as sorted pairs: a tuple is
    # hashable, picklable and compares equal whatever order the mapping came in.
    if isinstance(value, Mapping):
        return tuple(sorted(value.items()))
    return value


def _distinct(pairs: tuple[tuple[str, Citation], ...]) -> tuple[tuple[str, Citation], ...]:
    keys = [key for key, _ in pairs]
    if len(set(keys)) != len(keys):
        raise ValueError("each rule is cited once")
    if not all(key.isidentifier() for key in keys):
        raise ValueError("citation keys are rule names or violation codes (identifiers)")
    return tuple(sorted(pairs))


Citations = Annotated[
    tuple[tuple[str, Citation], ...],
    BeforeValidator(_as_pairs),
    AfterValidator(_distinct),
    PlainSerializer(dict, return_type=dict[str, Citation]),
]
"""Citations by rule name or violation code: given and serialized as a mapping, held as
sorted ``(key, citation)`` pairs so a frozen model holding them stays hashable."""

_ARTICLE = (
    "organiser's practice (source article: BKD Kabupaten Probolinggo, "
    "Diklat PIM III angkatan VII 2019)"
)
_BOOKKEEPING = "changeflow practice: a final record changes only through a correction with a reason"

PROBOLINGGO_2019_CITATIONS: tuple[tuple[str, Citation], ...] = tuple(
    sorted(
        (key, Citation(basis="practice", text=text))
        for key, text in {
            "rank": _ARTICLE,
            "retirement_horizon": _ARTICLE,
            "office_quota": _ARTICLE,
            "cohort_capacity": _ARTICLE,
            "already_active": "organiser's practice (common practice: one course at a time)",
            "change_project": "organiser's practice (source article: each participant designs "
            "a change project with a mentor)",
            "mentor_approval": "organiser's practice (source article: the proposal is presented "
            "to the mentor)",
            "passing_assessment": "organiser's practice (grading bands of public guides, "
            "examples, not law)",
            "attendance_minimum": "organiser's practice (an example value, not a regulation's)",
            "not_permitted": "organiser's practice (source article: the mentor approves the "
            "proposal, examiners assess the seminar, the organiser runs the course)",
            "reason_required": _BOOKKEEPING,
            "fail_grounds": _BOOKKEEPING,
            "record_open": _BOOKKEEPING,
            "outcome_unchanged": _BOOKKEEPING,
        }.items()
    )
)
"""The citations of the ``probolinggo-2019`` pack, version 1: the default of every cohort,
so cohorts stored before rule packs cite what they were judged by."""
