"""A lifecycle as data, and the checks it must pass before a machine is built from it.

A definition can come from Python, a dict, or a TOML/YAML file; :func:`check_definition`
returns every problem at once (unknown states, unreachable states, dead ends, rules that
name nothing registered), and :func:`load_definition` raises them as one
:class:`~changeflow.errors.DefinitionError`.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from collections.abc import Collection, Mapping
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
)

from changeflow.errors import DefinitionError
from changeflow.records import LifecycleRef
from changeflow.states.names import (
    DATA_COMMANDS,
    PERMITTED_COMMANDS,
    RESERVED_EVENTS,
    DataCommand,
)

ROLES = frozenset({"organiser", "coach", "examiner", "mentor"})
"""The roles ``by`` may name (:data:`changeflow.staff.ROLES`; states/ stays free of it)."""

__all__ = [
    "ANY_ACTIVE",
    "DEFAULT_COMMANDS",
    "PREVIOUS",
    "CommandSpec",
    "LifecycleDefinition",
    "StateSpec",
    "TransitionSpec",
    "check_definition",
    "load_definition",
]

ANY_ACTIVE = "*"
"""A transition source that stands for every non-final state."""

PREVIOUS = "@previous"
"""A reopening's destination that stands for the state the participant left."""

Name = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")]


class _Spec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


class StateSpec(_Spec):
    """One state (stage) of a lifecycle."""

    name: Name
    final: bool = False
    frees_seat: bool = False
    """A participant here no longer counts against office quota or capacity."""
    completes_course: bool = False
    """A participant here has completed the course and may not enrol again."""
    outcome: Literal["passed", "failed"] | None = None
    """The assessment outcome the state stands for: a correction may not turn it over."""
    description: str = ""


class TransitionSpec(_Spec):
    """One event and the states it leaves and reaches, with the rules that guard it."""

    event: Name
    source: tuple[str, ...] = Field(min_length=1)
    """States the event leaves; ``"*"`` stands for every non-final state."""
    dest: str
    """The state reached; for a reopening, :data:`PREVIOUS` returns to the state left."""
    rules: tuple[str, ...] = ()
    reopens: bool = False
    """A correction that leaves final states (``reopen``); it does not count as a way out
    of a state when the graph is checked."""
    description: str = ""
    by: tuple[str, ...] | None = None
    """The roles allowed to fire it (see :data:`~changeflow.staff.ROLES`); ``None``:
    anyone (definitions written before permissions)."""

    @field_validator("source", mode="before")
    @classmethod
    def _one_source(cls, value: Any) -> Any:
        return (value,) if isinstance(value, str) else value


class CommandSpec(_Spec):
    """The rules that judge one data command (``register_project``, ``correct_assessment`` ...)."""

    rules: tuple[str, ...] = ()
    description: str = ""
    by: tuple[str, ...] | None = None
    """The roles allowed to run it; ``None``: anyone."""


DEFAULT_COMMANDS: Mapping[str, CommandSpec] = {
    DataCommand.REGISTER_PROJECT: CommandSpec(
        rules=("record_open",), description="register or replace the change project"
    ),
    DataCommand.RECORD_ASSESSMENT: CommandSpec(
        rules=("record_open",), description="record an assessment score"
    ),
    DataCommand.FORM_GROUPS: CommandSpec(
        rules=("record_open",), description="split the seated participants into groups"
    ),
    DataCommand.CORRECT_ASSESSMENT: CommandSpec(
        rules=("reason_required", "outcome_unchanged"),
        description="correct a recorded score; the outcome may not turn over",
    ),
    DataCommand.CORRECT_PARTICIPANT: CommandSpec(
        rules=("reason_required",), description="correct a name, birth date or echelon"
    ),
    DataCommand.TRANSFER_OFFICE: CommandSpec(
        rules=("reason_required", "office_quota"),
        description="record a change of office; the new office's quota is judged",
    ),
}
"""The rules of every data command, for definitions that do not name them."""


class LifecycleDefinition(_Spec):
    """A whole lifecycle: states, the enrolment rules, the transitions and the data commands.

    ``commands`` maps each data command to the rules judging it; a command a definition
    leaves out is judged by its :data:`DEFAULT_COMMANDS` rules.
    """

    name: Name
    version: str = "1"
    description: str = ""
    initial: str
    enrolment_rules: tuple[str, ...] = ()
    states: tuple[StateSpec, ...] = Field(min_length=1)
    transitions: tuple[TransitionSpec, ...] = ()
    commands: dict[str, CommandSpec] = Field(default_factory=lambda: dict(DEFAULT_COMMANDS))
    permissions: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    """The roles allowed to run the engine's other commands (``enrol``, ``add_staff``,
    ``set_schedule``, ``record_attendance``, ``migrate``, ``erase``); a command left out
    is open to anyone. Transitions and data commands carry their own ``by``."""

    @field_validator("commands")
    @classmethod
    def _every_command(cls, commands: dict[str, CommandSpec]) -> dict[str, CommandSpec]:
        unknown = sorted(set(commands) - DATA_COMMANDS)
        if unknown:
            known = ", ".join(sorted(DATA_COMMANDS))
            raise ValueError(f"unknown data command(s) {', '.join(unknown)} (known: {known})")
        return {**DEFAULT_COMMANDS, **commands}

    def __hash__(self) -> int:
        # ``commands`` is a dict, which pydantic's generated hash cannot hash.
        return hash(self.sha256)

    def __copy__(self) -> Self:
        # pydantic copies the instance __dict__, where cached properties live: a copy made
        # to be changed (``model_copy(update=...)``) must not keep the original's SHA-256.
        copied = super().__copy__()
        _forget(copied)
        return copied

    def __deepcopy__(self, memo: dict[int, Any] | None = None) -> Self:
        copied = super().__deepcopy__(memo)
        _forget(copied)
        return copied

    def document(self) -> dict[str, Any]:
        """The definition as JSON-compatible data, every default spelled out.

        Permissions are left out where a definition has none, so a definition written
        before permissions keeps its document (and the SHA-256 cohorts are pinned to).
        """
        document = self.model_dump(mode="json")
        for spec in (*document["transitions"], *document["commands"].values()):
            if spec["by"] is None:
                del spec["by"]
        if not document["permissions"]:
            del document["permissions"]
        return document

    @property
    def governed(self) -> bool:
        """Whether the definition says who may do anything (it names roles somewhere)."""
        return (
            bool(self.permissions)
            or any(t.by is not None for t in self.transitions)
            or any(c.by is not None for c in self.commands.values())
        )

    @cached_property
    def sha256(self) -> str:
        """SHA-256 of the canonical JSON :meth:`document` (sorted keys, no spaces)."""
        text = json.dumps(self.document(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()

    @property
    def ref(self) -> LifecycleRef:
        """Name, version and SHA-256: which definition this is."""
        return LifecycleRef(self.name, self.version, self.sha256)

    @property
    def state_names(self) -> tuple[str, ...]:
        """State names in definition order."""
        return tuple(s.name for s in self.states)

    @cached_property
    def final_states(self) -> frozenset[str]:
        """Names of the final states."""
        return frozenset(s.name for s in self.states if s.final)

    @property
    def finals(self) -> frozenset[str]:
        """Names of the final states (the :class:`~changeflow.records.Stages` protocol)."""
        return self.final_states

    @cached_property
    def seat_freeing(self) -> frozenset[str]:
        """Names of the states that free the seat."""
        return frozenset(s.name for s in self.states if s.frees_seat)

    @cached_property
    def completing(self) -> frozenset[str]:
        """Names of the states that complete the course."""
        return frozenset(s.name for s in self.states if s.completes_course)

    @cached_property
    def outcomes(self) -> Mapping[str, str]:
        """The assessment outcome (``passed``/``failed``) of each state that has one."""
        return {s.name: s.outcome for s in self.states if s.outcome is not None}

    def sources(self, spec: TransitionSpec) -> tuple[str, ...]:
        """The concrete source states of ``spec``, with ``"*"`` expanded."""
        if ANY_ACTIVE in spec.source:
            finals = self.final_states
            return tuple(s for s in self.state_names if s not in finals)
        return spec.source

    @property
    def events(self) -> tuple[str, ...]:
        """Event names, each once, in definition order."""
        return tuple(dict.fromkeys(t.event for t in self.transitions))


_CACHED = ("sha256", "final_states", "seat_freeing", "completing", "outcomes")


def _forget(definition: LifecycleDefinition) -> None:
    """Drop the cached properties copied along with a definition's fields."""
    for name in _CACHED:
        definition.__dict__.pop(name, None)


def _permission_problems(definition: LifecycleDefinition) -> list[str]:
    named: list[tuple[str, tuple[str, ...]]] = [
        (f"event {t.event!r}", t.by) for t in definition.transitions if t.by is not None
    ]
    named += [(f"command {c!r}", s.by) for c, s in definition.commands.items() if s.by is not None]
    named += [(f"command {c!r}", by) for c, by in definition.permissions.items()]
    problems = [
        f"permissions name unknown command {c!r} (known: {', '.join(sorted(PERMITTED_COMMANDS))})"
        for c in definition.permissions
        if c not in PERMITTED_COMMANDS
    ]
    for what, by in named:
        if not by:
            problems.append(f"{what}: 'by' names no role (leave it out to allow anyone)")
        problems += [
            f"{what}: unknown role {r!r} (known: {', '.join(sorted(ROLES))})"
            for r in by
            if r not in ROLES
        ]
    return problems


def _graph_problems(definition: LifecycleDefinition, known: set[str]) -> list[str]:
    edges: dict[str, set[str]] = {s: set() for s in known}
    for spec in definition.transitions:
        if spec.dest in known and not spec.reopens:
            for source in definition.sources(spec):
                if source in known:
                    edges[source].add(spec.dest)
    problems: list[str] = []
    reached = _reach(edges, {definition.initial} & known)
    problems += [
        f"state {s!r} is unreachable from {definition.initial!r}"
        for s in definition.state_names
        if s not in reached
    ]
    finals = definition.final_states
    for state in definition.state_names:
        if state in finals:
            continue
        if not edges[state]:
            problems.append(f"non-final state {state!r} has no way out")
        elif not _reach(edges, {state}) & finals:
            problems.append(f"non-final state {state!r} can never reach a final state")
    return problems


def _reach(edges: Mapping[str, set[str]], start: set[str]) -> set[str]:
    seen, todo = set(start), list(start)
    while todo:
        for nxt in edges.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def _rule_problems(definition: LifecycleDefinition, rules: Collection[str]) -> list[str]:
    problems = [
        f"enrolment rule {r!r} is not registered"
        for r in definition.enrolment_rules
        if r not in rules
    ]
    for spec in definition.transitions:
        problems += [
            f"event {spec.event!r}: rule {r!r} is not registered"
            for r in spec.rules
            if r not in rules
        ]
    for command, command_spec in definition.commands.items():
        problems += [
            f"command {command!r}: rule {r!r} is not registered"
            for r in command_spec.rules
            if r not in rules
        ]
    return problems


def missing_rules(definition: LifecycleDefinition, rules: Collection[str]) -> tuple[str, ...]:
    """The rule names ``definition`` uses that ``rules`` lacks, sorted, each once."""
    used = set(definition.enrolment_rules)
    used.update(r for spec in definition.transitions for r in spec.rules)
    used.update(r for spec in definition.commands.values() for r in spec.rules)
    return tuple(sorted(used - set(rules)))


def _state_problems(definition: LifecycleDefinition) -> list[str]:
    problems: list[str] = []
    seen: set[str] = set()
    for state in definition.states:
        if state.name in seen:
            problems.append(f"state {state.name!r} is defined twice")
        seen.add(state.name)
        if (state.frees_seat or state.completes_course) and not state.final:
            problems.append(
                f"state {state.name!r} frees a seat or completes the course but is not final"
            )
    if definition.initial not in seen:
        problems.append(f"initial state {definition.initial!r} is not defined")
    elif definition.initial in definition.final_states:
        problems.append(f"initial state {definition.initial!r} is final")
    return problems


def _transition_problems(definition: LifecycleDefinition, known: set[str]) -> list[str]:
    problems: list[str] = []
    finals = definition.final_states
    pairs: set[tuple[str, str]] = set()
    for spec in definition.transitions:
        if spec.event in RESERVED_EVENTS:
            problems.append(f"event name {spec.event!r} is reserved for a command of the engine")
        if ANY_ACTIVE in spec.source and len(spec.source) > 1:
            problems.append(f"event {spec.event!r}: {ANY_ACTIVE!r} must be the only source")
        if spec.reopens:
            problems += _reopen_problems(definition, spec, known)
        elif spec.dest not in known:
            problems.append(f"event {spec.event!r}: unknown destination state {spec.dest!r}")
        for source in definition.sources(spec):
            if source not in known:
                problems.append(f"event {spec.event!r}: unknown source state {source!r}")
            elif (source in finals) != spec.reopens:
                problems.append(
                    f"event {spec.event!r} reopens non-final state {source!r}"
                    if spec.reopens
                    else f"event {spec.event!r} leaves final state {source!r}"
                )
            if (spec.event, source) in pairs:
                problems.append(f"event {spec.event!r} is defined twice from {source!r}")
            pairs.add((spec.event, source))
    return problems


def _reopen_problems(
    definition: LifecycleDefinition, spec: TransitionSpec, known: set[str]
) -> list[str]:
    if ANY_ACTIVE in spec.source:
        return [f"event {spec.event!r}: a reopening names the final states it leaves"]
    if spec.dest == PREVIOUS:
        return []
    if spec.dest not in known:
        return [f"event {spec.event!r}: unknown destination state {spec.dest!r}"]
    if spec.dest in definition.final_states:
        return [f"event {spec.event!r}: a reopening must lead to a non-final state"]
    return []


def check_definition(
    definition: LifecycleDefinition, rules: Collection[str] | None = None
) -> list[str]:
    """Every problem of ``definition``; rule names are checked when ``rules`` is given."""
    known = set(definition.state_names)
    problems = _state_problems(definition)
    problems += _transition_problems(definition, known)
    problems += _graph_problems(definition, known)
    problems += _permission_problems(definition)
    if rules is not None:
        problems += _rule_problems(definition, rules)
    return problems


def parse_definition(data: Mapping[str, Any]) -> LifecycleDefinition:
    """Validate a dict as a definition, turning pydantic errors into one DefinitionError."""
    try:
        return LifecycleDefinition.model_validate(data)
    except ValidationError as exc:
        problems = [
            f"{'.'.join(str(p) for p in err['loc']) or '(root)'}: {err['msg']}"
            for err in exc.errors()
        ]
        raise DefinitionError(problems, name=str(data.get("name") or "") or None) from exc


def load_definition(
    source: str | Path | Mapping[str, Any], rules: Collection[str] | None = None
) -> LifecycleDefinition:
    """Load a definition from a TOML/YAML/JSON file or a dict and check it.

    Raises :class:`~changeflow.errors.DefinitionError` listing every problem.
    """
    if isinstance(source, Mapping):
        data = source
    elif isinstance(source, str | Path):
        data = _read(Path(source))
    else:
        raise DefinitionError([f"expected a file path or a mapping, got {type(source).__name__}"])
    definition = parse_definition(data)
    problems = check_definition(definition, rules)
    if problems:
        raise DefinitionError(problems, name=definition.name)
    return definition


def _read(path: Path) -> Mapping[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, ValueError) as exc:  # ValueError: not UTF-8, or a NUL in the path
        raise DefinitionError([f"cannot read {path}: {exc}"]) from exc
    try:
        data = _decode(path.suffix.lower(), text)
    except ValueError as exc:
        raise DefinitionError([f"{path}: {exc}"]) from exc
    except RecursionError:
        # The parsers recurse per nesting level: a hostile file can nest past the limit.
        raise DefinitionError([f"{path}: nested too deeply to read"]) from None
    if not isinstance(data, Mapping):
        raise DefinitionError([f"{path}: the top level must be a table/mapping"])
    return data


def _decode(suffix: str, text: str) -> Any:
    if suffix == ".toml":
        return tomllib.loads(text)
    if suffix in {".yaml", ".yml"}:
        try:
            import yaml  # noqa: PLC0415 - optional dependency, only for YAML files
        except ImportError as exc:
            raise ValueError(
                "YAML definitions need the 'yaml' extra (pip install changeflow[yaml])"
            ) from exc
        # libyaml's safe loader when PyYAML has it: the pure-Python scanner takes seconds on
        # a few kilobytes of nested brackets before it gives up; libyaml caps the nesting.
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        try:
            return yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader, chosen above
        except yaml.YAMLError as exc:
            raise ValueError(str(exc)) from exc
    if suffix == ".json":
        import json  # noqa: PLC0415 - only needed for JSON files

        return json.loads(text)
    raise ValueError(f"unknown definition format {suffix!r} (use .toml, .yaml or .json)")
