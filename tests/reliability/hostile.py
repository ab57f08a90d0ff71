"""Hypothesis strategies for hostile input: commands, rosters, definitions and command lines.

Every strategy draws something that must be refused, with what the refusal must look like:
a :class:`Case` for an engine call, a :class:`RosterCase` for a roster file, a
:class:`DefinitionCase` for a lifecycle definition and a :class:`CliCase` for a command
line. Defects are invalid by construction and filtered with small references written here
from the documented formats (the NIP layout, the code and rank patterns), never with
changeflow's own validators, so a validator that wrongly accepted a value cannot hide a case.

The engine cases aim at :data:`WORLD`, a cohort the tests build first whose participants
sit in known states, so an illegal or rule-refused move is known to be refused (and
audited) before it is tried.

Strategies are built once, at import: Hypothesis validates each strategy object the first
time it draws from it, and building them inside the composites made generation several
times slower than running the cases.
"""

from __future__ import annotations

import functools
import itertools
import json
import re
import reprlib
import sqlite3
import tempfile
import unicodedata
from collections.abc import Callable
from contextlib import closing, suppress
from dataclasses import dataclass, field
from datetime import UTC, date
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from hypothesis import assume
from hypothesis import strategies as st
from pydantic import ValidationError

from changeflow import Assessment, ChangeProject, Cohort, Engine, Mentor, Office, Participant
from changeflow.errors import (
    AlreadyExists,
    CohortNotFound,
    DefinitionError,
    IdempotencyConflict,
    IllegalTransition,
    InvalidInput,
    MigrationRejected,
    NotFound,
    ParticipantNotFound,
    TransitionRejected,
    UnknownEvent,
)
from changeflow.staff import STAFF_ROLES, StaffMember
from changeflow.states.default import DEFAULT_LIFECYCLE
from changeflow.states.definition import LifecycleDefinition
from factories import make_cohort, make_nip, office, trusted_engine

if TYPE_CHECKING:
    from collections.abc import Sequence


__all__ = [
    "COHORT",
    "OTHER",
    "WORLD",
    "Case",
    "CliCase",
    "DefinitionCase",
    "Member",
    "RosterCase",
    "build_world",
    "cli_cases",
    "command_cases",
    "definition_cases",
    "names_what_it_should",
    "nip_is_valid",
    "roster_cases",
    "toml_text",
]

# -- the world the commands aim at --------------------------------------------------------------

COHORT = "PKA-III-VII-2019"
"""The cohort every command aims at."""

OTHER = "PKA-II-2019"
"""A second cohort, so that cohort look-ups have something to miss."""

_TO_SEMINAR = ("start_class", "present_proposal", "approve_proposal", "present_results")
_STATE_AFTER = {
    (): "enrolled",
    ("start_class",): "on_class",
    ("start_class", "present_proposal"): "proposal",
    _TO_SEMINAR: "seminar",
    (*_TO_SEMINAR, "graduate"): "graduated",
    ("withdraw",): "withdrawn",
}
FINALS = frozenset({"graduated", "withdrawn"})
"""The final states :data:`WORLD`'s participants reach."""


@dataclass(frozen=True)
class Member:
    """A participant of :data:`WORLD`: NIP, the events that bring it to its state, office.

    ``score`` is recorded at the seminar (before a graduation); ``moved_to`` is the office
    the participant is transferred to once withdrawn (no seat: no quota to judge);
    ``elsewhere`` enrols the withdrawn participant in :data:`OTHER` afterwards, where it is
    active.
    """

    nip: str
    path: tuple[str, ...]
    office: int
    reason: str | None = None
    score: float | None = None
    moved_to: int | None = None
    elsewhere: bool = False

    @property
    def state(self) -> str:
        """The state the path ends in."""
        return _STATE_AFTER[self.path]

    @property
    def seated(self) -> bool:
        """Whether the participant holds a seat (withdrawn ones do not)."""
        return self.state != "withdrawn"

    @property
    def desk(self) -> int:
        """The office the participant is in now."""
        return self.office if self.moved_to is None else self.moved_to


WORLD = (
    Member(make_nip(date(1975, 6, 1), sequence=901), (), 1),
    Member(make_nip(date(1976, 7, 2), sequence=902), (), 1),  # office 1 is then full
    Member(make_nip(date(1977, 8, 3), sequence=903), ("start_class",), 2),
    Member(make_nip(date(1978, 9, 4), sequence=904), ("start_class",), 3),
    Member(make_nip(date(1979, 10, 5), sequence=905), ("start_class", "present_proposal"), 4),
    Member(make_nip(date(1980, 11, 6), sequence=906), ("withdraw",), 5, "pindah", elsewhere=True),
    Member(make_nip(date(1981, 12, 7), sequence=907), ("withdraw",), 7, "cuti", moved_to=1),
    Member(make_nip(date(1972, 1, 8), sequence=908), _TO_SEMINAR, 8, score=90.0),
    Member(make_nip(date(1973, 2, 9), sequence=909), _TO_SEMINAR, 9),
    Member(make_nip(date(1974, 3, 10), sequence=910), (*_TO_SEMINAR, "graduate"), 6, score=85.0),
)
"""Two enrolled from one office (which is then full), two on class without a project, one
in proposal with a project and a mentor, two withdrawn (one now active in :data:`OTHER`,
one since transferred to the full office), two at the seminar (one with a passing score,
one unscored) and one graduate."""

_PROJECT = ChangeProject(
    title="Antrean online puskesmas",
    theme="pelayanan kesehatan",
    mentor=Mentor(name="Kepala Dinas Kesehatan"),
)

EVENTS = frozenset(DEFAULT_LIFECYCLE.events)
LEAVING = {
    "enrolled": frozenset({"start_class", "withdraw", "drop"}),
    "on_class": frozenset({"present_proposal", "withdraw", "drop"}),
    "proposal": frozenset({"revise_proposal", "approve_proposal", "withdraw", "drop"}),
    "seminar": frozenset({"graduate", "fail", "withdraw", "drop"}),
    "graduated": frozenset({"reopen"}),
    "withdrawn": frozenset({"reopen"}),
}
"""The events leaving each state of the world, from the documented lifecycle."""

SCORED = tuple(m for m in WORLD if m.score is not None)
UNSCORED = tuple(m for m in WORLD if m.score is None)
CLOSED = tuple(m for m in WORLD if m.state in FINALS)
SEATED = tuple(m for m in WORLD if m.seated)
GRADUATES = tuple(m for m in WORLD if m.state == "graduated")
PASS_MARK = 70.0
"""The default grading scheme passes a score above this."""


def _person(member: Member) -> Participant:
    return Participant(
        nip=member.nip,
        name=f"Peserta {member.nip[-3:]}",
        office=office(member.office),
        echelon="III.a",
    )


def build_world(engine: Engine) -> None:
    """Create the two cohorts and move :data:`WORLD` into place through the public API."""
    staff = StaffMember(id="BKD", name="BKD", roles=frozenset(STAFF_ROLES))
    for code in (COHORT, OTHER):  # the command-line cases act as BKD, holding every role
        engine.create_cohort(make_cohort(code), actor="BKD")
        engine.add_staff(code, staff, actor="BKD")
    for member in WORLD:
        engine.enrol(COHORT, _person(member), actor="BKD")
        for event in member.path:
            if event == "present_proposal":
                engine.register_project(COHORT, member.nip, _PROJECT)
            if event == "graduate" and member.score is not None:
                engine.record_assessment(COHORT, member.nip, member.score)
            engine.fire(COHORT, member.nip, event, actor="BKD", reason=member.reason)
        if member.score is not None and member.state not in FINALS:
            engine.record_assessment(COHORT, member.nip, member.score)
        if member.moved_to is not None:
            engine.transfer_office(
                COHORT, member.nip, office(member.moved_to), reason="pindah tugas"
            )
        if member.elsewhere:
            engine.enrol(OTHER, _person(member), actor="BKD")
    assert [engine.state(COHORT, m.nip) for m in WORLD] == [m.state for m in WORLD]


# -- references from the documented formats -----------------------------------------------------

_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._\-]{0,63}")
_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")
_RANK_ANYWHERE = re.compile(
    r"(?:I|II|III|IV|V) ?[./-]? ?[ab]|administrator|pengawas|pelaksana|fungsional", re.IGNORECASE
)
"""Anything holding an echelon in a form that reads as one (``III/a``, ``iii.a``, ...)."""
_CONTROLS = (*map(chr, range(0x20)), "\x7f", "\x85", "\x9b")
BIDI = (
    "\u061c",
    "\u200e",
    "\u200f",
    *map(chr, range(0x202A, 0x202F)),
    *map(chr, range(0x2066, 0x206A)),
)
"""Bidirectional marks, embeddings, overrides and isolates: no stored text may hold one."""
LINE_BREAKS = ("\n", "\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029")
"""Every character ``str.splitlines`` breaks at: no single-line text may hold one."""
INVISIBLE = ("\u2003", "\x1c", "\u200b", "\u200c", "\u200d", "\ufeff", "\u00a0")
"""Separators that hide in printed text (em space, file separator, zero-width, no-break)."""
_LAX_BOOLS = frozenset({"0", "1", "true", "false", "yes", "no", "on", "off", "t", "f", "y", "n"})


def nip_is_valid(text: str) -> bool:
    """The documented NIP layout, once trimmed and rid of the spaces it is printed with.

    Any other separator inside is refused. 18 ASCII digits: a real birth date, a real
    appointment month after it, a sex digit of 1 or 2 and a sequence number.
    """
    digits = text.strip().replace(" ", "")
    if not re.fullmatch(r"[0-9]{18}", digits):
        return False
    try:
        born = date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return False
    year, month = int(digits[8:12]), int(digits[12:14])
    return 1 <= month <= 12 and (year, month) > (born.year, born.month) and digits[14] in "12"


def _code_ok(text: str) -> bool:
    """Whether a code might be accepted (conservatively: with or without its ends stripped)."""
    return bool(_CODE.fullmatch(text) or _CODE.fullmatch(text.strip()))


def _refused(char: str, keep: str = "") -> bool:
    """Whether stored text may not hold ``char`` (``keep``: what the field allows anyway).

    A control (Unicode category Cc), a line or paragraph separator, or a bidi control.
    """
    if char in keep:
        return False
    return unicodedata.category(char) in {"Cc", "Zl", "Zp"} or char in BIDI


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _not_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


T = TypeVar("T")


@functools.cache
def _index(size: int) -> st.SearchStrategy[int]:
    return st.integers(0, size - 1)


def pick(draw: st.DrawFn, options: Sequence[T]) -> T:
    """One of ``options`` (a cached strategy per length, so nothing new is validated)."""
    return options[draw(_index(len(options)))]


# -- hostile text -------------------------------------------------------------------------------

SQL = (
    "'; DROP TABLE enrolments;--",
    "Robert'); DROP TABLE audit;--",
    '" OR "1"="1',
    "' OR 1=1 --",
    "1; DELETE FROM cohorts WHERE 1=1",
    "' UNION SELECT key, fingerprint FROM idempotency --",
    "%s%s%s%s",
    "?, ?, ?",
    "$1::text",
    "\\'; TRUNCATE audit; --",
    "/* */ SELECT pg_sleep(10) --",
)
"""SQL that must be stored or reported as text, never run."""

ODD = (
    "",
    " ",
    "\u00a0",
    "O'Brien",
    'say "hi"',
    "%(name)s {0} {name}",
    "\\",
    "Ünïcødé ñame",
    "名前",
    "اسم",
    "\U0001f600",
    "\ufeff",
    "\u200b",
    "Sri\u2003Wahyuni",
    "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",
    "\U0001f469\u200d\U0001f4bb",
    "a\u0300\u0301\u0302",
)
"""Text that is unusual but legal where free text is allowed (``reason``, ``actor``): zero-width
characters and an em space included; bidi controls and line breaks are not (:data:`BIDI`)."""


_REPR = reprlib.Repr()
_REPR.maxstring = _REPR.maxother = 120


def _shown(value: object) -> str:
    """A short repr for failure messages (bounded in depth and length)."""
    return _REPR.repr(value)


def _splice(parts: tuple[str, str, int]) -> str:
    base, inner, at = parts
    at %= len(base) + 1
    return base[:at] + inner + base[at:]


_COIN = st.booleans()
_SURROGATE = st.integers(0xD800, 0xDFFF).map(chr)
_CONTROL = st.sampled_from(_CONTROLS)
_SHORT = st.text(max_size=10)
_ANY_TEXT = st.text(st.characters(codec=None, categories=None), max_size=40)
_HUGE = st.integers(65, 70_000).map(lambda n: "x" * n)
HOSTILE = st.one_of(
    st.text(max_size=30),
    _ANY_TEXT,
    st.sampled_from(SQL + ODD),
    st.tuples(st.sampled_from((*SQL, "abc")), st.just("\x00"), st.integers(0, 99)).map(_splice),
    st.tuples(_SHORT, _SURROGATE, st.integers(0, 99)).map(_splice),
    st.tuples(_SHORT, _CONTROL, st.integers(0, 99)).map(_splice),
    st.tuples(_SHORT, st.sampled_from((*BIDI, *LINE_BREAKS, *INVISIBLE)), st.integers(0, 99)).map(
        _splice
    ),
    _HUGE,
)
"""Strings of every kind an attacker might send: SQL, NUL, surrogates, controls, bidi and
invisible characters, huge."""

CONTAINERS = st.one_of(
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
"""Values no scalar field accepts, even in pydantic's lax mode."""

WRONG_SCALAR = st.one_of(st.integers(), st.floats(), st.booleans(), st.none(), CONTAINERS)
"""Values of the wrong type for a string argument."""


def _inner_control(text: str) -> bool:
    """Whether a control, line-break or bidi character survives stripping.

    Python strips a superset of the characters pydantic strips, so it survives there too.
    """
    return any(map(_refused, text.strip()))


_BREAK_OR_BIDI = st.sampled_from((*LINE_BREAKS, *BIDI))
BAD_TEXT = st.one_of(
    st.sampled_from(["", "   ", "\t", "\u3000"]),
    st.integers(201, 5000).map(lambda n: "n" * n),
    st.tuples(st.sampled_from(("ab", "Budi Santoso", *SQL)), _CONTROL, st.integers(1, 99))
    .map(_splice)
    .filter(_inner_control),
    st.tuples(st.sampled_from(("ab", "Budi Santoso", *SQL)), _BREAK_OR_BIDI, st.integers(0, 99))
    .map(_splice)
    .filter(_inner_control),
    st.tuples(st.sampled_from(("Budi", "Sri")), _SURROGATE, st.integers(1, 3)).map(_splice),
)
"""Strings a ``Text`` field refuses: empty, over 200 characters, an inner control character
(NUL included), line break or bidi character, or an unpaired surrogate."""

BAD_TEXT_VALUES = st.one_of(BAD_TEXT, CONTAINERS, st.integers(), st.none())
"""Anything a required ``Text`` field refuses."""

BAD_CODES = st.one_of(
    st.sampled_from(["", "-OPD", ".x", "OP D", "OPD;", "OPD'", "x" * 65, "OPD\x00", *SQL]),
    st.tuples(  # a character the pattern refuses, inside the code
        st.sampled_from(["OP", "A1"]),
        st.sampled_from(list(" ;'\"/\\,:é\u0661\x00\n\u2028\u202e\u2066\u200b\u2003\ufeff")),
        st.sampled_from(["D", "9"]),
    ).map("".join),
    HOSTILE.filter(lambda s: not _code_ok(s)),
)
"""Office or cohort codes the code pattern refuses."""

BAD_RANKS = st.one_of(
    st.sampled_from(["", "III", "III.c", "IIIc", "III/", "3a", "VI.a", "eselon III", "Admin"]),
    HOSTILE.filter(lambda s: not _RANK_ANYWHERE.search(s)),
)
"""Echelons refused: neither an echelon in a form that reads as one nor a post."""

NOT_DATES = st.one_of(
    st.sampled_from(["2019-02-30", "1975-13-01", "30/12/1975", "1975-6-1", "", "tomorrow", *SQL]),
    HOSTILE.filter(lambda s: not re.match(r"\s*[0-9]", s)),
    CONTAINERS,
)
"""Values that are no date at all."""


# -- NIPs ---------------------------------------------------------------------------------------

_BIRTHS = st.dates(date(1960, 1, 1), date(1995, 12, 31))


@st.composite
def _valid_nip(draw: st.DrawFn) -> str:
    born = draw(_BIRTHS)
    appointed = (born.year + 18 + draw(_index(12)), 1 + draw(_index(12)))
    return make_nip(born, appointed, 1 + draw(_index(2)), draw(_index(900)))


VALID_NIPS = _valid_nip()
"""Well-formed NIPs, none of them :data:`WORLD`'s (their sequences are below 900)."""


@st.composite
def _bad_layout(draw: st.DrawFn) -> str:
    born = draw(_BIRTHS)
    birth, appointed, sex = f"{born:%Y%m%d}", f"{born.year + 20:04d}03", "1"
    kind = pick(draw, ("birth", "month", "before", "sex"))
    if kind == "birth":
        birth = pick(draw, ("19751301", "19750230", "19750632", "00000000", "19750000"))
    elif kind == "month":
        appointed = f"{born.year + 20:04d}{pick(draw, (0, 13, 20, 99)):02d}"
    elif kind == "before":
        appointed = f"{born.year - draw(_index(30)):04d}{born.month:02d}"
    else:
        sex = pick(draw, "03456789")
    return f"{birth}{appointed}{sex}{draw(_index(1000)):03d}"


_ODD_DIGIT = st.one_of(
    st.sampled_from(["a", "O", "'", ";", "\x00", "\uff11", "\u0661", "\u0967", "-"]),
    _SURROGATE,
    _CONTROL,
    st.sampled_from((*INVISIBLE, *BIDI, "\u2028")),
)
_HIDDEN_SEPARATOR = st.sampled_from((*INVISIBLE, *BIDI, *LINE_BREAKS, "\t", "\x1f", "\x00"))


@st.composite
def _one_odd_character(draw: st.DrawFn) -> str:
    good, at = draw(VALID_NIPS), draw(_index(18))
    return good[:at] + draw(_ODD_DIGIT) + good[at + 1 :]


@st.composite
def _hidden_separator(draw: st.DrawFn) -> str:
    """A valid NIP with a separator other than a plain space inside (once stripped, accepted)."""
    good, at = draw(VALID_NIPS), 1 + draw(_index(17))
    return good[:at] + draw(_HIDDEN_SEPARATOR) + good[at:]


BAD_NIPS = st.one_of(
    st.text("0123456789", max_size=40).filter(lambda s: len(s) != 18),
    _one_odd_character(),
    _hidden_separator(),
    st.sampled_from(["\u0661" * 18, "\uff11" * 18, "١٩٧٥٠٦٠١٢٠٠٠٠٣١٠٠١"]),
    _bad_layout(),
    HOSTILE,
).filter(lambda s: not nip_is_valid(s))
"""Strings that are not NIPs, for every documented reason."""

UNKNOWN_NIPS = st.one_of(
    VALID_NIPS,
    BAD_NIPS,
    st.sampled_from([m.nip + " " for m in WORLD]),
    st.sampled_from([f"{m.nip[:8]} {m.nip[8:14]} {m.nip[14]} {m.nip[15:]}" for m in WORLD]),
)
"""NIPs no participant of the cohort has (the spaced forms are not normalised by look-ups)."""

UNKNOWN_COHORTS = st.one_of(
    HOSTILE,
    BAD_CODES,
    st.sampled_from(
        ["PKA-III-VII-2020", "pka-iii-vii-2019", COHORT + " ", " " + COHORT, COHORT + "\x00"]
    ),
).filter(lambda s: s not in {COHORT, OTHER})
"""Cohort codes no cohort has."""

UNKNOWN_EVENTS = HOSTILE.filter(lambda s: s not in EVENTS)
"""Event names the lifecycle lacks."""


# -- what a refusal must look like ---------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One hostile engine call: how to make it and how it must be refused.

    ``names`` is what the error must name: the field (``ValidationError`` location, the
    ``InvalidInput`` field), the unknown key (``NotFound``, ``AlreadyExists``,
    ``IdempotencyConflict``) or the violation code (``TransitionRejected``). ``audited`` is
    the number of refused-attempt rows the call adds to :data:`COHORT`'s audit trail.
    """

    label: str
    run: Callable[[Engine], object] = field(repr=False)
    errors: tuple[type[BaseException], ...]
    names: str
    audited: int = 0
    detail: str = ""


def names_what_it_should(error: BaseException, names: str) -> bool:  # noqa: PLR0911
    """Whether ``error`` names ``names`` where its type says it should."""
    if isinstance(error, ValidationError):
        if not _utf8(names):
            # A key with an unpaired surrogate cannot be read as a field name at all:
            # pydantic reports it without a location, quoting the key as the input value.
            return any(not e["loc"] and e["input"] == names for e in error.errors())
        located = {str(e["loc"][0]) for e in error.errors() if e["loc"]}
        return names in located and names in str(error)
    if isinstance(error, TransitionRejected | MigrationRejected):
        return names in error.codes and names in str(error)
    if isinstance(error, InvalidInput):
        return error.field == names and str(error).startswith(f"{names}: ")
    if isinstance(error, NotFound | AlreadyExists | IdempotencyConflict):
        return error.key == names and repr(names)[:40] in str(error)
    if isinstance(error, DefinitionError):
        return bool(error.problems) and names in str(error)
    return False


_keys = itertools.count(1)


def _fresh_key(_: object = None) -> str:
    """An idempotency key no earlier case used."""
    return f"hostile-{next(_keys)}"


_MAYBE_KEY = st.one_of(st.none(), st.just(None).map(_fresh_key))
_VALIDATION = (ValidationError,)


# -- nominations --------------------------------------------------------------------------------

PARTICIPANT_FIELDS = frozenset({"nip", "name", "office", "echelon", "birth_date", "retirement_age"})
_NAMES = ("Budi Santoso", "Sri Wahyuni", "O'Brien", "Robert'); DROP TABLE audit;--")


@st.composite
def _nomination(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "nip": draw(VALID_NIPS),
        "name": pick(draw, _NAMES),
        "office": {"code": f"OPD{100 + draw(_index(900))}", "name": "Dinas Uji"},
        "echelon": "III.a",
    }


NOMINATIONS = _nomination()
"""Well-formed nominations as JSON-like data, their NIPs enrolled nowhere."""

_NIP_DATE = date(1975, 6, 1)
_BAD_BIRTH_DATES = st.one_of(
    NOT_DATES,
    st.dates(date(1900, 1, 1), date(2100, 1, 1)).filter(lambda d: d != _NIP_DATE),
    st.dates(date(1900, 1, 1), date(2100, 1, 1))
    .filter(lambda d: d != _NIP_DATE)
    .map(date.isoformat),
)
"""Birth dates that are no date, or not the one the NIP encodes (1975-06-01)."""

_BAD_AGES = st.one_of(
    st.integers(max_value=29),
    st.integers(min_value=81),
    st.just(30.5),
    HOSTILE.filter(lambda s: not any(c.isdigit() for c in s)),
    CONTAINERS,
)
_BAD_ECHELONS = st.one_of(BAD_RANKS, CONTAINERS, st.integers())
_WRONG_FIELD_TYPES = st.one_of(CONTAINERS, st.integers(), st.none(), st.booleans())
_EXTRA_KEYS = HOSTILE.filter(lambda k: k not in PARTICIPANT_FIELDS)
_NOT_AN_OFFICE = st.one_of(st.text(max_size=8), st.integers(), st.none(), CONTAINERS)


@st.composite
def _bad_nomination(draw: st.DrawFn) -> tuple[dict[str, Any], str]:
    """Nomination data with a defect, and the field the error must name."""
    data = draw(NOMINATIONS)
    field_name = pick(
        draw,
        (
            "nip",
            "name",
            "office",
            "echelon",
            "birth_date",
            "retirement_age",
            "missing",
            "extra",
            "wrong_type",
            "office.code",
            "office.name",
            "office.extra",
        ),
    )
    if field_name == "nip":
        data["nip"] = draw(BAD_NIPS)
    elif field_name == "name":
        data["name"] = draw(BAD_TEXT_VALUES)
    elif field_name == "office":
        data["office"] = draw(_NOT_AN_OFFICE)
    elif field_name == "echelon":
        data["echelon"] = draw(_BAD_ECHELONS)
    elif field_name == "birth_date":
        data["nip"] = make_nip(_NIP_DATE, sequence=draw(_index(900)))
        data["birth_date"] = draw(_BAD_BIRTH_DATES)
    elif field_name == "retirement_age":
        data["retirement_age"] = draw(_BAD_AGES)
    elif field_name == "missing":
        field_name = pick(draw, ("nip", "name", "office", "echelon"))
        del data[field_name]
    elif field_name == "extra":
        field_name = draw(_EXTRA_KEYS)
        data[field_name] = draw(WRONG_SCALAR)
    elif field_name == "wrong_type":
        field_name = pick(draw, ("nip", "name", "office", "echelon"))
        data[field_name] = draw(_WRONG_FIELD_TYPES)
    else:
        part = field_name.removeprefix("office.")
        bad = {"code": BAD_CODES, "name": BAD_TEXT_VALUES, "extra": WRONG_SCALAR}[part]
        data["office"] = {**data["office"], ("parent" if part == "extra" else part): draw(bad)}
        field_name = "office"
    return data, field_name


_BAD_NOMINATIONS = _bad_nomination()


def _json_text(data: object) -> str | None:
    """``data`` as JSON, when JSON carries it faithfully (no NaN, no unpaired surrogate)."""
    try:
        text = json.dumps(data, allow_nan=False, ensure_ascii=False, default=_no_default)
        text.encode("utf-8")
    except (TypeError, ValueError):
        return None
    return text


def _no_default(value: object) -> object:
    raise TypeError(type(value).__name__)


@st.composite
def _malformed_nominations(draw: st.DrawFn) -> Case:
    """A malformed nomination through each entry point that takes one."""
    data, names = draw(_BAD_NOMINATIONS)
    shown = _shown(data)
    how = pick(draw, ("enrol", "check_enrolment", "check_enrolments", "json"))
    text = _json_text(data) if how == "json" else None
    how = "enrol" if how == "json" and text is None else how
    if text is not None:
        return Case(
            f"model_validate_json:{names}",
            lambda _: Participant.model_validate_json(text, strict=False),
            _VALIDATION,
            names,
            detail=text[:300],
        )
    if how == "check_enrolment":
        run: Callable[[Engine], object] = lambda e: e.check_enrolment(COHORT, data)  # noqa: E731
    elif how == "check_enrolments":
        good = draw(NOMINATIONS)
        run = lambda e: e.check_enrolments(COHORT, [good, data])  # noqa: E731
    else:
        key = draw(_MAYBE_KEY)
        run = lambda e: e.enrol(COHORT, data, key=key)  # noqa: E731
    return Case(f"{how}:{names}", run, _VALIDATION, names, detail=shown)


_NOT_A_NOMINATION = st.one_of(
    st.integers(), st.text(max_size=5), st.none(), st.lists(st.integers(), max_size=2)
)
_NOT_NOMINATIONS = st.one_of(st.integers(), st.none(), st.text(max_size=5), st.just({"a": 1}))


@st.composite
def _not_nominations(draw: st.DrawFn) -> Case:
    """Something that is not a nomination at all, or not a list of them."""
    if draw(_COIN):
        value = draw(_NOT_A_NOMINATION)
        return Case(
            "enrol:not_a_mapping",
            lambda e: e.enrol(COHORT, value),
            (InvalidInput,),
            "participant",
        )
    many = draw(_NOT_NOMINATIONS)
    return Case(
        "check_enrolments:not_iterable",
        lambda e: e.check_enrolments(COHORT, many),
        (InvalidInput,),
        "participants",
    )


_LEGAL_CHARACTERS = st.characters(
    exclude_categories=("Cc", "Cs", "Zl", "Zp"), exclude_characters=BIDI
)
_LEGAL_TEXT = st.one_of(st.sampled_from(SQL + ODD), st.text(_LEGAL_CHARACTERS, max_size=50))
NASTY_ACTOR = st.one_of(st.none(), _LEGAL_TEXT.filter(lambda s: len(s) <= 200))
NASTY_REASON = st.one_of(
    st.none(), _LEGAL_TEXT, st.tuples(_LEGAL_TEXT, st.just("\n"), st.integers(0, 50)).map(_splice)
)
"""Free text every store must keep verbatim (SQL, quotes, zero-width characters, emoji; a
reason's line feeds)."""

_RETIRING = st.dates(date(1958, 1, 1), date(1962, 12, 31))


@st.composite
def _rule_refused_nominations(draw: st.DrawFn) -> Case:
    """Well-formed nominations the rules refuse: one refused audit row each."""
    data = draw(NOMINATIONS)
    code = pick(draw, ("rank", "retirement_horizon", "already_enrolled", "office_quota"))
    if code == "rank":
        data["echelon"] = pick(draw, ("IV.a", "II.b", "pelaksana"))
    elif code == "retirement_horizon":  # retiring within 4 years of the 2019 cohort
        data["nip"] = make_nip(draw(_RETIRING), (1985, 3), 1, draw(_index(900)))
    elif code == "already_enrolled":
        data["nip"] = pick(draw, WORLD).nip
    else:
        data["office"] = office(1).model_dump()  # two of its officials are enrolled
    actor, reason, key = draw(NASTY_ACTOR), draw(NASTY_REASON), draw(_MAYBE_KEY)
    return Case(
        f"enrol_refused:{code}",
        lambda e: e.enrol(COHORT, data, actor=actor, reason=reason, key=key),
        (TransitionRejected,),
        code,
        audited=1,
        detail=_shown(data),
    )


# -- moves --------------------------------------------------------------------------------------

_NO_REASONS = (None, "", "   ", " \n ")
"""Reasons that are no reason."""

_PAYLOADS = st.one_of(
    st.none(),
    st.dictionaries(st.text(max_size=8), st.one_of(st.text(max_size=8), st.integers()), max_size=3),
)
_OUTSIDE = {state: tuple(sorted(EVENTS - leaving)) for state, leaving in LEAVING.items()}


@st.composite
def _refused_moves(draw: st.DrawFn) -> Case:
    """A known event the state or the rules refuse: one refused audit row, even if retried."""
    member = pick(draw, WORLD)
    actor, reason = draw(NASTY_ACTOR), draw(NASTY_REASON)
    payload, key = draw(_PAYLOADS), draw(_MAYBE_KEY)
    choice = pick(draw, ("illegal", "reason", "project", "grounds", "seat"))
    if choice == "reason":  # leaving, or reopening a final state, needs a reason
        event = "reopen" if member.state in FINALS else pick(draw, ("withdraw", "drop"))
        code, reason = "reason_required", pick(draw, _NO_REASONS)
    elif choice == "project" and member.state == "on_class":
        event, code = "present_proposal", "change_project_missing"
    elif choice == "grounds" and member.state == "seminar":
        if member.score is not None:  # a passing score: no failing it, whatever the reason
            event, code = "fail", "assessment_passes"
        elif draw(_COIN):  # no score: failing needs a reason
            event, code, reason = "fail", "reason_required", pick(draw, _NO_REASONS)
        else:
            event, code = "graduate", "assessment_missing"
    elif choice == "seat" and member.state == "withdrawn" and member.moved_to == 1:
        # Reopening takes the seat back, in an office that is full meanwhile.
        event, code = "reopen", "office_quota"
    else:
        event, code = pick(draw, _OUTSIDE[member.state]), "illegal_transition"
    replay = key is not None and draw(_COIN)

    def run(engine: Engine) -> object:
        kwargs = {"actor": actor, "reason": reason, "payload": payload, "key": key}
        if replay:  # the retry must raise the same refusal and write nothing more
            with suppress(TransitionRejected):
                engine.fire(COHORT, member.nip, event, **kwargs)
        return engine.fire(COHORT, member.nip, event, **kwargs)

    errors = (IllegalTransition,) if code == "illegal_transition" else (TransitionRejected,)
    detail = f"{member.state} {event} actor={actor!r:.60} reason={reason!r:.60}"
    label = f"fire_refused:{code}" + (":replayed" if replay else "")
    return Case(label, run, errors, code, audited=1, detail=detail)


_TWO_EVENTS = st.lists(st.sampled_from(sorted(EVENTS)), min_size=2, max_size=2, unique=True)


@st.composite
def _reused_keys(draw: st.DrawFn) -> Case:
    """A key used for a refused move, then for a different command."""
    nip = pick(draw, CLOSED).nip  # a final state: every event is illegal or needs a reason
    first, second = draw(_TWO_EVENTS)
    key = _fresh_key()

    def run(engine: Engine) -> object:
        with suppress(TransitionRejected):  # illegal, or a reopening without a reason
            engine.fire(COHORT, nip, first, key=key)
        return engine.fire(COHORT, nip, second, key=key)

    return Case("fire:reused_key", run, (IdempotencyConflict,), key, audited=1)


def _deep(depth: int) -> dict[str, Any]:
    value: Any = []
    for _ in range(depth):
        value = [value]
    return {"deep": value}


def _circular(_: object) -> dict[str, Any]:
    loop: dict[str, Any] = {}
    loop["self"] = loop
    return loop


_BAD_PAYLOADS = st.one_of(
    st.lists(st.integers(), max_size=2),
    st.text(max_size=5),
    st.integers(),
    st.sampled_from(
        [
            {"nan": float("nan")},
            {"inf": float("-inf")},
            {"set": {1, 2}},
            {"bytes": b"\xff"},
            {(1, 2): "tuple key"},
            {"object": object()},
        ]
    ),
    st.integers(5_000, 50_000).map(_deep),
    st.just(None).map(_circular),
)
_BAD_STRINGS = st.one_of(
    st.integers(),
    st.floats(),
    st.booleans(),
    CONTAINERS,
    st.tuples(_SHORT, st.just("\x00"), st.integers(0, 20)).map(_splice),
    st.tuples(_SHORT, _SURROGATE, st.integers(0, 20)).map(_splice),
)
_TOO_LONG = st.integers(201, 5000).map(lambda n: "k" * n)
_NOT_ONE_LINE = st.sampled_from((*_CONTROLS, *LINE_BREAKS, *BIDI))
_FORGED_LINES = st.tuples(st.sampled_from(("BKD", *SQL)), _NOT_ONE_LINE, st.integers(0, 40)).map(
    _splice
)
"""An actor or key with a control, line-break or bidi character (``BKD\\nforged line``)."""
_FORGED_REASONS = _FORGED_LINES.filter(lambda s: any(_refused(c, keep="\n") for c in s))
"""The same in a reason, which may hold line feeds but no other of these characters."""
_BAD_ARGUMENTS = {
    "actor": st.one_of(_BAD_STRINGS, _TOO_LONG, _FORGED_LINES),
    "key": st.one_of(_BAD_STRINGS, _TOO_LONG, _FORGED_LINES).filter(lambda k: k != ""),
    "reason": st.one_of(_BAD_STRINGS, _FORGED_REASONS),
    "payload": _BAD_PAYLOADS,
    "effective_date": st.one_of(
        st.text(max_size=12),
        st.integers(),
        st.floats(),
        st.datetimes(timezones=st.sampled_from([None, UTC])),
        st.lists(st.integers(), max_size=2),
    ),
}
"""Per optional command argument, values no command accepts."""

_TAKES = {
    "fire": frozenset(_BAD_ARGUMENTS),
    "advance": frozenset(_BAD_ARGUMENTS),
    "check": frozenset({"actor", "reason", "payload", "effective_date"}),
    "available": frozenset({"reason"}),
}
_WRONG_TYPES = st.one_of(
    st.integers(),
    st.none(),
    st.lists(st.integers(), max_size=2),
    st.floats(),
    st.binary(max_size=4),
)


def _call(engine: Engine, call: str, cohort: Any, nip: Any, event: Any, **kwargs: Any) -> object:
    if call == "advance":
        return engine.advance(cohort, event, **kwargs)
    if call == "available":
        return engine.available(cohort, nip, **kwargs)
    if call == "check":
        return engine.check(cohort, nip, event, **kwargs)
    return engine.fire(cohort, nip, event, **kwargs)


@st.composite
def _lookups(draw: st.DrawFn) -> Case:
    """Unknown cohorts, participants and events, and arguments of the wrong kind."""
    member = pick(draw, WORLD)
    args: dict[str, Any] = {
        "cohort": COHORT,
        "nip": member.nip,
        "event": pick(draw, sorted(LEAVING[member.state] or EVENTS)),
    }
    call = pick(draw, ("fire", "check", "advance", "available"))
    family = pick(draw, ("event", "nip", "cohort", "argument", "wrong_type"))
    kwargs: dict[str, Any] = {}
    if family == "argument":
        name = pick(draw, sorted(_BAD_ARGUMENTS))
        kwargs[name] = value = draw(_BAD_ARGUMENTS[name])
        call = call if name in _TAKES[call] else "fire"
        errors: tuple[type[BaseException], ...] = (InvalidInput,)
    elif family == "wrong_type":
        name = pick(draw, ("cohort", "nip", "event"))
        args[name] = value = draw(_WRONG_TYPES)
        errors = (InvalidInput,)
    else:
        name, strategy, error = {
            "event": ("event", UNKNOWN_EVENTS, UnknownEvent),
            "nip": ("nip", UNKNOWN_NIPS, ParticipantNotFound),
            "cohort": ("cohort", UNKNOWN_COHORTS, CohortNotFound),
        }[family]
        args[name] = value = draw(strategy)
        errors = (error,)
    if (call, name) in {("advance", "nip"), ("available", "event")}:
        call = "fire"  # advance takes no NIP and available no event
    names = name if family in {"argument", "wrong_type"} else value
    return Case(
        f"{call}:{family}:{name}",
        lambda e: _call(e, call, args["cohort"], args["nip"], args["event"], **kwargs),
        errors,
        names,
        detail=_shown(value),
    )


# -- projects, scores, groups, cohorts and queries ------------------------------------------------

_PROJECT_KEYS = frozenset({"title", "theme", "mentor"})
_BAD_MENTORS = st.one_of(
    st.fixed_dictionaries({"name": BAD_TEXT_VALUES}),
    st.fixed_dictionaries({"name": st.just("Kadis"), "nip": BAD_NIPS}),
    st.text(max_size=5),
    st.integers(),
)
_EXTRA_PROJECT_KEYS = HOSTILE.filter(lambda k: k not in _PROJECT_KEYS)
_NOT_A_PROJECT = st.one_of(_NOT_A_NOMINATION, st.just({"title": "Antrean", "theme": "kesehatan"}))
_BAD_SCORES = st.one_of(
    st.floats(max_value=-1e-9),
    st.floats(min_value=100.000001),
    st.just(float("nan")),
    st.booleans(),
    st.text(max_size=5),
    st.none(),
    CONTAINERS,
)
_BAD_COUNTS = st.one_of(
    st.integers(max_value=0), st.floats(), st.text(max_size=3), st.booleans(), st.none()
)
_WHENS = st.one_of(st.datetimes(), st.dates(), st.text(max_size=10), st.integers())


@st.composite
def _projects(draw: st.DrawFn) -> Case:
    nip = pick(draw, WORLD).nip
    name = pick(draw, ("title", "theme", "mentor", "extra", "not_a_project"))
    project: Any = {"title": "Antrean online", "theme": "kesehatan"}
    if name == "not_a_project":  # the engine takes a ChangeProject, not data
        project = draw(_NOT_A_PROJECT)
        return Case(
            "register_project:not_a_project",
            lambda e: e.register_project(COHORT, nip, project),
            (InvalidInput,),
            "project",
        )
    if name == "mentor":
        project["mentor"] = draw(_BAD_MENTORS)
    elif name == "extra":
        name = draw(_EXTRA_PROJECT_KEYS)
        project[name] = 1
    else:
        project[name] = draw(BAD_TEXT_VALUES)
    return Case(
        f"register_project:{name[:20]}",
        lambda e: e.register_project(
            COHORT, nip, ChangeProject.model_validate(project, strict=False)
        ),
        _VALIDATION,
        name,
        detail=_shown(project),
    )


@st.composite
def _scores_groups_and_times(draw: st.DrawFn) -> Case:
    nip = pick(draw, WORLD).nip
    what = pick(draw, ("score", "groups", "as_of"))
    if what == "score":
        score = draw(_BAD_SCORES)
        return Case(
            "record_assessment:score",
            lambda e: e.record_assessment(COHORT, nip, score),
            _VALIDATION,
            "score",
            detail=_shown(score),
        )
    if what == "groups":
        count = draw(_BAD_COUNTS)
        return Case(
            "form_groups:count",
            lambda e: e.form_groups(COHORT, count),
            (InvalidInput,),
            "count",
            detail=_shown(count),
        )
    when = draw(_WHENS)
    return Case(
        "states_as_of:when",
        lambda e: e.states_as_of(COHORT, when),
        (InvalidInput,),
        "when",
        detail=_shown(when),
    )


_QUERIES_BY_COHORT = ("participants", "status", "export", "verify", "cohort")


@st.composite
def _queries(draw: st.DrawFn) -> Case:
    nip = pick(draw, WORLD).nip
    query = pick(draw, ("participant", "state", *_QUERIES_BY_COHORT))
    if query in {"participant", "state"} and draw(_COIN):
        unknown = draw(UNKNOWN_NIPS)
        return Case(
            f"{query}:unknown_nip",
            lambda e: getattr(e, query)(COHORT, unknown),
            (ParticipantNotFound,),
            unknown,
        )
    bad = draw(UNKNOWN_COHORTS)
    if query in {"participant", "state"}:
        return Case(
            f"{query}:unknown_cohort",
            lambda e: getattr(e, query)(bad, nip),
            (CohortNotFound,),
            bad,
        )
    return Case(f"{query}:unknown_cohort", lambda e: getattr(e, query)(bad), (CohortNotFound,), bad)


COHORT_FIELDS = frozenset(
    {"code", "name", "organiser", "start", "end", "capacity", "coach", "parameters"}
)
_NEW_COHORT = make_cohort("PKA-NEW-1").model_dump(mode="json")
_BAD_COHORT_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "code": st.one_of(BAD_CODES, CONTAINERS, st.integers()),
    "name": BAD_TEXT,
    "organiser": BAD_TEXT,
    "start": NOT_DATES,
    "end": st.one_of(
        NOT_DATES, st.dates(date(1990, 1, 1), date(2019, 4, 3)).map(date.isoformat)
    ),  # no date, or before the start (2019-04-04)
    "capacity": st.one_of(
        st.integers(max_value=0),
        st.just(2.5),
        CONTAINERS,
        st.sampled_from(["", "abc", "10 seats", "½", "0x10", "ten"]),
    ),
    "parameters": st.one_of(
        st.fixed_dictionaries({"max_per_office": st.integers(max_value=0)}),
        st.fixed_dictionaries({"retirement_age": st.integers(min_value=81)}),
        st.fixed_dictionaries({"min_years_to_retirement": st.integers(min_value=41)}),
        st.fixed_dictionaries({"eligible_ranks": st.lists(BAD_RANKS, min_size=1, max_size=3)}),
        st.sampled_from(
            [
                {"grading": {"weights": {"overall": float("nan")}}},
                {"grading": {"weights": {"a": -1.0}}},
                {"grading": {"bands": [{"name": "a", "above": 50}, {"name": "b", "above": 60}]}},
                {"unknown": 1},
            ]
        ),
        st.text(max_size=5),
    ),
    "coach": st.one_of(
        st.text(max_size=5),
        st.fixed_dictionaries({"name": BAD_TEXT_VALUES}),
        st.fixed_dictionaries({"name": st.just("x"), "rank": st.integers()}),
    ),
}
"""Per cohort field, values it refuses."""


_EXTRA_COHORT_KEYS = HOSTILE.filter(lambda k: k not in COHORT_FIELDS)
_NOT_A_COHORT = st.one_of(_NOT_A_NOMINATION, st.just(_NEW_COHORT))


@st.composite
def _cohorts(draw: st.DrawFn) -> Case:
    """Malformed cohort data, something that is no cohort, or a code already taken."""
    kind = pick(draw, (*sorted(_BAD_COHORT_VALUES), "missing", "extra", "not_a_cohort", "taken"))
    data = dict(_NEW_COHORT)
    if kind == "not_a_cohort":  # the engine takes a Cohort, not data
        value = draw(_NOT_A_COHORT)
        return Case(
            "create_cohort:not_a_cohort",
            lambda e: e.create_cohort(value),
            (InvalidInput,),
            "cohort",
        )
    if kind == "taken":
        data["code"] = pick(draw, (COHORT, OTHER))
        data["name"] = pick(draw, SQL)
        return Case(
            "create_cohort:taken",
            lambda e: e.create_cohort(Cohort.model_validate(data, strict=False)),
            (AlreadyExists,),
            data["code"],
        )
    if kind == "missing":
        kind = pick(draw, ("code", "name", "start", "end"))
        del data[kind]
    elif kind == "extra":
        kind = draw(_EXTRA_COHORT_KEYS)
        data[kind] = draw(WRONG_SCALAR)
    else:
        data[kind] = draw(_BAD_COHORT_VALUES[kind])
    return Case(
        f"create_cohort:{kind[:20]}",
        lambda e: e.create_cohort(Cohort.model_validate(data, strict=False)),
        _VALIDATION,
        kind,
        detail=_shown(data),
    )


# -- the record's commands: closed records, corrections, transfers, migrations --------------------


_Call = Callable[[Engine], object]


def _replayed(draw: st.DrawFn, key: str | None, call: _Call) -> tuple[_Call, bool]:
    """``call``, sent twice with its key now and then; whether it is.

    The retry must be refused the same way and write nothing more.
    """
    if key is None or not draw(_COIN):
        return call, False

    def twice(engine: Engine) -> object:
        with suppress(TransitionRejected):
            call(engine)
        return call(engine)

    return twice, True


@st.composite
def _closed_records(draw: st.DrawFn) -> Case:
    """Projects, scores and groups for a participant whose record is closed (final state).

    Forming groups is all or nothing: each seated participant in a final state is refused
    (audited), nobody is regrouped.
    """
    member = pick(draw, CLOSED)
    actor, reason, key = draw(NASTY_ACTOR), draw(NASTY_REASON), draw(_MAYBE_KEY)
    command = pick(draw, ("register_project", "record_assessment", "form_groups"))
    audited = 1
    if command == "register_project":
        call: Callable[[Engine], object] = lambda e: e.register_project(  # noqa: E731
            COHORT, member.nip, _PROJECT, actor=actor, reason=reason, key=key
        )
    elif command == "record_assessment":
        score = float(draw(_index(101)))
        call = lambda e: e.record_assessment(  # noqa: E731
            COHORT, member.nip, score, actor=actor, reason=reason, key=key
        )
    else:
        count = 1 + draw(_index(6))
        call = lambda e: e.form_groups(COHORT, count, actor=actor, reason=reason, key=key)  # noqa: E731
        audited = len([m for m in SEATED if m.state in FINALS])
    run, replay = _replayed(draw, key, call)
    label = f"{command}:record_closed" + (":replayed" if replay else "")
    detail = f"{member.state} actor={actor!r:.60} reason={reason!r:.60}"
    return Case(label, run, (TransitionRejected,), "record_closed", audited, detail)


_NAMED_REASONS = st.sampled_from(("salah ketik", *SQL))
"""Reasons that are reasons (SQL included: stored as text)."""
_FAILING = st.integers(0, int(PASS_MARK) - 5).map(float)
_PASSING = st.integers(int(PASS_MARK) + 1, 100).map(float)
_BAD_COMPONENTS = st.one_of(BAD_CODES, st.integers(), CONTAINERS)


@st.composite
def _assessment_corrections(draw: st.DrawFn) -> Case:
    """A score correction with a defect: no score to correct, no reason, a turned outcome."""
    actor, key = draw(NASTY_ACTOR), draw(_MAYBE_KEY)
    defect = pick(draw, ("no_score", "component", "reason", "outcome", "score", "bad_component"))
    audited, errors, names = 0, (InvalidInput,), "component"
    if defect == "no_score":  # nothing recorded yet: record_assessment it is
        member, score, reason = pick(draw, UNSCORED), draw(_PASSING), draw(_NAMED_REASONS)
    elif defect == "component":  # a component never scored
        member, reason = pick(draw, SCORED), draw(_NAMED_REASONS)
        score = Assessment(score=draw(_PASSING), component="seminar_hasil")
    elif defect == "reason":  # the outcome stays, the reason is missing
        member, score, reason = pick(draw, SCORED), draw(_PASSING), pick(draw, _NO_REASONS)
        audited, errors, names = 1, (TransitionRejected,), "reason_required"
    elif defect == "outcome":  # a graduate's pass would turn into a fail
        member, score, reason = pick(draw, GRADUATES), draw(_FAILING), draw(_NAMED_REASONS)
        audited, errors, names = 1, (TransitionRejected,), "outcome_would_change"
    elif defect == "score":
        member, score, reason = pick(draw, WORLD), draw(_BAD_SCORES), draw(_NAMED_REASONS)
        errors, names = _VALIDATION, "score"
    else:
        member, reason, errors = pick(draw, SCORED), draw(_NAMED_REASONS), _VALIDATION
        bad = draw(_BAD_COMPONENTS)
        return Case(
            "correct_assessment:bad_component",
            lambda e: e.correct_assessment(
                COHORT,
                member.nip,
                Assessment.model_validate({"score": 80, "component": bad}, strict=False),
                actor=actor,
                reason=reason,
                key=key,
            ),
            errors,
            names,
            detail=_shown(bad),
        )
    run, replay = _replayed(
        draw,
        key if audited else None,
        lambda e: e.correct_assessment(
            COHORT, member.nip, score, actor=actor, reason=reason, key=key
        ),
    )
    detail = f"{member.state} score={score!r:.60} reason={reason!r:.60}"
    label = f"correct_assessment:{defect}" + (":replayed" if replay else "")
    return Case(label, run, errors, names, audited, detail)


_NOT_GIVEN_NAMES = BAD_TEXT_VALUES.filter(lambda v: v is not None)
_CORRECTABLE = ("name", "birth_date", "echelon")


def _born(member: Member) -> date:
    """The birth date :data:`WORLD`'s NIPs encode."""
    return date(int(member.nip[:4]), int(member.nip[4:6]), int(member.nip[6:8]))


@st.composite
def _participant_corrections(draw: st.DrawFn) -> Case:
    """A correction of a name, birth date or echelon with a defect (one given is bad)."""
    member = pick(draw, WORLD)
    actor, key, reason = draw(NASTY_ACTOR), draw(_MAYBE_KEY), draw(_NAMED_REASONS)
    defect = pick(draw, ("nothing", "same", *_CORRECTABLE, "reason"))
    updates: dict[str, Any] = {}
    audited, errors, names = 0, _VALIDATION, defect
    if defect == "nothing":
        errors, names = (InvalidInput,), "correction"
    elif defect == "same":  # every fact given is the one already recorded
        updates = {"name": f"Peserta {member.nip[-3:]}", "echelon": "III.a"}
        updates = dict([pick(draw, tuple(updates.items()))])
        errors, names = (InvalidInput,), "correction"
    elif defect == "name":
        updates["name"] = draw(_NOT_GIVEN_NAMES)
    elif defect == "birth_date":
        born = _born(member)
        updates["birth_date"] = draw(
            st.one_of(NOT_DATES, st.dates(date(1900, 1, 1), date(2100, 1, 1))).filter(
                lambda d: d not in (born, born.isoformat())
            )
        )
    elif defect == "echelon":
        updates["echelon"] = draw(_BAD_ECHELONS)
    else:  # a good correction, without its reason
        updates = {"name": "Nama Yang Benar", "echelon": "III.b"}
        reason = pick(draw, _NO_REASONS)
        audited, errors, names = 1, (TransitionRejected,), "reason_required"
    run, replay = _replayed(
        draw,
        key if audited else None,
        lambda e: e.correct_participant(
            COHORT, member.nip, **updates, actor=actor, reason=reason, key=key
        ),
    )
    label = f"correct_participant:{defect}" + (":replayed" if replay else "")
    return Case(label, run, errors, names, audited, _shown(updates))


_NOT_AN_OFFICE_VALUE = st.one_of(
    st.sampled_from(["OPD001", "", *SQL]),
    st.integers(),
    st.none(),
    st.just({"code": "OPD001", "name": "Organisasi Perangkat Daerah 1"}),
    CONTAINERS,
)
_NEW_OFFICES = st.integers(100, 999).map(office)
_REGISTRY = frozenset(office(n).code for n in range(1, 10))
"""A closed office registry: the world's offices only."""


@st.composite
def _transfers(draw: st.DrawFn) -> Case:
    """A change of office with a defect: no office, the same one, no reason, a full office."""
    member = pick(draw, WORLD)
    actor, key, reason = draw(NASTY_ACTOR), draw(_MAYBE_KEY), draw(_NAMED_REASONS)
    defect = pick(draw, ("not_an_office", "bad_office", "same", "reason", "quota", "unknown"))
    audited, errors, names, registry = 0, (InvalidInput,), "office", None
    target: Any = draw(_NEW_OFFICES)
    if defect == "not_an_office":
        target = draw(_NOT_AN_OFFICE_VALUE)
    elif defect == "bad_office":
        bad = draw(_BAD_COMPONENTS)
        return Case(
            "transfer_office:bad_office",
            lambda e: e.transfer_office(
                COHORT,
                member.nip,
                Office.model_validate({"code": bad, "name": "Dinas Baru"}, strict=False),
                actor=actor,
                reason=reason,
                key=key,
            ),
            _VALIDATION,
            "code",
            detail=_shown(bad),
        )
    elif defect == "same":
        target = Office(code=office(member.desk).code, name=pick(draw, ("Dinas Lain", *SQL)))
    elif defect == "reason":
        reason = pick(draw, _NO_REASONS)
        audited, errors, names = 1, (TransitionRejected,), "reason_required"
    elif defect == "quota":  # office 1 is full: a seated participant may not move in
        member = pick(draw, tuple(m for m in SEATED if m.desk != 1))
        target = office(1)
        audited, errors, names = 1, (TransitionRejected,), "office_quota"
    else:  # the registry is closed and does not know the office
        registry = _REGISTRY
        audited, errors, names = 1, (TransitionRejected,), "unknown_office"

    def call(engine: Engine) -> object:
        if registry is not None:
            engine = trusted_engine(engine.store, clock=engine.clock, known_offices=registry)
        return engine.transfer_office(
            COHORT, member.nip, target, actor=actor, reason=reason, key=key
        )

    run, replay = _replayed(draw, key if audited else None, call)
    label = f"transfer_office:{defect}" + (":replayed" if replay else "")
    return Case(label, run, errors, names, audited, f"{member.state} to {_shown(target)}")


def _definition(version: str, **changes: Any) -> LifecycleDefinition:
    """The default lifecycle under another version, with ``changes``."""
    data = DEFAULT_LIFECYCLE.model_dump(mode="json")
    return LifecycleDefinition.model_validate({**data, "version": version, **changes})


_NEXT = _definition("2-next")
"""The default lifecycle's states under another definition: every state maps to itself."""


def _without_proposal() -> LifecycleDefinition:
    """The default lifecycle without the ``proposal`` state (present_proposal leads on)."""
    data = DEFAULT_LIFECYCLE.model_dump(mode="json")
    transitions = []
    for spec in data["transitions"]:
        if spec["event"] == "present_proposal":
            transitions.append({**spec, "dest": "laboratory"})
        elif "proposal" not in spec["source"] and spec["dest"] != "proposal":
            transitions.append(spec)
    states = [s for s in data["states"] if s["name"] != "proposal"]
    return _definition("2-without-proposal", states=states, transitions=transitions)


_SHORTER = _without_proposal()
_HELD = sorted({m.state for m in WORLD})
"""The states someone in the world is in (a mapping of another state changes nothing)."""
_ACTIVE = ("enrolled", "on_class", "proposal", "laboratory", "seminar")
_NOT_STATES = st.one_of(
    HOSTILE.filter(lambda s: s not in _NEXT.state_names), st.integers(), st.none(), CONTAINERS
)
_NOT_MAPS = st.one_of(
    st.text(min_size=1, max_size=6),
    st.integers(),
    st.lists(st.integers(), min_size=1, max_size=3),
    st.just([("proposal",)]),
    st.just({1: 2}),
)
_NOT_DEFINITIONS = st.one_of(
    st.just(DEFAULT_LIFECYCLE.model_dump(mode="json")),
    st.just("change_project"),
    st.integers(),
    st.none(),
    CONTAINERS,
)


@st.composite
def _migrations(draw: st.DrawFn) -> Case:
    """A migration that cannot be applied: nothing is written, not even a refused entry."""
    actor, reason, key = draw(NASTY_ACTOR), draw(NASTY_REASON), draw(_MAYBE_KEY)
    dry_run = draw(_COIN)
    defect = pick(
        draw, ("unmapped", "unknown_state", "reactivates", "same", "not_a_definition", "not_a_map")
    )
    target: Any = _NEXT
    mapping: Any = None
    errors: tuple[type[BaseException], ...] = (MigrationRejected,)
    if defect == "unmapped":  # someone is in proposal, which the shorter lifecycle lacks
        target, names = _SHORTER, "state_unmapped"
    elif defect == "unknown_state":
        unknown = draw(_NOT_STATES)
        mapping, names = {pick(draw, _HELD): unknown}, "state_unknown"
        if not isinstance(unknown, str):  # not even a state name: the map itself is refused
            errors, names = (InvalidInput,), "state_map"
    elif defect == "reactivates":  # a withdrawn participant is active in the other cohort
        mapping, names = {"withdrawn": pick(draw, _ACTIVE)}, "already_active"
    elif defect == "same":
        target, errors, names = DEFAULT_LIFECYCLE, (InvalidInput,), "lifecycle"
    elif defect == "not_a_definition":
        target, errors, names = draw(_NOT_DEFINITIONS), (InvalidInput,), "lifecycle"
    else:
        mapping, errors, names = draw(_NOT_MAPS), (InvalidInput,), "state_map"
    return Case(
        f"migrate:{defect}",
        lambda e: e.migrate(
            COHORT, target, mapping, actor=actor, reason=reason, key=key, dry_run=dry_run
        ),
        errors,
        names,
        detail=f"{_shown(mapping)} dry_run={dry_run}",
    )


_DATA_COMMANDS = (
    "register_project",
    "record_assessment",
    "correct_assessment",
    "correct_participant",
    "transfer_office",
    "form_groups",
    "migrate",
)


def _data_call(command: str, cohort: Any, nip: Any, **kwargs: Any) -> _Call:
    """A well-formed call of a data command (or a migration), but for what ``kwargs`` add."""
    calls: dict[str, _Call] = {
        "register_project": lambda e: e.register_project(cohort, nip, _PROJECT, **kwargs),
        "record_assessment": lambda e: e.record_assessment(cohort, nip, 75.0, **kwargs),
        "correct_assessment": lambda e: e.correct_assessment(cohort, nip, 75.0, **kwargs),
        "correct_participant": lambda e: e.correct_participant(
            cohort, nip, name="Nama Yang Benar", **kwargs
        ),
        "transfer_office": lambda e: e.transfer_office(cohort, nip, office(321), **kwargs),
        "form_groups": lambda e: e.form_groups(cohort, 2, **kwargs),
        "migrate": lambda e: e.migrate(cohort, _NEXT, **kwargs),
    }
    return calls[command]


@st.composite
def _data_lookups(draw: st.DrawFn) -> Case:
    """The record's commands with a bad actor, reason or key, or an unknown cohort or NIP."""
    command = pick(draw, _DATA_COMMANDS)
    member = pick(draw, WORLD)
    family = pick(draw, ("argument", "cohort", "nip"))
    if command in {"form_groups", "migrate"} and family == "nip":
        family = "cohort"  # they take no NIP
    if family == "argument":
        name = pick(draw, ("actor", "reason", "key"))
        value = draw(_BAD_ARGUMENTS[name])
        call = _data_call(command, COHORT, member.nip, **{name: value})
        return Case(f"{command}:argument:{name}", call, (InvalidInput,), name, detail=_shown(value))
    reason = draw(_NAMED_REASONS)
    if family == "cohort":
        bad = draw(UNKNOWN_COHORTS)
        call = _data_call(command, bad, member.nip, reason=reason)
        return Case(f"{command}:unknown_cohort", call, (CohortNotFound,), bad)
    bad = draw(UNKNOWN_NIPS)
    call = _data_call(command, COHORT, bad, reason=reason)
    return Case(f"{command}:unknown_nip", call, (ParticipantNotFound,), bad)


_HIDDEN = {"bidi": BIDI, "line_break": LINE_BREAKS, "invisible": INVISIBLE}
_HIDDEN_IN = ("name", "office", "nip", "actor", "key", "reason")
_ARGUMENT_TEXT = {"actor": "BKD", "key": "hostile-key", "reason": "pindah tugas"}


@st.composite
def _hidden_characters(draw: st.DrawFn) -> Case:
    """A bidi, line-break or invisible character inside a nomination or its actor, key, reason.

    Where the character is refused the call is refused naming the field; where it is legal
    (a zero-width joiner in a name, a line feed in a reason) the text reaches the rules, which
    refuse the nomination (echelon IV.a) in an audited entry that keeps the text verbatim.
    """
    kind = pick(draw, sorted(_HIDDEN))
    char, where = pick(draw, _HIDDEN[kind]), pick(draw, _HIDDEN_IN)
    data, arguments = draw(NOMINATIONS), {"actor": None, "key": None, "reason": None}
    data["echelon"] = "IV.a"
    if where == "nip":
        at = 1 + draw(_index(17))
        data["nip"] = data["nip"][:at] + char + data["nip"][at:]
        refused = True
    elif where in arguments:
        text = _ARGUMENT_TEXT[where] + (f"-{_fresh_key()}" if where == "key" else "")
        arguments[where] = _splice((text, char, 1 + draw(_index(len(text) - 1))))
        refused = _refused(char, keep="\n" if where == "reason" else "")
    else:
        text = _splice(("Dinas Uji" if where == "office" else "Budi Santoso", char, 3))
        if where == "office":
            data["office"] = {**data["office"], "name": text}
        else:
            data["name"] = text
        refused = _refused(char)
    label = f"hidden:{where}:{kind}:{'refused' if refused else 'kept'}"
    run = lambda e: e.enrol(COHORT, data, **arguments)  # noqa: E731
    detail = _shown((data, arguments))
    if not refused:
        return Case(label, run, (TransitionRejected,), "rank", audited=1, detail=detail)
    if where in arguments:
        return Case(label, run, (InvalidInput,), where, detail=detail)
    return Case(label, run, _VALIDATION, where, detail=detail)


command_cases = st.one_of(
    _hidden_characters(),
    _malformed_nominations(),
    _not_nominations(),
    _rule_refused_nominations(),
    _refused_moves(),
    _reused_keys(),
    _lookups(),
    _projects(),
    _scores_groups_and_times(),
    _queries(),
    _cohorts(),
    _closed_records(),
    _assessment_corrections(),
    _participant_corrections(),
    _transfers(),
    _migrations(),
    _data_lookups(),
)
"""Every hostile engine call."""


# -- rosters ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RosterCase:
    """A roster file's bytes and how it must be refused.

    ``whole`` is set when the file as a whole is unusable: ``InvalidInput`` on ``roster``
    whose message contains it. Otherwise ``rows`` lists, per data row in file order, the
    line it starts on and the field its violation must name (``None``: a well-formed row the
    rules refuse, which is audited). ``max_bytes`` and ``max_rows`` are the caps to read it
    with (``None``: the defaults); ``offices``, when set, is how many distinct offices the
    well-formed rows must be placed in (different names never merged into one).
    """

    label: str
    data: bytes = field(repr=False)
    whole: str | None = None
    rows: tuple[tuple[int, str | None], ...] = ()
    max_bytes: int | None = None
    max_rows: int | None = None
    offices: int | None = None

    @property
    def audited(self) -> int:
        """Refused-attempt audit rows the roster adds (the rows the rules refuse)."""
        return sum(1 for _, name in self.rows if name is None)

    @property
    def limits(self) -> dict[str, int]:
        """The caps as keyword arguments of ``read_roster``."""
        caps = {"max_bytes": self.max_bytes, "max_rows": self.max_rows}
        return {name: value for name, value in caps.items() if value is not None}

    @property
    def options(self) -> tuple[str, ...]:
        """The caps as options of ``changeflow enrol``."""
        return tuple(
            part
            for name, value in self.limits.items()
            for part in (f"--{name.replace('_', '-')}", str(value))
        )


HEADER = ("nip", "name", "office", "echelon")
_BREAK = re.compile(r"\r\n|\r|\n")
_ROW_CAP = 100_000
"""The longest a roster row may be, as documented (docs/cli.md, Rosters)."""


def _line(text: str) -> int:
    """The line the next character of ``text`` would be on."""
    return len(_BREAK.findall(text)) + 1


def _cell(text: str) -> str:
    if any(c in text for c in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


_BAD_OFFICE_CELLS = st.one_of(
    st.sampled_from(["", "  "]),
    st.tuples(st.just("Dinas Uji"), _CONTROL, st.integers(1, 8))
    .map(_splice)
    .filter(_inner_control),
    st.integers(201, 2000).map(lambda n: "D" * n),
)
_BAD_BIRTH_CELLS = st.one_of(
    st.sampled_from(["2019-02-30", "1975-6-1", "1975/06/01", "02/06/1975", "1975-06-02", "x"]),
    st.dates().filter(lambda d: d != _NIP_DATE).map(date.isoformat),
)
_ROW_DEFECTS: dict[str, st.SearchStrategy[str]] = {
    "nip": BAD_NIPS,
    "name": BAD_TEXT,
    "office": _BAD_OFFICE_CELLS,
    "echelon": BAD_RANKS,
    "birth_date": _BAD_BIRTH_CELLS,
}


@st.composite
def _roster_row(draw: st.DrawFn, columns: tuple[str, ...]) -> tuple[list[str], str | None]:
    """Cells of one data row with a defect (or refused by the rules) and the field to name."""
    values = {
        "nip": make_nip(_NIP_DATE, sequence=draw(_index(900))),
        "name": "Budi Santoso",
        "office": f"Dinas Uji {draw(_index(99))}",
        "echelon": "III.a",
        "birth_date": "",
    }
    kind = pick(draw, (*_ROW_DEFECTS, "count", "refused"))
    if kind == "birth_date" and "birth_date" not in columns:
        kind = "nip"
    if kind in _ROW_DEFECTS:
        values[kind] = draw(_ROW_DEFECTS[kind])
    elif kind == "refused":
        values["echelon"] = pick(draw, ("IV.a", "pelaksana"))
    cells = [values[c] for c in columns]
    if kind == "count":
        kind = "row"
        cells = pick(draw, (cells[:-1], [*cells, "extra"], [values["nip"]], [*cells, "", "x"]))
    if not any(c.strip() for c in cells):
        cells, kind = ["x"], "row"  # a blank row is skipped, not refused
    # A file holds UTF-8: an unpaired surrogate cannot be in a cell (the encodings test that).
    assume(all(_utf8(c) for c in cells))
    return cells, (None if kind == "refused" else kind)


_COLUMNS = st.one_of(st.permutations(HEADER), st.permutations((*HEADER, "birth_date")))
_ROW_CACHE: dict[tuple[str, ...], st.SearchStrategy[tuple[list[str], str | None]]] = {}


def _rows_for(columns: tuple[str, ...]) -> st.SearchStrategy[tuple[list[str], str | None]]:
    if columns not in _ROW_CACHE:
        _ROW_CACHE[columns] = _roster_row(columns)
    return _ROW_CACHE[columns]


_KINDS = (
    *("rows", "rows", "rows", "header", "encoding", "empty", "unterminated", "long_line"),
    *("smuggle", "quote", "cap", "offices"),
)
_PART = st.integers(0, 1 << 16)
"""A fraction (of 65,536) of a size, drawn from one strategy whatever the size."""


@st.composite
def _rosters(draw: st.DrawFn) -> RosterCase:  # noqa: PLR0911 - one return per kind
    """A roster whose header, encoding, quoting, size or every data row has a defect."""
    kind = pick(draw, _KINDS)
    columns = tuple(draw(_COLUMNS))
    end, bom = pick(draw, ("\n", "\r\n")), pick(draw, ("", "\ufeff"))
    shown = [pick(draw, (c, c.upper(), f" {c} ")) for c in columns]
    header = ",".join(shown) + end
    if kind == "header":
        return _bad_header(draw, columns, end, bom)
    if kind == "encoding":
        return _bad_encoding(draw, header, columns)
    if kind == "empty":
        text = pick(draw, ("", "\n", "\r\n\r\n", " , , \n", "\ufeff"))
        return RosterCase("roster:empty", text.encode(), whole="line 1")
    if kind == "offices":
        return _office_names(draw, columns, bom + header, end)
    text = bom + header
    rows: list[tuple[int, str | None]] = []
    starts: list[int] = []  # where each record after the header starts, blank ones included
    for _ in range(1 + draw(_index(6))):
        cells, name = draw(_rows_for(columns))
        if draw(_COIN):
            starts.append(_line(text))
            text += end  # blank lines are skipped but counted
        starts.append(_line(text))
        rows.append((starts[-1], name))
        text += ",".join(_cell(c) for c in cells) + end
    if kind == "cap":
        return _capped(draw, text.encode(), starts)
    if kind in {"smuggle", "quote", "unterminated", "long_line"}:
        return _broken(draw, kind, text, columns, end, rows)
    data = text.encode()
    if draw(_COIN):  # caps exactly at the file's size and row count still let it through
        return RosterCase(
            "roster:rows_at_caps", data, rows=tuple(rows), max_bytes=len(data), max_rows=len(starts)
        )
    return RosterCase("roster:rows", data, rows=tuple(rows))


def _capped(draw: st.DrawFn, data: bytes, starts: list[int]) -> RosterCase:
    """A roster one cap too small for: its bytes, or its rows (refused at the first extra)."""
    if len(starts) < 2 or draw(_COIN):
        limit = 1 + draw(_PART) * (len(data) - 2) // (1 << 16)
        return RosterCase(
            "roster:cap_bytes", data, whole=f"larger than {limit:,} bytes", max_bytes=limit
        )
    limit = 1 + draw(_index(len(starts) - 1))
    whole = f"line {starts[limit]}: the roster has more than {limit:,} rows"
    return RosterCase("roster:cap_rows", data, whole=whole, max_rows=limit)


def _hidden_row(columns: tuple[str, ...]) -> str:
    """A row every rule would accept, to hide where it must never be read as a row."""
    cells = {"nip": make_nip(_NIP_DATE, sequence=777), "name": "Smuggled", "office": "Dinas Uji 1"}
    return ",".join(cells.get(c, "III.a" if c == "echelon" else "") for c in columns)


def _broken(
    draw: st.DrawFn,
    kind: str,
    text: str,
    columns: tuple[str, ...],
    end: str,
    rows: list[tuple[int, str | None]],
) -> RosterCase:
    """Rows, then a row whose quoting or length leaves what follows untrustworthy."""
    line, hidden = _line(text), _hidden_row(columns)
    nip = make_nip(_NIP_DATE, sequence=778)
    if kind == "unterminated":  # the quote runs to the end of the file
        text += f'"{nip},Budi' + end + hidden + end
        return RosterCase(f"roster:{kind}", text.encode(), whole=f"line {line}: not valid CSV")
    if kind == "quote":  # a character after a closing quote
        cells = {"nip": nip, "name": '"Budi"x', "office": "Dinas Uji", "echelon": "III.a"}
        text += ",".join(cells.get(c, "") for c in columns) + end + hidden + end
        return RosterCase("roster:quote_broken", text.encode(), whole=f"line {line}: not valid CSV")
    if kind == "long_line":  # one field over the csv module's field size limit
        text += _cell("N" * 140_000) + ",Budi,Dinas,III.a" + end + hidden + end
        return RosterCase(f"roster:{kind}", text.encode(), whole=f"line {line}: a row longer")
    # A quoted name hiding a row after a line break: over the row cap (and sometimes the
    # csv module's field limit) the roster is refused; under it the name (too long, with a
    # line break) refuses its own row only, and the real row after it is refused by rank.
    over = draw(_COIN)
    size = _ROW_CAP + 1 + draw(_PART) * 2 if over else 201 + draw(_PART) // 2
    cells = {"nip": nip, "name": "N" * size + end + hidden + end, "office": "Dinas Uji"}
    text += ",".join(_cell(cells.get(c, "III.a" if c == "echelon" else "")) for c in columns)
    text += end
    if over:
        text += hidden + end
        return RosterCase("roster:smuggle_whole", text.encode(), whole=f"line {line}: a row longer")
    rows = [*rows, (line, "name"), (_line(text), None)]
    text += hidden.replace("III.a", "IV.a") + end
    return RosterCase("roster:smuggle_row", text.encode(), rows=tuple(rows))


_NON_LATIN = "ابتثجحخدذرزسشصضطظعغفقكلمنهويꦲꦤꦕꦫꦏꦢꦠꦱꦮꦭ卫生局教育财政"
"""Letters of scripts with no ASCII transliteration (Arabic, Javanese, Chinese)."""

_NON_LATIN_NAMES = st.lists(
    st.text(st.sampled_from(_NON_LATIN + " "), min_size=1, max_size=30).filter(str.strip),
    min_size=1,
    max_size=4,
    unique_by=lambda name: " ".join(name.split()),
)
"""Distinct non-Latin office names (names compare with spacing and case aside)."""


def _spaced(name: str) -> str:
    """The same office name with other spacing around and between its words."""
    return "  " + "   ".join(name.split()) + " "


def _colliding(draw: st.DrawFn) -> tuple[str, str]:
    """An office name and another name that shares its derived code but not its name.

    The first is ``""`` when the second collides with a stored office of the world.
    """
    number = draw(_index(99))
    holder = f"Dinas Uji {number}"
    # Punctuation variants ("Dinas-Uji", "Dinas Uji (5)") name the same office (the office
    # registry folds them); an accent makes another name that still shares the code.
    variants = (
        f"Dínas Uji {number}",
        f"Dinas Ují {number}",
        f"DÍNAS UJI {number}.",
        f"dinas-üji ({number})",
    )
    if draw(_COIN):
        return holder, pick(draw, variants)
    code = office(1 + draw(_index(3))).code
    fullwidth = "".join(chr(ord(c) + 0xFEE0) for c in code)
    return "", pick(draw, (f"{code}!", f"({code.lower()})", f"-{code}-", fullwidth))


def _office_names(draw: st.DrawFn, columns: tuple[str, ...], header: str, end: str) -> RosterCase:
    """Rows (refused by rank, so nothing is enrolled) naming non-Latin or colliding offices."""
    rows: list[tuple[int, str | None]] = []
    text = header

    def add(office_cell: str, problem: str | None) -> None:
        nonlocal text
        echelon = "IV.a" if problem is None else "III.a"
        cells = {
            "nip": make_nip(_NIP_DATE, sequence=draw(_index(900))),
            "name": "Budi Santoso",
            "office": office_cell,
            "echelon": echelon,
        }
        rows.append((_line(text), problem))
        text += ",".join(_cell(cells.get(c, "")) for c in columns) + end

    if draw(_COIN):
        names = draw(_NON_LATIN_NAMES)
        for name in names:
            add(name, None)
            if draw(_COIN):
                add(_spaced(name), None)
        return RosterCase(
            "roster:offices_non-latin", text.encode(), rows=tuple(rows), offices=len(names)
        )
    holder, collider = _colliding(draw)
    if holder:
        add(holder, None)
        if draw(_COIN):
            add(holder.upper(), None)
    add(collider, "office")
    return RosterCase(
        "roster:offices_colliding", text.encode(), rows=tuple(rows), offices=1 if holder else 0
    )


_UNKNOWN_COLUMNS = ("email", "nama", "nip2", "'; DROP TABLE enrolments;--", "n\x00ip")


def _bad_header(draw: st.DrawFn, columns: tuple[str, ...], end: str, bom: str) -> RosterCase:
    defect = pick(draw, ("missing", "unknown", "repeated", "none", "long", "quote"))
    cols = list(columns)
    if defect == "missing":
        cols.remove(pick(draw, HEADER))
    elif defect == "unknown":
        cols.insert(draw(_index(len(cols) + 1)), pick(draw, _UNKNOWN_COLUMNS))
    elif defect == "repeated":
        cols.append(pick(draw, cols))
    elif defect == "none":  # the first line is already a data row
        cols = ["197506012000031001", "Budi", "Dinas Uji", "III.a"]
    elif defect == "long":
        cols = ["nip", _cell("n" * 140_000), "office", "echelon"]
    else:  # an opening quote that never closes
        cols = ['"nip', "name", "office", "echelon"]
    text = bom + ",".join(cols) + end + "197506012000031001,Budi,Dinas Uji,III.a" + end
    return RosterCase(f"roster:header_{defect}", text.encode(), whole="line 1")


_CODECS = ("latin-1", "cp1252", "utf-16", "utf-16-le", "utf-32", "garbage", "ascii-utf-16-le")
_INVALID_UTF8 = st.binary(min_size=1, max_size=20).filter(_not_utf8)


def _bad_encoding(draw: st.DrawFn, header: str, columns: tuple[str, ...]) -> RosterCase:
    # Each name has a character outside ASCII that latin-1 and cp1252 can encode.
    name = pick(draw, ("Dédé", "Ñoño", "Jürgen"))
    cells = {"nip": "197506012000031001", "name": name, "office": "Dinas Uji", "echelon": "IV.a"}
    text = header + ",".join(cells.get(c, "") for c in columns) + "\n"
    codec = pick(draw, _CODECS)
    if codec == "garbage":  # 0x81 is no character in Windows-1252 either
        data = text.encode() + b"\x81" + draw(_INVALID_UTF8)
        return RosterCase("roster:encoding_garbage", data, whole="neither UTF-8 nor cp1252")
    if codec in {"latin-1", "cp1252"}:  # read as Windows-1252: the row is judged (by rank)
        return RosterCase(f"roster:encoding_{codec}", text.encode(codec), rows=((2, None),))
    if codec == "ascii-utf-16-le":  # valid UTF-8 (ASCII and NULs): the header fails instead
        data = text.replace(name, "Budi").encode("utf-16-le")
        return RosterCase("roster:encoding_ascii-utf-16-le", data, whole="line 1")
    # UTF-16 and UTF-32 read as Windows-1252: NULs everywhere, the header fails.
    return RosterCase(f"roster:encoding_{codec}", text.encode(codec), whole="line 1")


roster_cases = _rosters()
"""Every hostile roster."""


# -- lifecycle definitions ----------------------------------------------------------------------


@dataclass(frozen=True)
class DefinitionCase:
    """A definition, as data or as file text, and what its ``DefinitionError`` must mention.

    ``suffix`` is the format the data is written in (``dict``: passed as a mapping);
    ``rules`` says whether rule names are checked against the default registry.
    """

    label: str
    data: dict[str, Any] | None = field(default=None, repr=False)
    text: bytes | None = field(default=None, repr=False)
    suffix: str = ".json"
    names: str = ""
    rules: bool = False


_DEFINITION = DEFAULT_LIFECYCLE.model_dump(mode="json")
_STATES = tuple(s["name"] for s in _DEFINITION["states"])
_N_STATES, _N_TRANSITIONS = len(_DEFINITION["states"]), len(_DEFINITION["transitions"])
_STATE_NAMES = st.tuples(
    st.sampled_from("abcdefghijklmnopqrstuvwxyz"), st.text("abcdefghij_0123456789", max_size=8)
).map("".join)
_GHOSTS = _STATE_NAMES.filter(lambda s: s not in _STATES)
_BAD_NAMES = st.one_of(
    st.sampled_from(["", "Enrolled", "on class", "1st", "x" * 65, "naïve", "a-b", "a\x00", *SQL]),
    HOSTILE.filter(lambda s: not _NAME.fullmatch(s)),
)
_NOT_A_BOOL = st.one_of(
    CONTAINERS, st.text(max_size=3).filter(lambda s: s.strip().lower() not in _LAX_BOOLS)
)
_NOT_A_STATE = st.one_of(st.integers(), st.text(max_size=3))
_NOT_A_LIST = st.one_of(st.integers(), st.just({"a": 1}), st.lists(st.integers(), min_size=1))
_SUFFIXES = ("dict", ".json", ".yaml", ".toml")
_TEXTS = st.one_of(
    _ANY_TEXT,
    st.sampled_from(
        [
            "{",
            "[1, 2",
            "name = ",
            "a: [b",
            "{{{",
            "name: *x",
            "- - -",
            "= =",
            "\x00",
            "a: &a [*a]",
            "key: !!python/object:os.system ['true']",
        ]
    ),
)
_NOT_MAPPINGS = (
    (".json", "[]"),
    (".json", "[1, 2]"),
    (".json", "42"),
    (".json", '"text"'),
    (".json", "null"),
    (".yaml", "- a\n- b\n"),
    (".yaml", ""),
    (".yaml", "just text"),
    (".yaml", "42"),
)
_INVALID_TAIL = st.binary(min_size=1, max_size=8).filter(_not_utf8)


def _mutate_types(draw: st.DrawFn, data: dict[str, Any]) -> str:
    where = pick(
        draw, ("name", "initial", "states", "transitions", "state", "final", "source", "rules")
    )
    if where in {"name", "initial"}:
        data[where] = draw(CONTAINERS)
        return where
    if where in {"states", "transitions"}:
        data[where] = draw(_NOT_A_LIST)
        return where
    if where in {"state", "final"}:
        i = draw(_index(_N_STATES))
        if where == "state":
            data["states"][i] = draw(_NOT_A_STATE)
            return f"states.{i}"
        data["states"][i]["final"] = draw(_NOT_A_BOOL)
        return f"states.{i}.final"
    i = draw(_index(_N_TRANSITIONS))
    data["transitions"][i][where] = draw(_NOT_A_LIST)
    return f"transitions.{i}.{where}"


def _mutate_graph(draw: st.DrawFn, data: dict[str, Any], kind: str) -> str:  # noqa: PLR0911
    states, transitions = data["states"], data["transitions"]
    if kind in {"dangling_dest", "dangling_source"}:
        ghost, i = draw(_GHOSTS), draw(_index(_N_TRANSITIONS))
        transitions[i]["dest" if kind == "dangling_dest" else "source"] = (
            ghost if kind == "dangling_dest" else [ghost]
        )
        return repr(ghost)
    if kind == "no_final":
        for state in states:
            state.update(final=False, frees_seat=False, completes_course=False)
        return "final"
    if kind == "cycle":
        a, b = draw(_GHOSTS), draw(_GHOSTS)
        assume(a != b)
        data.update(
            initial=a,
            states=[{"name": a}, {"name": b}],
            transitions=[
                {"event": "go", "source": [a], "dest": b},
                {"event": "back", "source": [b], "dest": a},
            ],
        )
        return "never reach a final state"
    if kind == "duplicate":
        states.append(dict(pick(draw, states)))
        return "defined twice"
    if kind == "initial":
        choice = pick(draw, ("ghost", "final", "missing"))
        if choice == "missing":
            del data["initial"]
            return "initial"
        data["initial"] = "graduated" if choice == "final" else draw(_GHOSTS)
        return "is final" if choice == "final" else "is not defined"
    if kind == "reserved":
        transitions[draw(_index(_N_TRANSITIONS))]["event"] = "enrol"
        return "reserved"
    size = 50 + draw(_index(250))  # huge: a long chain whose last state is a dead end
    chain = [f"s{i}" for i in range(size)]
    data.update(
        initial=chain[0],
        states=[{"name": s} for s in chain],
        transitions=[
            {"event": f"e{i}", "source": [chain[i]], "dest": chain[i + 1]} for i in range(size - 1)
        ],
    )
    return "no way out"


def _mutate_names(draw: st.DrawFn, data: dict[str, Any], kind: str) -> str:
    if kind == "unknown_key":
        key = pick(draw, ("colour", "Final", "on_enter", "'; DROP", "\x00"))
        where = pick(draw, ("top", "state", "transition"))
        if where == "top":
            data[key] = True
            return key
        i = draw(_index(_N_STATES if where == "state" else _N_TRANSITIONS))
        data[f"{where}s"][i][key] = True
        return f"{where}s.{i}.{key}"
    where, value = pick(draw, ("name", "state", "event")), draw(_BAD_NAMES)
    if where == "name":
        data["name"] = value
        return "name"
    if where == "state":
        i = draw(_index(_N_STATES))
        data["states"][i]["name"] = value
        return f"states.{i}.name"
    i = draw(_index(_N_TRANSITIONS))
    data["transitions"][i]["event"] = value
    return f"transitions.{i}.event"


def _file_case(draw: st.DrawFn, kind: str) -> DefinitionCase:
    """A definition file whose text (not its data) is the problem."""
    suffix = pick(draw, (".json", ".yaml", ".toml"))
    if kind == "text":
        body = draw(_TEXTS).encode("utf-8", "surrogatepass")
    elif kind == "top_level":
        suffix, text = pick(draw, _NOT_MAPPINGS)
        body = text.encode()
    elif kind == "suffix":
        suffix = pick(draw, (".ini", ".txt", "", ".TOML.bak", ".py"))
        body = json.dumps(_DEFINITION).encode()
    elif kind == "not_utf8":
        body = json.dumps(_DEFINITION).encode() + draw(_INVALID_TAIL)
    else:  # deep: nested past every parser's recursion limit
        depth = 2_000 + draw(_index(18_000))
        prefix, tail = {".json": ('{"a": ', "}"), ".yaml": ("a: ", ""), ".toml": ("a = ", "")}[
            suffix
        ]
        body = (prefix + "[" * depth + "]" * depth + tail).encode()
    names = "cannot read" if kind == "not_utf8" else "problem"
    return DefinitionCase(f"definition:{kind}", text=body, suffix=suffix, names=names)


_DEFINITION_KINDS = (
    "wrong_type",
    "unknown_key",
    "dangling_dest",
    "dangling_source",
    "no_final",
    "cycle",
    "duplicate",
    "initial",
    "reserved",
    "bad_name",
    "rule",
    "huge",
    "text",
    "top_level",
    "suffix",
    "not_utf8",
    "deep",
)


@st.composite
def _definitions(draw: st.DrawFn) -> DefinitionCase:
    """A lifecycle definition with a defect, as a mapping or as TOML, YAML or JSON text."""
    kind = pick(draw, _DEFINITION_KINDS)
    if kind in {"text", "top_level", "suffix", "not_utf8", "deep"}:
        return _file_case(draw, kind)
    data = json.loads(json.dumps(_DEFINITION))  # a deep copy
    suffix = pick(draw, _SUFFIXES)
    if kind == "rule":
        rule = pick(draw, ("no_such_rule", "'; DROP TABLE", "Rank", ""))
        data["transitions"][draw(_index(_N_TRANSITIONS))]["rules"] = [rule]
        return DefinitionCase(
            "definition:rule", data=data, suffix=suffix, names="is not registered", rules=True
        )
    if kind == "wrong_type":
        names = _mutate_types(draw, data)
    elif kind in {"unknown_key", "bad_name"}:
        names = _mutate_names(draw, data, kind)
    else:
        names = _mutate_graph(draw, data, kind)
    return DefinitionCase(f"definition:{kind}", data=data, suffix=suffix, names=names)


definition_cases = _definitions()
"""Every hostile lifecycle definition."""


def toml_text(data: dict[str, Any]) -> str:
    """A small TOML rendering of ``data``: inline tables, ``None`` values left out."""
    return "".join(f"{_toml(k)} = {_toml(v)}\n" for k, v in data.items() if v is not None)


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        inner = ", ".join(f"{_toml(str(k))} = {_toml(v)}" for k, v in value.items())
        return "{" + inner + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return json.dumps(value)  # strings and numbers share JSON's notation


# -- command lines ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CliCase:
    """A ``changeflow ... --json`` command line that must fail with a JSON document.

    ``statuses`` are the exit statuses allowed; ``kinds`` the allowed ``error.kind`` values
    (empty: the report of a refused roster, which lists the refused rows instead).
    ``audited`` counts the refused-attempt rows it adds. ``{db}`` in ``args`` stands for
    the database URL and ``{dir}`` for a scratch directory holding ``files``.
    """

    label: str
    args: tuple[str, ...]
    statuses: frozenset[int]
    kinds: frozenset[str]
    audited: int = 0
    files: tuple[tuple[str, bytes], ...] = ()


def _cli(
    label: str,
    args: Sequence[str],
    status: int,
    kinds: str | frozenset[str],
    *,
    audited: int = 0,
    files: tuple[tuple[str, bytes], ...] = (),
    db: str = "{db}",
) -> CliCase:
    kind_set = frozenset({kinds}) if isinstance(kinds, str) else kinds
    return CliCase(
        label, ("--db", db, *args, "--json"), frozenset({status}), kind_set, audited, files
    )


def _positional(strategy: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Values Click takes as an argument, not as an option."""
    return strategy.filter(lambda s: not s.startswith("-"))


_CLI_COHORTS = _positional(UNKNOWN_COHORTS)
_CLI_NIPS = _positional(st.one_of(VALID_NIPS, BAD_NIPS))
"""NIP arguments nobody has (the CLI removes a NIP's printed spaces, so the spaced forms of
members' NIPs find them): an unknown participant when NIP-shaped, else a usage error."""
_CLI_EVENTS = _positional(UNKNOWN_EVENTS)
_CLI_CODES = _positional(BAD_CODES)
_CLI_NAMES = _positional(BAD_TEXT.filter(_utf8))
_BAD_FIRE_OPTIONS = (
    ("--data", "{"),
    ("--data", "[1]"),
    ("--data", '"x"'),
    ("--data", "[" * 50_000),
    ("--data", '{"a": NaN}'),
    ("--data", "{'a': 1}"),
    ("--effective-date", "2019-02-30"),
    ("--effective-date", "tomorrow"),
    ("--effective-date", "\uff12\uff10\uff11\uff19-\uff10\uff11-\uff10\uff11"),
    ("--effective-date", "2019-1-1"),
    ("--actor", "a" * 201),
    ("--actor", "a\x00b"),
    ("--actor", "a\udcffb"),
    ("--key", "k" * 201),
    ("--key", "k\x00"),
    ("--reason", "r\x00"),
    ("--actor", "BKD\nforged line"),
    ("--actor", "BKD\r"),
    ("--actor", "BKD\u2028x"),
    ("--actor", "BKD\u202eevil"),
    ("--key", "k\u2066x"),
    ("--reason", "ok\u202eevil"),
    ("--reason", "ok\r\nforged"),
    ("--reason", "ok\u200fx"),
)
_BAD_DATABASES = (
    ("nonsense", "invalid_input"),
    ("foo://x", "invalid_input"),
    ("mysql://u@h/x", "invalid_input"),
    ("sqlite:///{dir}/absent.db", "no_database"),
    ("sqlite:///{dir}/no/such/dir.db", "no_database"),
    ("sqlite:///{dir}/" + "x" * 5000, "no_database"),
    ("\udcff", "invalid_input"),
    ("sqlite:///{dir}", "no_database"),
)


def _foreign_sqlite() -> bytes:
    """The bytes of another application's SQLite database (one table, one row)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "payroll.db"
        with closing(sqlite3.connect(path)) as other:
            other.execute("CREATE TABLE payroll (nip TEXT, salary INTEGER)")
            other.execute("INSERT INTO payroll VALUES ('197003152000031004', 1)")
            other.commit()
        return path.read_bytes()


_SQLITE_HEADER = b"SQLite format 3\x00"
_NOT_DATABASES = st.one_of(
    st.just(b""),
    st.binary(min_size=1, max_size=4096),
    st.binary(min_size=1, max_size=4096).map(lambda tail: _SQLITE_HEADER + tail),
    st.text(max_size=2000).map(lambda text: text.encode("utf-8", "surrogatepass")),
    st.just(_foreign_sqlite()),
)
"""Files that are not a changeflow database: empty, random, a damaged SQLite header, text,
another application's SQLite database."""
_BAD_LOCK_TIMEOUTS = ("nan", "-nan", "inf", "-inf", "1e308", "0", "-1", "86400.5", "1e-400")
_BAD_PROJECT_OPTIONS = (
    ("--title", ""),
    ("--title", "t" * 201),
    ("--title", "a\x07b"),
    ("--title", "a\nforged line"),
    ("--title", "a\u202eb"),
    ("--theme", "x\u2029y"),
    ("--theme", "   "),
    ("--mentor-nip", "123"),
)


def _usage_lines(member: Member, event: str) -> tuple[list[str], ...]:
    return (
        ["fire"],
        ["fire", COHORT],
        ["fire", COHORT, member.nip],
        ["check", COHORT],
        ["status"],
        ["nosuch"],
        ["status", COHORT, "--bogus"],
        ["groups", COHORT, "--count", "0"],
        ["groups", COHORT, "--count", "x"],
        ["assess", COHORT, member.nip],
        ["assess", COHORT, member.nip, "--score", "abc"],
        ["cohort", "nosuch"],
        ["cohort", "create", "X"],
        ["enrol", COHORT],
        ["diagram", "--format", "svg"],
        ["fire", COHORT, member.nip, event, "extra-argument"],
    )


def _unknown_names(draw: st.DrawFn, member: Member, event: str) -> CliCase:
    family = pick(draw, ("cohort", "nip", "event"))
    nip = member.nip
    if family == "cohort":
        bad = draw(_CLI_COHORTS)
        lines = (
            ["fire", bad, nip, event],
            ["check", bad, nip, event],
            ["events", bad, nip],
            ["status", bad],
            ["advance", bad, event],
            ["verify", bad],
            ["groups", bad],
            ["assess", bad, nip, "--score", "80"],
        )
        kind = "unknown_cohort"
    elif family == "nip":
        bad = draw(_CLI_NIPS)
        lines = (
            ["fire", COHORT, bad, event],
            ["check", COHORT, bad, event],
            ["events", COHORT, bad],
            ["project", COHORT, bad, "--title", "t", "--theme", "x"],
            ["assess", COHORT, bad, "--score", "80"],
            ["history", bad],
            ["history", bad, "--cohort", COHORT],
        )
        kind = "unknown_participant" if nip_is_valid(bad) else "usage"
    else:
        bad = draw(_CLI_EVENTS)
        lines = (["fire", COHORT, nip, bad], ["check", COHORT, nip, bad], ["advance", COHORT, bad])
        kind = "unknown_event"
    line = pick(draw, lines)
    return _cli(f"{line[0]}:unknown_{family}", line, 2, kind)


def _cohort_create(draw: st.DrawFn) -> CliCase:
    dates = ["--start", "2024-03-01", "--end", "2024-07-31"]
    defect = pick(draw, ("code", "name", "date", "order", "capacity", "taken"))
    code, name, kinds = "PKA-NEW-9", "PKA baru", frozenset({"invalid_input"})
    if defect == "code":
        code = draw(_CLI_CODES)
    elif defect == "name":
        name = draw(_CLI_NAMES)
    elif defect == "date":
        dates[pick(draw, (1, 3))] = pick(draw, ("2024-02-30", "2024/03/01", "", "01-03-2024"))
    elif defect == "order":
        dates = ["--start", "2024-07-31", "--end", "2024-03-01"]
    elif defect == "capacity":
        dates += ["--capacity", pick(draw, ("0", "-3", "abc", "2.5", ""))]
        kinds = frozenset({"invalid_input", "usage"})
    else:
        code, kinds = pick(draw, (COHORT, OTHER)), frozenset({"already_exists"})
    line = ["cohort", "create", code, "--name", name, *dates]
    return _cli(f"cohort_create:{defect}", line, 2, kinds)


def _databases(draw: st.DrawFn) -> CliCase:
    """A bad --db URL, a file that is not a changeflow database, or a bad --lock-timeout."""
    defect = pick(draw, ("url", "file", "lock_timeout"))
    line = pick(
        draw, (["status", COHORT], ["verify"], ["history", "--cohort", COHORT], ["cohort", "list"])
    )
    if defect == "url":
        url, kind = pick(draw, _BAD_DATABASES)
        return _cli(f"db:{kind}", line, 2, kind, db=url)
    if defect == "file":
        files = (("not.db", draw(_NOT_DATABASES)),)
        return _cli("db:not_a_database", line, 2, "no_database", files=files, db=_NOT_DB_URL)
    seconds = pick(draw, _BAD_LOCK_TIMEOUTS)
    return _cli("db:lock_timeout", ["--lock-timeout", seconds, *line], 2, "invalid_input")


_NOT_DB_URL = "sqlite:///{dir}/not.db"


_QUIET_ROSTERS = roster_cases.filter(lambda c: c.audited == 0)


@st.composite
def _cli_cases(draw: st.DrawFn) -> CliCase:  # noqa: PLR0911 - one return per family
    """A command line with one defect, for every command that reaches the database."""
    member = pick(draw, WORLD)
    event = pick(draw, sorted(LEAVING[member.state] or EVENTS))
    family = pick(
        draw,
        (
            "unknown",
            "unknown",
            "refused",
            "option",
            "create",
            "roster",
            "usage",
            "db",
            "score",
            "project",
        ),
    )
    if family == "unknown":
        return _unknown_names(draw, member, event)
    if family == "refused":
        extra = ["--actor", pick(draw, SQL), "--reason", pick(draw, SQL)][: 2 * draw(_index(3))]
        line = ["fire", COHORT, member.nip, pick(draw, _OUTSIDE[member.state]), *extra]
        return _cli("fire:refused", line, 3, "illegal_transition", audited=1)
    if family == "option":
        option, value = pick(draw, _BAD_FIRE_OPTIONS)
        line = ["fire", COHORT, member.nip, event, option, value]
        return _cli(f"fire:bad{option}", line, 2, "invalid_input")
    if family == "create":
        return _cohort_create(draw)
    if family == "roster":
        roster = draw(_QUIET_ROSTERS)
        line = ["enrol", COHORT, "--csv", "{dir}/roster.csv", *roster.options]
        files = (("roster.csv", roster.data),)
        if roster.whole is not None:
            return _cli(f"enrol:{roster.label}", line, 2, "invalid_input", files=files)
        return _cli(f"enrol:{roster.label}", line, 3, frozenset(), files=files)
    if family == "usage":
        line = pick(draw, _usage_lines(member, event))
        return _cli(f"usage:{line[0]}", line, 2, "usage")
    if family == "db":
        return _databases(draw)
    if family == "score":
        score = pick(draw, ("-1", "100.5", "nan", "inf", "-inf", "1e400"))
        return _cli(
            "assess:score", ["assess", COHORT, member.nip, "--score", score], 2, "invalid_input"
        )
    option, value = pick(draw, _BAD_PROJECT_OPTIONS)
    options = {"--title": "Antrean", "--theme": "kesehatan", option: value}
    line = ["project", COHORT, member.nip, *itertools.chain.from_iterable(options.items())]
    if option == "--mentor-nip":
        line += ["--mentor", "Kadis"]
    return _cli(f"project:{option}", line, 2, "invalid_input")


cli_cases = _cli_cases()
"""Every hostile command line."""

# The references must hold before any case is trusted.
assert nip_is_valid("197003152000031004")
assert nip_is_valid("19700315 200003 1 004")
assert not nip_is_valid("197003152000033004")
assert not nip_is_valid("197002302000031004")
assert _code_ok("PKA-1")
assert not _code_ok("PKA 1")
