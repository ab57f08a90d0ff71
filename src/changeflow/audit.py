"""The audit chain: entry encoding per format, the hash chain, replay and verification.

Each entry's hash covers its canonical JSON and the previous entry's hash, so editing,
removing, reordering or inserting a row breaks the chain from that row on. The cohort keeps
the chain's head (sequence and hash) beside the trail, updated in the same transaction, so
cutting off the tail is caught as well; exported :class:`Checkpoint` s kept outside the
database catch a rewrite of the whole trail.

The chain is the record; the stored tables (enrolments, projects, scores, groups, seat
counters, the cohort's lifecycle) are a cache of it. :func:`replay` folds a chain into the
:class:`~changeflow.records.CohortProjection` it implies and :func:`compare` lists every
stored fact that disagrees, so a direct edit of a table is caught like an edit of the chain.

Entry formats (an entry records its own, so old entries keep verifying):

* **1** (changeflow 0.1, schema 0001): the entry's fields without ``change``; only moves
  and enrolments were audited, without the enrolled person's facts.
* **2**: adds ``change`` (each fact changed, before and after) and ``format``; every
  command is an entry, and a cohort's chain opens with its creation (or, for a cohort
  written under format 1, with the facts a database upgrade found, as ``carry_over``).
* **3**: format 2 with ``role`` (the role the actor acted in, schema 0004), sealed: the
  entry as stored and hashed has the participant's subject id for ``nip`` and a
  commitment for each personal value (:mod:`changeflow.personal`); the values are kept
  beside the chain. Schema 0005 re-sealed every older entry into it.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from changeflow.encoding import ascii_json
from changeflow.errors import InvalidInput, SealBroken, UnreadableEntry
from changeflow.models import ChangeProject, Cohort, Mentor, Office, Participant
from changeflow.records import (
    COHORT_NIP,
    ENTRY_FORMAT,
    CohortProjection,
    Difference,
    Enrolment,
)
from changeflow.states.names import (
    CARRY_OVER,
    DATA_COMMANDS,
    ENROL,
    ERASE,
    MIGRATE,
    RECORD_ATTENDANCE,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

    from changeflow.records import HistoryEntry, Stages
    from changeflow.states.definition import LifecycleDefinition

__all__ = [
    "FORMATS",
    "GENESIS",
    "AuditCheck",
    "Checkpoint",
    "EnrolledFacts",
    "Replay",
    "canonical",
    "chain_hash",
    "compare",
    "lifecycle_facts",
    "missing_cohort",
    "office_facts",
    "participant_facts",
    "project_facts",
    "record_facts",
    "replay",
    "state_left",
    "verify_chain",
]

GENESIS = "0" * 64
"""The hash before a cohort's first entry."""

_HEX64 = re.compile(r"[0-9a-f]{64}")

FORMATS = (1, 2, 3)
"""The entry formats this changeflow can verify."""

_FORMAT_1_KEYS = (
    "seq",
    "at",
    "cohort",
    "nip",
    "event",
    "from",
    "to",
    "outcome",
    "actor",
    "reason",
    "payload",
    "violations",
    "data",
    "effective_date",
)


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A cohort's chain head: its last sequence number and that entry's hash.

    ``at`` is when that entry was recorded, when known; it is not compared (the sequence
    number and the hash are the checkpoint).
    """

    cohort: str
    seq: int
    hash: str
    at: datetime | None = field(default=None, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-compatible dictionary."""
        at = None if self.at is None else self.at.isoformat()
        return {"cohort": self.cohort, "seq": self.seq, "hash": self.hash, "at": at}

    @classmethod
    def from_dict(cls, data: Any) -> Checkpoint:
        """The checkpoint :meth:`to_dict` wrote; :class:`InvalidInput` naming what is wrong."""
        if not isinstance(data, Mapping):
            raise InvalidInput("checkpoint", f"must be an object, not {type(data).__name__}")
        cohort, seq, digest, at = (data.get(k) for k in ("cohort", "seq", "hash", "at"))
        if not isinstance(cohort, str) or not cohort:
            raise InvalidInput("checkpoint.cohort", f"must be a cohort code, not {cohort!r:.40}")
        if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
            raise InvalidInput(f"checkpoint {cohort}: seq", f"must be a count, not {seq!r:.40}")
        if not isinstance(digest, str) or not _HEX64.fullmatch(digest):
            raise InvalidInput(
                f"checkpoint {cohort}: hash", f"must be 64 hex digits, not {digest!r:.80}"
            )
        try:
            when = None if at is None else datetime.fromisoformat(at)
        except (TypeError, ValueError):
            raise InvalidInput(
                f"checkpoint {cohort}: at", f"must be an ISO 8601 time, not {at!r:.40}"
            ) from None
        return cls(cohort, seq, digest, when)


@dataclass(frozen=True, slots=True)
class AuditCheck:
    """The outcome of verifying one cohort: its chain, then its stored facts.

    ``first_bad_seq`` names the first row whose content, order or link is wrong (or that
    cannot be read: ``field`` then names the column, when one is to blame);
    ``missing_tail`` is set when rows after the last stored one were removed;
    ``differences`` lists stored facts that disagree with the chain's replay.
    """

    cohort: str
    ok: bool
    entries: int
    head: Checkpoint
    first_bad_seq: int | None = None
    missing_tail: bool = False
    problem: str | None = None
    differences: tuple[Difference, ...] = ()
    field: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-compatible dictionary."""
        return {
            "cohort": self.cohort,
            "ok": self.ok,
            "entries": self.entries,
            "head": self.head.to_dict(),
            "first_bad_seq": self.first_bad_seq,
            "missing_tail": self.missing_tail,
            "problem": self.problem,
            "differences": [d.to_dict() for d in self.differences],
            "field": self.field,
        }


# -- encoding ---------------------------------------------------------------------------------


_text: Callable[[str], str] = json.encoder.encode_basestring_ascii


def _json(value: Any) -> str:
    """``value`` as ``json.dumps`` writes it in the canonical form (sorted keys, ASCII)."""
    if value is None:
        return "null"
    if type(value) is str:
        return _text(value)
    return ascii_json(value)


def canonical(entry: HistoryEntry) -> bytes:
    """The bytes an entry's hash covers: its JSON form in its format, sorted keys, ASCII only.

    Entries of the current format are written key by key, in sorted order, the values
    encoded as ``json.dumps`` would (JSON encodes a nested value the same wherever it
    stands): the same bytes as ``json.dumps(entry.to_dict(), sort_keys=True, ...)``
    without building the dictionary, which cost half of every entry's hash. A property
    test holds the two equal; older formats take the dictionary's way.
    """
    if entry.format == ENTRY_FORMAT:
        return _canonical_current(entry).encode()
    body = entry.to_dict()
    if entry.format == 1:
        body = {key: body[key] for key in _FORMAT_1_KEYS}
    elif entry.format == 2:
        del body["role"]
    elif entry.format not in FORMATS:
        raise ValueError(f"unknown audit entry format {entry.format!r}")
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


_last_at: tuple[datetime | None, str] = (None, "")


def _iso(at: datetime) -> str:
    """``at.isoformat()``, remembered for the last ``at``: a bulk step stamps one time on all.

    The pair is replaced whole (one assignment), so threads never see a time with
    another's text; holding ``at`` keeps its identity from being reused.
    """
    global _last_at  # noqa: PLW0603 - a one-slot cache
    last = _last_at
    if last[0] is at:
        return last[1]
    text = at.isoformat()
    _last_at = (at, text)
    return text


def _canonical_current(e: HistoryEntry) -> str:
    change, data, payload, effective = e.change, e.data, e.payload, e.effective_date
    violations = ",".join([ascii_json(v.to_dict()) for v in e.violations])
    return (
        f'{{"actor":{_json(e.actor)},"at":{_text(_iso(e.at))},'
        f'"change":{"null" if change is None else ascii_json(dict(change))},'
        f'"cohort":{_text(e.cohort)},"data":{"null" if data is None else ascii_json(dict(data))},'
        f'"effective_date":{"null" if effective is None else _text(effective.isoformat())},'
        f'"event":{_text(e.event)},"format":{int(e.format)},"from":{_json(e.source)},'
        f'"nip":{_text(e.nip)},"outcome":{_text(e.outcome)},'
        f'"payload":{"null" if payload is None else ascii_json(dict(payload))},'
        f'"reason":{_json(e.reason)},"role":{_json(e.role)},"seq":{int(e.seq)},'
        f'"to":{_json(e.target)},"violations":[{violations}]}}'
    )


def chain_hash(previous: str, entry: HistoryEntry) -> str:
    """The hash of ``entry`` chained to the ``previous`` entry's hash (hex SHA-256)."""
    return hashlib.sha256(previous.encode() + b"\n" + canonical(entry)).hexdigest()


def participant_facts(person: Participant) -> dict[str, Any]:
    """A participant's facts as an entry records them (the NIP is the entry's own)."""
    return {
        "name": person.name,
        "echelon": person.echelon,
        "birth_date": person.born.isoformat(),
        "retirement_age": person.retirement_age,
    }


def office_facts(office: Office) -> dict[str, str]:
    """An office as an entry records it."""
    return {"code": office.code, "name": office.name}


def project_facts(project: ChangeProject | None) -> dict[str, Any] | None:
    """A change project (and its mentor) as an entry records it."""
    return None if project is None else project.model_dump(mode="json")


def lifecycle_facts(definition: LifecycleDefinition | None) -> dict[str, Any] | None:
    """A lifecycle definition as a cohort's creation or migration records it: whole."""
    if definition is None:
        return None
    return {
        "name": definition.name,
        "version": definition.version,
        "sha256": definition.sha256,
        "document": definition.document(),
    }


class EnrolledFacts(Mapping[str, Any]):
    """The ``change`` of an enrolment entry: the person and the office, before (none) and after.

    Computed from the (immutable) participant when first read, so an entry no one reads
    costs a reference, not a copy of the person's facts; an entry being recorded is read
    several times (hash, seal, row), so the facts are then kept. Read-only, as any
    mapping of an entry.
    """

    __slots__ = ("_facts_kept", "_person")

    def __init__(self, person: Participant) -> None:
        self._person = person
        self._facts_kept: dict[str, Any] | None = None

    def _facts(self) -> dict[str, Any]:
        kept = self._facts_kept
        if kept is None:
            person = self._person
            kept = self._facts_kept = {
                "participant": {"before": None, "after": participant_facts(person)},
                "office": {"before": None, "after": office_facts(person.office)},
            }
        return kept

    def __getitem__(self, key: str) -> Any:
        return self._facts()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(("participant", "office"))

    def __len__(self) -> int:
        return 2

    def __repr__(self) -> str:
        return f"EnrolledFacts({self._facts()!r})"


def record_facts(enrolment: Enrolment) -> dict[str, Any]:
    """Every fact of an enrolment, as a ``carry_over`` entry records what an upgrade found."""
    return {
        "participant": participant_facts(enrolment.participant),
        "office": office_facts(enrolment.participant.office),
        "state": enrolment.state,
        "version": enrolment.version,
        "revisions": enrolment.revisions,
        "project": project_facts(enrolment.project),
        "scores": dict(enrolment.scores) if enrolment.scores is not None else None,
        "group": enrolment.group,
        "active": enrolment.active,
        "seated": enrolment.seated,
        "completed": enrolment.completed,
    }


def _participant(nip: str, facts: Mapping[str, Any], office: Office) -> Participant:
    return Participant.model_construct(
        nip=nip,
        name=facts["name"],
        office=office,
        echelon=facts["echelon"],
        # None once the person is erased: their entries open without the value.
        birth_date=None if facts["birth_date"] is None else date.fromisoformat(facts["birth_date"]),
        retirement_age=facts["retirement_age"],
    )


def _office(facts: Mapping[str, Any]) -> Office:
    return Office.model_construct(code=facts["code"], name=facts["name"])


def _project(facts: Mapping[str, Any] | None) -> ChangeProject | None:
    if facts is None:
        return None
    mentor = facts.get("mentor")
    return ChangeProject.model_construct(
        title=facts["title"],
        theme=facts["theme"],
        mentor=None if mentor is None else Mentor.model_construct(**mentor),
    )


def state_left(entries: Iterable[HistoryEntry], state: str) -> str | None:
    """The state a participant left to enter ``state``, from its entries, newest first.

    The source of the last accepted move into ``state``; a migration since then recorded
    that state under the new lifecycle's name (``data["left"]``), which wins. What a
    reopening returns to.
    """
    for entry in entries:
        if not entry.accepted:
            continue
        if entry.event == MIGRATE:
            left = (entry.data or {}).get("left")
            if left is not None:
                return str(left)
        elif entry.target == state and entry.source is not None and entry.source != state:
            return entry.source
    return None


# -- replay -----------------------------------------------------------------------------------


class _Unknown:
    """The stages of a cohort whose lifecycle is not known yet (format-1 entries)."""

    finals: frozenset[str] = frozenset()
    seat_freeing: frozenset[str] = frozenset()
    completing: frozenset[str] = frozenset()


_UNKNOWN = _Unknown()
_UNKNOWN_OFFICE = Office.model_construct(code="", name="")
_DEFINITIONS: dict[str, LifecycleDefinition] = {}


def _definition(facts: Mapping[str, Any]) -> LifecycleDefinition:
    """The definition a creation or migration entry records (parsed once per document)."""
    from changeflow.states.definition import parse_definition  # noqa: PLC0415 - cycle

    sha = str(facts.get("sha256"))
    found = _DEFINITIONS.get(sha)
    if found is None:
        found = parse_definition(facts["document"])
        if found.sha256 != sha:
            raise ValueError(f"the recorded lifecycle document does not hash to {sha[:12]}")
        _DEFINITIONS[sha] = found
    return found


class Replay:
    """Folds a cohort's entries, oldest first, into the projection they imply.

    Refused entries change nothing. ``inconsistencies`` lists what the chain contradicts
    in itself (a ``carry_over`` disagreeing with the moves before it, say).

    >>> from changeflow import Engine, Cohort
    >>> from datetime import date
    >>> engine = Engine()
    >>> _ = engine.create_cohort(Cohort(code="PKA-1", name="PKA I", start=date(2019, 4, 4),
    ...                                 end=date(2019, 7, 19)))
    >>> replay(engine.history(cohort="PKA-1"), "PKA-1").lifecycle == engine.lifecycle.sha256
    True
    """

    def __init__(self, code: str) -> None:
        self.projection = CohortProjection(code)
        self.definition: LifecycleDefinition | None = None
        self.inconsistencies: list[Difference] = []
        self.erased_seats: Counter[str] = Counter()
        """Seats (per office) held by people since erased: an erasure frees no seat."""

    @property
    def stages(self) -> Stages:
        """The lifecycle in force (unknown states before a format-2 entry names it)."""
        return self.definition if self.definition is not None else _UNKNOWN

    def apply(self, entry: HistoryEntry) -> None:
        """Fold one entry into the projection."""
        if not entry.accepted:
            return
        if entry.nip == COHORT_NIP:
            self._cohort(entry)
            return
        members = self.projection.members
        if entry.event == ENROL:
            members[entry.nip] = self._enrolled(entry)
            return
        member = members.get(entry.nip)
        if entry.event == ERASE:  # also of a person who was refused and never enrolled
            if member is not None:
                self._erased(entry.nip, member)
            return
        if member is None:
            self._inconsistent(entry, "entry", "no enrolment", entry.event)
            return
        if entry.event == RECORD_ATTENDANCE:
            days = self.projection.attendance.setdefault(entry.nip, {})
            days.update((entry.change or {})["attendance"]["after"])
        elif entry.event == CARRY_OVER:
            members[entry.nip] = self._carried(entry, member)
        elif entry.event == MIGRATE:
            members[entry.nip] = member.migrated(str(entry.target), self.stages)
        elif entry.event in DATA_COMMANDS:
            members[entry.nip] = self._changed(member, entry.change or {})
        else:
            moved = member.moved(str(entry.target), self.stages)
            members[entry.nip] = self._changed(moved, entry.change or {}) if entry.change else moved

    def _cohort(self, entry: HistoryEntry) -> None:
        change = entry.change or {}
        if "cohort" in change:
            self.projection.cohort = Cohort.model_validate(change["cohort"]["after"], strict=False)
        if "lifecycle" in change:
            facts = change["lifecycle"]["after"]
            try:
                self.definition = None if facts is None else _definition(facts)
            except ValueError as exc:  # a DefinitionError is a ValueError too
                self._inconsistent(entry, "lifecycle", str(exc), None)
                self.definition = None
            self.projection.lifecycle = None if facts is None else str(facts.get("sha256"))
        if "schedule" in change:
            self.projection.schedule = change["schedule"]["after"]
        if "staff" in change:
            self.projection.staff.update(change["staff"]["after"])

    def _enrolled(self, entry: HistoryEntry) -> Enrolment:
        state = str(entry.target)
        change = entry.change
        if change is None:  # format 1: the person's facts arrive with the upgrade's carry_over
            person = Participant.model_construct(
                nip=entry.nip,
                name="",
                office=_UNKNOWN_OFFICE,
                echelon="",
                birth_date=None,
                retirement_age=None,
            )
        else:
            office = _office(change["office"]["after"])
            self.projection.offices[office.code] = office.name
            person = _participant(entry.nip, change["participant"]["after"], office)
        stages = self.stages
        return Enrolment(
            entry.cohort,
            person,
            state,
            active=state not in stages.finals,
            seated=state not in stages.seat_freeing,
            completed=state in stages.completing,
        )

    def _erased(self, nip: str, member: Enrolment) -> None:
        """The person's facts leave the projection; the seat they held stays counted."""
        del self.projection.members[nip]
        self.projection.attendance.pop(nip, None)
        if member.seated:
            self.erased_seats[member.participant.office.code] += 1

    def _carried(self, entry: HistoryEntry, member: Enrolment) -> Enrolment:
        facts = (entry.change or {})["record"]["after"]
        if (member.state, member.version) != (facts["state"], facts["version"]):
            self._inconsistent(
                entry,
                "state",
                f"{facts['state']} (version {facts['version']})",
                f"{member.state} (version {member.version})",
            )
        office = _office(facts["office"])
        self.projection.offices[office.code] = office.name
        return Enrolment(
            entry.cohort,
            _participant(entry.nip, facts["participant"], office),
            facts["state"],
            facts["version"],
            facts["revisions"],
            _project(facts["project"]),
            facts["scores"],
            facts["group"],
            facts["active"],
            facts["seated"],
            facts["completed"],
        )

    def _changed(self, member: Enrolment, change: Mapping[str, Any]) -> Enrolment:
        person = member.participant
        if "office" in change:
            office = _office(change["office"]["after"])
            self.projection.offices[office.code] = office.name
            person = person.model_copy(update={"office": office})
        if "participant" in change:
            person = _participant(person.nip, change["participant"]["after"], person.office)
        return Enrolment(
            member.cohort,
            person,
            member.state,
            member.version,
            member.revisions,
            _project(change["project"]["after"]) if "project" in change else member.project,
            change["scores"]["after"] if "scores" in change else member.scores,
            change["group"]["after"] if "group" in change else member.group,
            member.active,
            member.seated,
            member.completed,
        )

    def _inconsistent(self, entry: HistoryEntry, what: str, recorded: Any, replayed: Any) -> None:
        self.inconsistencies.append(
            Difference(
                "audit",
                entry.nip or entry.cohort,
                f"{what} (entry {entry.seq})",
                recorded,
                replayed,
            )
        )

    def result(self) -> CohortProjection:
        """The projection so far, with its seat counters counted from the members."""
        projection = self.projection
        seated = [m for m in projection.members.values() if m.seated]
        per_office = Counter(m.participant.office.code for m in seated) + self.erased_seats
        projection.seated = len(seated) + self.erased_seats.total()
        projection.per_office = dict(per_office)
        return projection


def replay(
    entries: Iterable[HistoryEntry], code: str, *, until: datetime | None = None
) -> CohortProjection:
    """The projection ``entries`` (one cohort's, oldest first) imply; up to ``until`` if given.

    With ``until``, replay stops at the first entry recorded after it. An entry that cannot
    be folded (only a chain rewritten outside changeflow holds one) raises
    :class:`~changeflow.errors.UnreadableEntry` naming it.
    """
    folded = Replay(code)
    for entry in entries:
        if until is not None and entry.at > until:
            break
        try:
            folded.apply(entry)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise UnreadableEntry(code, entry.seq, None, f"cannot be replayed: {exc!r}") from exc
    return folded.result()


# -- comparison -------------------------------------------------------------------------------

_MEMBER_FIELDS = (
    ("state", "state"),
    ("version", "version"),
    ("revisions", "revisions"),
    ("active", "active"),
    ("seated", "seated"),
    ("completed", "completed"),
    ("group", "group_no"),
)
_PERSON_FIELDS = ("name", "echelon", "birth_date", "retirement_age")


def compare(stored: CohortProjection, replayed: CohortProjection) -> list[Difference]:
    """Every stored fact that differs from the replayed one, cohort facts first."""
    code = stored.code
    found: list[Difference] = []
    if stored.cohort != replayed.cohort:
        found.append(
            Difference("cohorts", code, "document", _doc(stored.cohort), _doc(replayed.cohort))
        )
    if stored.lifecycle != replayed.lifecycle:
        found.append(Difference("cohorts", code, "lifecycle", stored.lifecycle, replayed.lifecycle))
    if stored.seated != replayed.seated:
        found.append(Difference("cohorts", code, "seated", stored.seated, replayed.seated))
    for office in sorted(set(stored.per_office) | set(replayed.per_office)):
        held, due = stored.per_office.get(office, 0), replayed.per_office.get(office, 0)
        if held != due:
            found.append(Difference("cohort_offices", office, "seated", held, due))
    if stored.schedule != replayed.schedule:
        found.append(Difference("schedules", code, "document", stored.schedule, replayed.schedule))
    for nip in sorted(set(stored.attendance) | set(replayed.attendance)):
        kept, owed = stored.attendance.get(nip, {}), replayed.attendance.get(nip, {})
        for day in sorted(set(kept) | set(owed)):
            if kept.get(day) != owed.get(day):
                found.append(Difference("attendance", nip, day, kept.get(day), owed.get(day)))
    found += _staff_differences(stored.staff, replayed.staff)
    for office, name in sorted(replayed.offices.items()):
        if office in stored.offices and stored.offices[office] != name:
            found.append(Difference("offices", office, "name", stored.offices[office], name))
    for nip in sorted(set(stored.members) | set(replayed.members)):
        found += _member_differences(nip, stored.members.get(nip), replayed.members.get(nip))
    return found


def _staff_differences(stored: Mapping[str, Any], replayed: Mapping[str, Any]) -> list[Difference]:
    return [
        Difference("staff", actor, "member", stored.get(actor), replayed.get(actor))
        for actor in sorted(set(stored) | set(replayed))
        if stored.get(actor) != replayed.get(actor)
    ]


def _doc(cohort: Cohort | None) -> Any:
    return None if cohort is None else cohort.model_dump(mode="json")


def _member_differences(
    nip: str, stored: Enrolment | None, replayed: Enrolment | None
) -> list[Difference]:
    if stored is None or replayed is None:
        return [
            Difference(
                "enrolments",
                nip,
                "row",
                "absent" if stored is None else "present",
                "absent" if replayed is None else "present",
            )
        ]
    found = [
        Difference("enrolments", nip, column, getattr(stored, name), getattr(replayed, name))
        for name, column in _MEMBER_FIELDS
        if getattr(stored, name) != getattr(replayed, name)
    ]
    held, due = stored.participant, replayed.participant
    found += [
        Difference("enrolments", nip, name, getattr(held, name), getattr(due, name))
        for name in _PERSON_FIELDS
        if getattr(held, name) != getattr(due, name)
    ]
    if held.office.code != due.office.code:
        found.append(
            Difference("enrolments", nip, "office_code", held.office.code, due.office.code)
        )
    found += _project_differences(nip, stored.project, replayed.project)
    held_scores, due_scores = dict(stored.scores or {}), dict(replayed.scores or {})
    found += [
        Difference(
            "assessments", nip, component, held_scores.get(component), due_scores.get(component)
        )
        for component in sorted(set(held_scores) | set(due_scores))
        if held_scores.get(component) != due_scores.get(component)
    ]
    return found


def _project_differences(
    nip: str, stored: ChangeProject | None, replayed: ChangeProject | None
) -> list[Difference]:
    held, due = project_facts(stored), project_facts(replayed)
    if held is None or due is None:
        return [] if held == due else [Difference("change_projects", nip, "row", held, due)]
    flat_held, flat_due = _flat(held), _flat(due)
    return [
        Difference("change_projects", nip, key, flat_held.get(key), flat_due.get(key))
        for key in sorted(set(flat_held) | set(flat_due))
        if flat_held.get(key) != flat_due.get(key)
    ]


def _flat(project: Mapping[str, Any]) -> dict[str, Any]:
    mentor = project.get("mentor") or {}
    flat = {"title": project["title"], "theme": project["theme"]}
    flat.update({f"mentor_{k}": v for k, v in mentor.items()})
    return flat


# -- verification -----------------------------------------------------------------------------


def verify_chain(
    cohort: str,
    rows: Iterable[tuple[HistoryEntry, str]],
    head: Checkpoint,
    *,
    expected: Checkpoint | None = None,
    stored: CohortProjection | None = None,
    opened: Iterator[HistoryEntry] | None = None,
    former: str | None = None,
) -> AuditCheck:
    """Check stored ``(entry, hash)`` rows, in stored order, against the stored ``head``.

    Rows are read one at a time and the walk stops at the first bad one: a row the store
    cannot read (:class:`~changeflow.errors.UnreadableEntry`) is reported as broken at its
    position, never raised. ``expected`` is an exported checkpoint to compare with as well:
    the row at its sequence must carry its hash, and the trail must reach it. With
    ``stored`` (the store's projection of the cohort), an intact chain is also replayed and
    every stored fact compared with it. ``opened`` are the same entries opened with their
    personal values, checked against their commitments (:meth:`Store.opened
    <changeflow.store.base.Store.opened>`): the replay folds them. ``former`` is the hash
    the row at the checkpoint's sequence had before a schema upgrade re-sealed it; a
    checkpoint taken before the upgrade matches it.
    """
    kept: tuple[object, object] = (head.seq, head.hash)  # as stored: an edit may hold anything
    if not isinstance(kept[0], int) or not isinstance(kept[1], str):
        unread = f"the chain head kept on the cohort row cannot be read: {kept!r:.100}"
        return AuditCheck(cohort, False, 0, head, None, False, unread)
    folded = Replay(cohort) if stored is not None else None
    walked = _walk(cohort, rows, _Expected(expected, former), folded, opened)
    count, last, last_hash, problem = walked.count, walked.seq, walked.hash, walked.problem
    if problem is not None:
        return AuditCheck(cohort, False, count, head, last, False, problem, field=walked.field)
    tail = max(head.seq, expected.seq if expected else 0)
    if tail > last:
        lost = f"entry {tail} is" if tail == last + 1 else f"entries {last + 1}..{tail} are"
        beyond = expected is not None and expected.seq > head.seq
        why = f" (the checkpoint names entry {tail})" if beyond else ""
        return AuditCheck(cohort, False, count, head, last + 1, True, f"{lost} missing{why}")
    if head.seq != last or head.hash != last_hash:
        return AuditCheck(
            cohort,
            False,
            count,
            head,
            last or None,
            False,
            "the chain head does not match the trail",
        )
    differences: tuple[Difference, ...] = ()
    if folded is not None and stored is not None:
        differences = tuple(folded.inconsistencies) + tuple(compare(stored, folded.result()))
    if not differences:
        return AuditCheck(cohort, True, count, head)
    more = f" (and {len(differences) - 1} more)" if len(differences) > 1 else ""
    return AuditCheck(
        cohort,
        False,
        count,
        head,
        problem=f"stored facts differ from the audit chain: {differences[0]}{more}",
        differences=differences,
    )


def missing_cohort(expected: Checkpoint) -> AuditCheck:
    """The check of a cohort a checkpoint names but the database no longer holds: failed."""
    return AuditCheck(
        expected.cohort,
        False,
        0,
        Checkpoint(expected.cohort, 0, GENESIS),
        1 if expected.seq else None,
        bool(expected.seq),
        f"the cohort is missing from the database (the checkpoint names entry {expected.seq})",
    )


@dataclass(slots=True)
class _Walked:
    """Where a walk of the chain ended: rows read, the last good seq (or the bad one)."""

    count: int
    seq: int
    hash: str
    problem: str | None = None
    field: str | None = None


@dataclass(frozen=True, slots=True)
class _Expected:
    """A checkpoint to meet, and the hash its row had before an upgrade re-sealed it."""

    checkpoint: Checkpoint | None
    former: str | None

    def missed(self, seq: int, digest: str) -> bool:
        """Whether the row at ``seq``, hashed ``digest``, differs from the checkpoint."""
        point = self.checkpoint
        if point is None or seq != point.seq:
            return False
        return point.hash not in (digest, self.former)


def _walk(
    cohort: str,
    rows: Iterable[tuple[HistoryEntry, str]],
    expected: _Expected,
    folded: Replay | None,
    opened: Iterator[HistoryEntry] | None,
) -> _Walked:
    """Walk the chain, stopping at its first bad row."""
    previous, seq = GENESIS, 0
    problem = where = None
    try:
        for entry, stored in rows:
            seq += 1
            if entry.seq != seq or entry.cohort != cohort:
                problem = f"row {seq} holds entry {entry.seq} of {entry.cohort}"
                break
            try:
                digest = chain_hash(previous, entry)
            except (ValueError, TypeError, AttributeError, RecursionError) as exc:
                # An unknown format, or a value of a type no entry holds.
                where = _flawed_field(entry)
                problem = _unreadable(seq, where, exc)
                break
            if digest != stored:
                problem = f"entry {seq} does not match its hash"
                break
            if expected.missed(seq, stored):
                problem = f"entry {seq} differs from the checkpoint"
                break
            if folded is not None:
                try:
                    folded.apply(entry if opened is None else next(opened))
                except SealBroken as exc:
                    where = "personal_data"
                    problem = f"entry {seq}: its personal data ({exc.field}): {exc.reason}"
                    break
                except (KeyError, TypeError, ValueError, AttributeError) as exc:
                    # Only a chain rewritten whole (hashes recomputed) can hold such an entry.
                    problem = f"entry {seq} cannot be replayed: {exc!r}"
                    break
            previous = stored
    except UnreadableEntry as exc:
        seq += 1
        where = exc.field
        problem = _unreadable(seq, where, exc.reason)
    return _Walked(seq, seq, previous, problem, where)


def _unreadable(seq: int, where: str | None, reason: object) -> str:
    column = f" ({where})" if where else ""
    return f"entry {seq} cannot be read{column}: {reason}"


_ENTRY_TYPES: tuple[tuple[str, type | tuple[type, ...]], ...] = (
    ("seq", int),
    ("at", datetime),
    ("nip", str),
    ("event", str),
    ("source", (str, type(None))),
    ("target", (str, type(None))),
    ("outcome", str),
    ("actor", (str, type(None))),
    ("reason", (str, type(None))),
    ("payload", (Mapping, type(None))),
    ("violations", tuple),
    ("data", (Mapping, type(None))),
    ("effective_date", (date, type(None))),
    ("change", (Mapping, type(None))),
    ("format", int),
)


def _flawed_field(entry: HistoryEntry) -> str | None:
    """The first field of ``entry`` holding a type no entry has (slow path: a broken row)."""
    for name, kind in _ENTRY_TYPES:
        value = getattr(entry, name)
        if not isinstance(value, kind):
            return name
        try:
            if isinstance(value, Mapping):
                json.dumps(dict(value))
            elif name == "violations":
                json.dumps([v.to_dict() for v in entry.violations])
        except (TypeError, ValueError, AttributeError, RecursionError):
            return name
    if entry.format not in FORMATS:
        return "format"
    return None
