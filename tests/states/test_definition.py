"""Lifecycle definitions: their checks, and loading them from dicts and TOML/YAML/JSON files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from changeflow import DEFAULT_LIFECYCLE, DefinitionError, Lifecycle, MissingRules, RuleRegistry
from changeflow.states import ANY_ACTIVE, LifecycleDefinition, check_definition, load_definition
from changeflow.store.sql.migrations import CHANGE_PROJECT_2, frozen_lifecycle

if TYPE_CHECKING:
    from collections.abc import Callable

DATA = Path(__file__).parent.parent / "data"
RULES = RuleRegistry.default()
VERSION_2 = frozen_lifecycle("change_project", "2", CHANGE_PROJECT_2)
"""Version 2 of the default lifecycle, frozen beside the migration that pins cohorts to it."""


def base() -> dict[str, Any]:
    """A small valid lifecycle as plain data, fresh on every call."""
    return {
        "name": "mini",
        "initial": "open",
        "enrolment_rules": ["rank"],
        "states": [
            {"name": "open"},
            {"name": "busy"},
            {"name": "done", "final": True},
            {"name": "gone", "final": True, "frees_seat": True},
        ],
        "transitions": [
            {"event": "begin", "source": "open", "dest": "busy"},
            {"event": "finish", "source": "busy", "dest": "done", "rules": ["reason_required"]},
            {"event": "leave", "source": ["open", "busy"], "dest": "gone"},
        ],
    }


def problems_of(data: dict[str, Any]) -> list[str]:
    """Every problem check_definition finds in ``data``, with rule names checked."""
    return check_definition(LifecycleDefinition.model_validate(data), RULES)


def _add_transition(**spec: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(data: dict[str, Any]) -> None:
        data["transitions"].append(spec)

    return mutate


def _add_unreachable(data: dict[str, Any]) -> None:
    data["states"].append({"name": "island", "final": True})


def _add_dead_end(data: dict[str, Any]) -> None:
    data["states"].append({"name": "stuck"})
    data["transitions"].append({"event": "jam", "source": "busy", "dest": "stuck"})


def _add_endless_loop(data: dict[str, Any]) -> None:
    data["states"] += [{"name": "loop_a"}, {"name": "loop_b"}]
    data["transitions"] += [
        {"event": "spin", "source": "busy", "dest": "loop_a"},
        {"event": "spin", "source": "loop_a", "dest": "loop_b"},
        {"event": "spin", "source": "loop_b", "dest": "loop_a"},
    ]


def _unregistered_enrolment_rule(data: dict[str, Any]) -> None:
    data["enrolment_rules"].append("no_such_rule")


def _unregistered_transition_rule(data: dict[str, Any]) -> None:
    data["transitions"][1]["rules"] = ["reason_required", "ghost"]


def _duplicate_state(data: dict[str, Any]) -> None:
    data["states"].append({"name": "busy"})


def _undefined_initial(data: dict[str, Any]) -> None:
    data["initial"] = "limbo"


def _final_initial(data: dict[str, Any]) -> None:
    data["initial"] = "done"


def _seat_freeing_active_state(data: dict[str, Any]) -> None:
    data["states"][1] = {"name": "busy", "frees_seat": True}


CASES: list[tuple[str, Callable[[dict[str, Any]], None], list[str]]] = [
    (
        "unknown source",
        _add_transition(event="jump", source="limbo", dest="busy"),
        ["event 'jump': unknown source state 'limbo'"],
    ),
    (
        "unknown destination",
        _add_transition(event="jump", source="open", dest="limbo"),
        ["event 'jump': unknown destination state 'limbo'"],
    ),
    ("unreachable state", _add_unreachable, ["state 'island' is unreachable from 'open'"]),
    ("dead end", _add_dead_end, ["non-final state 'stuck' has no way out"]),
    (
        "cycle without a final state",
        _add_endless_loop,
        [
            "non-final state 'loop_a' can never reach a final state",
            "non-final state 'loop_b' can never reach a final state",
        ],
    ),
    (
        "unregistered enrolment rule",
        _unregistered_enrolment_rule,
        ["enrolment rule 'no_such_rule' is not registered"],
    ),
    (
        "unregistered transition rule",
        _unregistered_transition_rule,
        ["event 'finish': rule 'ghost' is not registered"],
    ),
    ("duplicate state", _duplicate_state, ["state 'busy' is defined twice"]),
    (
        "duplicate event and source",
        _add_transition(event="begin", source="open", dest="done"),
        ["event 'begin' is defined twice from 'open'"],
    ),
    (
        "transition leaving a final state",
        _add_transition(event="reopen", source="done", dest="open"),
        ["event 'reopen' leaves final state 'done'"],
    ),
    ("initial undefined", _undefined_initial, ["initial state 'limbo' is not defined"]),
    ("initial final", _final_initial, ["initial state 'done' is final"]),
    (
        "reserved event name",
        _add_transition(event="enrol", source="open", dest="busy"),
        ["event name 'enrol' is reserved for a command of the engine"],
    ),
    (
        "data command as an event name",
        _add_transition(event="register_project", source="open", dest="busy"),
        ["event name 'register_project' is reserved for a command of the engine"],
    ),
    (
        "reopening a non-final state",
        _add_transition(event="undo", source="busy", dest="open", reopens=True),
        ["event 'undo' reopens non-final state 'busy'"],
    ),
    (
        "reopening every active state",
        _add_transition(event="undo_all", source="*", dest="open", reopens=True),
        ["event 'undo_all': a reopening names the final states it leaves"],
    ),
    (
        "reopening into a final state",
        _add_transition(event="redo", source="gone", dest="done", reopens=True),
        ["event 'redo': a reopening must lead to a non-final state"],
    ),
    (
        "return to the state left without reopening",
        _add_transition(event="back", source="busy", dest="@previous"),
        ["event 'back': unknown destination state '@previous'"],
    ),
    (
        "seat freed by an active state",
        _seat_freeing_active_state,
        ["state 'busy' frees a seat or completes the course but is not final"],
    ),
]


def test_base_definition_has_no_problems() -> None:
    """The small lifecycle the other cases break is itself valid."""
    assert problems_of(base()) == []


def test_reopenings_may_leave_final_states() -> None:
    """A reopening leaves final states, to a named state or to the state left (@previous)."""
    data = base()
    data["transitions"] += [
        {"event": "undo", "source": "done", "dest": "busy", "reopens": True},
        {"event": "undo", "source": "gone", "dest": "@previous", "reopens": True},
    ]
    assert problems_of(data) == []
    lifecycle = Lifecycle(load_definition(data, RULES), RULES)
    assert [m.event for m in lifecycle.leaving["gone"]] == ["undo"]
    assert lifecycle.move("undo", "gone").dest == "@previous"  # type: ignore[union-attr]


def test_a_reopening_is_no_way_out_of_a_state() -> None:
    """A state left only by a reopening is still a dead end when it is not final."""
    data = base()
    data["states"].append({"name": "stuck"})
    data["transitions"] += [
        {"event": "jam", "source": "busy", "dest": "stuck"},
        {"event": "undo", "source": "done", "dest": "stuck", "reopens": True},
    ]
    assert problems_of(data) == ["non-final state 'stuck' has no way out"]


def test_unknown_data_command_is_a_definition_error() -> None:
    """A definition naming a data command the engine lacks is refused, listing the known ones."""
    data = base()
    data["commands"] = {"delete_everything": {"rules": []}}
    with pytest.raises(DefinitionError) as caught:
        load_definition(data, RULES)
    [problem] = caught.value.problems
    assert "unknown data command(s) delete_everything" in problem
    assert "register_project" in problem


def test_commands_default_to_the_default_rules() -> None:
    """A definition naming one data command keeps the default rules for every other one."""
    data = base()
    data["commands"] = {"register_project": {"rules": []}}
    definition = load_definition(data, RULES)
    assert definition.commands["register_project"].rules == ()
    assert definition.commands["record_assessment"].rules == ("record_open",)
    assert definition.commands["transfer_office"].rules == ("reason_required", "office_quota")


@pytest.mark.parametrize(("mutate", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_problem_is_reported(
    mutate: Callable[[dict[str, Any]], None], expected: list[str]
) -> None:
    """check_definition reports each kind of inconsistency with a precise message."""
    data = base()
    mutate(data)
    found = problems_of(data)
    for problem in expected:
        assert problem in found


@pytest.mark.parametrize(("mutate", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_problem_makes_loading_fail(
    mutate: Callable[[dict[str, Any]], None], expected: list[str]
) -> None:
    """load_definition raises DefinitionError for each kind of inconsistency."""
    data = base()
    mutate(data)
    with pytest.raises(DefinitionError) as caught:
        load_definition(data, RULES)
    assert set(expected) <= set(caught.value.problems)
    assert caught.value.name == "mini"


def test_several_problems_raise_one_error_listing_every_one() -> None:
    """A definition with many problems raises one DefinitionError whose problems list them all."""
    data = base()
    expected: list[str] = []
    for _, mutate, problems in CASES:
        if mutate not in {_undefined_initial, _final_initial}:  # these change every reach
            mutate(data)
            expected += problems
    with pytest.raises(DefinitionError) as caught:
        load_definition(data, RULES)
    assert [p for p in expected if p not in caught.value.problems] == []
    assert f"{len(caught.value.problems)} problem(s)" in str(caught.value)


def test_file_with_several_problems_lists_them_in_order() -> None:
    """Loading a broken file reports its every problem: states, transitions, graph, rules."""
    with pytest.raises(DefinitionError) as caught:
        load_definition(DATA / "broken.toml", RULES)
    assert caught.value.problems == (
        "event 'finish': unknown destination state 'nowhere'",
        "event 'reopen' leaves final state 'done'",
        "state 'island' is unreachable from 'start'",
        "state 'done' is unreachable from 'start'",
        "non-final state 'start' has no way out",
        "non-final state 'island' has no way out",
        "enrolment rule 'no_such_rule' is not registered",
    )
    assert caught.value.name == "broken"


def test_rule_names_are_checked_only_when_rules_are_given() -> None:
    """Without a rule registry, rule names are not judged; with one, unknown names are."""
    data = base()
    _unregistered_transition_rule(data)
    definition = LifecycleDefinition.model_validate(data)
    assert check_definition(definition) == []
    assert load_definition(data) == definition
    assert check_definition(definition, RULES) == ["event 'finish': rule 'ghost' is not registered"]


def test_lifecycle_refuses_an_inconsistent_definition() -> None:
    """Lifecycle builds no machine from a definition with problems, and says why."""
    data = base()
    _add_dead_end(data)
    _add_unreachable(data)
    with pytest.raises(DefinitionError) as caught:
        Lifecycle(LifecycleDefinition.model_validate(data), RULES)
    assert not isinstance(caught.value, MissingRules)
    assert set(caught.value.problems) == {
        "non-final state 'stuck' has no way out",
        "state 'island' is unreachable from 'open'",
    }


def test_lifecycle_names_every_unregistered_rule() -> None:
    """Rules the registry lacks raise MissingRules (a DefinitionError) naming each once, sorted."""
    data = base()
    _add_dead_end(data)
    _unregistered_enrolment_rule(data)
    _unregistered_transition_rule(data)
    data["commands"] = {"register_project": {"rules": ["ghost", "record_open"]}}
    with pytest.raises(MissingRules) as caught:
        Lifecycle(LifecycleDefinition.model_validate(data), RULES)
    assert isinstance(caught.value, DefinitionError)
    assert caught.value.rules == ("ghost", "no_such_rule")
    assert caught.value.problems == (
        "rule 'ghost' is not registered",
        "rule 'no_such_rule' is not registered",
    )
    assert caught.value.name == "mini"


def test_star_source_expands_to_every_non_final_state() -> None:
    """A '*' source stands for every non-final state, in definition order, and no final one."""
    data = base()
    data["states"].insert(2, {"name": "paused"})
    data["transitions"][2]["source"] = ANY_ACTIVE
    data["transitions"].append({"event": "pause", "source": "busy", "dest": "paused"})
    data["transitions"].append({"event": "resume", "source": "paused", "dest": "busy"})
    definition = load_definition(data, RULES)
    leave = definition.transitions[2]
    assert definition.sources(leave) == ("open", "busy", "paused")
    lifecycle = Lifecycle(definition, RULES)
    assert lifecycle.sources_of("leave") == ("open", "busy", "paused")


def test_star_source_must_stand_alone() -> None:
    """'*' mixed with named sources is a problem, so a final state cannot hide beside it."""
    data = base()
    data["transitions"][2]["source"] = [ANY_ACTIVE, "done"]
    problems = check_definition(LifecycleDefinition.model_validate(data), RULES)
    assert "event 'leave': '*' must be the only source" in problems


def test_star_source_in_the_default_lifecycle() -> None:
    """Withdraw and drop leave each of the five active stages of the default lifecycle."""
    active = ("enrolled", "on_class", "proposal", "laboratory", "seminar")
    for spec in DEFAULT_LIFECYCLE.transitions:
        if spec.event in {"withdraw", "drop"}:
            assert spec.source == (ANY_ACTIVE,)
            assert DEFAULT_LIFECYCLE.sources(spec) == active


def test_default_lifecycle_passes_its_checks() -> None:
    """The default lifecycle has no problem, rule names included."""
    assert check_definition(DEFAULT_LIFECYCLE, RULES) == []
    assert Lifecycle(DEFAULT_LIFECYCLE, RULES).name == "change_project"


def _shape(definition: LifecycleDefinition) -> tuple[object, ...]:
    """Everything of a definition but its descriptions."""
    return (
        definition.name,
        definition.initial,
        definition.enrolment_rules,
        [(s.name, s.final, s.frees_seat, s.completes_course) for s in definition.states],
        [(t.event, t.source, t.dest, t.rules) for t in definition.transitions],
    )


def _version_1(definition: LifecycleDefinition) -> LifecycleDefinition:
    """Version 2 of the default lifecycle as version 1 had it: no reopening, no fail grounds."""
    transitions = [
        t.model_copy(update={"rules": ()}) if t.event == "fail" else t
        for t in definition.transitions
        if not t.reopens
    ]
    return definition.model_copy(update={"transitions": tuple(transitions)})


def _version_2(definition: LifecycleDefinition) -> LifecycleDefinition:
    """Version 3 of the default lifecycle as version 2 had it: no attendance minimum."""
    transitions = [
        t.model_copy(update={"rules": tuple(r for r in t.rules if r != "attendance_minimum")})
        for t in definition.transitions
    ]
    return definition.model_copy(update={"version": "2", "transitions": tuple(transitions)})


def test_toml_file_loads_the_first_default_lifecycle() -> None:
    """The TOML copy of version 1 of the default lifecycle has its states, events and rules."""
    # Version 2 added ``reopen`` and the ``fail_grounds`` rule: the file is another definition
    # (another SHA-256), which the tests use as a custom lifecycle.
    loaded = load_definition(DATA / "change_project.toml", RULES)
    assert _shape(loaded) == _shape(_version_1(VERSION_2))
    assert (loaded.version, VERSION_2.version) == ("1", "2")
    assert loaded.sha256 != VERSION_2.sha256


VERSION_3_SHA256 = "0728beb7e53a9b35588cf011b07b08c41e30d78a2a098e08b39350a866ae3df3"
"""SHA-256 of version 3 of the default lifecycle, as changeflow computed it before version 4
(cohorts created then are pinned to it)."""


def _version_3(definition: LifecycleDefinition) -> LifecycleDefinition:
    """Version 4 of the default lifecycle as version 3 had it: nobody's role named."""
    transitions = tuple(t.model_copy(update={"by": None}) for t in definition.transitions)
    commands = {n: c.model_copy(update={"by": None}) for n, c in definition.commands.items()}
    return definition.model_copy(
        update={
            "version": "3",
            "transitions": transitions,
            "commands": commands,
            "permissions": {},
        }
    )


def test_version_3_adds_only_the_attendance_minimum() -> None:
    """Version 3 is the frozen version 2 with attendance_minimum on present_proposal only."""
    version_3 = _version_3(DEFAULT_LIFECYCLE)
    assert _version_2(version_3) == VERSION_2
    judged = [t.event for t in version_3.transitions if "attendance_minimum" in t.rules]
    assert judged == ["present_proposal"]
    assert version_3.sha256 != VERSION_2.sha256


def test_version_4_adds_only_who_may_do_what() -> None:
    """Version 4 is version 3 with permissions; version 3 keeps the SHA-256 cohorts pin."""
    assert DEFAULT_LIFECYCLE.version == "4"
    assert DEFAULT_LIFECYCLE.governed
    version_3 = _version_3(DEFAULT_LIFECYCLE)
    assert not version_3.governed
    assert version_3.sha256 == VERSION_3_SHA256
    assert "by" not in version_3.document()["transitions"][0]
    assert "permissions" not in version_3.document()
    assert DEFAULT_LIFECYCLE.document()["permissions"]["enrol"] == ["organiser"]


def test_permissions_name_known_roles_and_commands() -> None:
    """An unknown role, an empty `by` or an unknown command in permissions is a problem."""
    data = base()
    data["transitions"][0]["by"] = ["janitor"]
    data["transitions"][1]["by"] = []
    data["permissions"] = {"fly": ["organiser"]}
    with pytest.raises(DefinitionError) as raised:
        load_definition(data)
    problems = "\n".join(raised.value.problems)
    assert "unknown role 'janitor'" in problems
    assert "'by' names no role" in problems
    assert "unknown command 'fly'" in problems


def test_yaml_file_loads_another_lifecycle() -> None:
    """A YAML file defines a different lifecycle, with a string source and a '*' source."""
    loaded = load_definition(str(DATA / "workshop.yaml"), RULES)
    assert loaded.name == "workshop"
    assert loaded.version == "2"
    assert loaded.initial == "registered"
    assert loaded.state_names == ("registered", "attending", "certified", "withdrawn")
    assert loaded.final_states == {"certified", "withdrawn"}
    assert loaded.events == ("attend", "certify", "withdraw")
    assert loaded.sources(loaded.transitions[2]) == ("registered", "attending")
    assert loaded.transitions[0].source == ("registered",)


@pytest.mark.parametrize("suffix", [".json", ".yml", ".TOML"])
def test_other_suffixes_load(tmp_path: Path, suffix: str) -> None:
    """JSON, .yml and upper-case suffixes load like their usual spellings."""
    data = base()
    path = tmp_path / f"mini{suffix}"
    if suffix == ".TOML":
        path.write_text((DATA / "change_project.toml").read_text(encoding="utf-8"), "utf-8")
        assert load_definition(path, RULES).name == "change_project"
    else:
        path.write_text(json.dumps(data), encoding="utf-8")  # JSON is valid YAML too
        assert load_definition(path, RULES) == LifecycleDefinition.model_validate(data)


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("bad.toml", 'name = "x"\ninitial = \n', "Invalid"),
        ("bad.yaml", "states: [unclosed\n", "expected"),
        ("bad.json", '{"name": "x",', "Expecting"),
        ("list.json", "[1, 2]", "the top level must be a table/mapping"),
        ("empty.yaml", "", "the top level must be a table/mapping"),
        ("mini.ini", "[lifecycle]\n", "unknown definition format '.ini'"),
    ],
)
def test_unparsable_files_raise_definition_error(
    tmp_path: Path, name: str, text: str, expected: str
) -> None:
    """Bad syntax, a non-mapping top level or an unknown suffix raise DefinitionError."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DefinitionError) as caught:
        load_definition(path)
    assert len(caught.value.problems) == 1
    assert str(path) in caught.value.problems[0]
    assert expected in caught.value.problems[0]


def test_missing_file_raises_definition_error(tmp_path: Path) -> None:
    """A file that does not exist is reported as unreadable, not as an OSError."""
    with pytest.raises(DefinitionError, match="cannot read") as caught:
        load_definition(tmp_path / "absent.toml")
    assert not isinstance(caught.value, OSError)


def test_directory_raises_definition_error(tmp_path: Path) -> None:
    """A directory where a file is expected is reported as unreadable."""
    folder = tmp_path / "lifecycle.toml"
    folder.mkdir()
    with pytest.raises(DefinitionError, match="cannot read"):
        load_definition(folder)


def test_non_utf8_file_raises_definition_error(tmp_path: Path) -> None:
    """A file that is not UTF-8 text is reported as unreadable."""
    path = tmp_path / "latin1.toml"
    path.write_bytes(b'name = "caf\xe9"\n')
    with pytest.raises(DefinitionError, match="cannot read"):
        load_definition(path)


def test_bad_state_name_raises_definition_error() -> None:
    """A state name that is not a lower-case identifier is a DefinitionError naming its place."""
    data = base()
    data["states"][1]["name"] = "Bad-Name"
    with pytest.raises(DefinitionError) as caught:
        load_definition(data)
    assert any(p.startswith("states.1.name:") for p in caught.value.problems)
    assert caught.value.name == "mini"


def test_every_schema_error_is_listed() -> None:
    """Missing, extra and malformed fields are all listed in one DefinitionError."""
    data = base()
    del data["initial"]
    data["colour"] = "blue"
    data["transitions"][0]["source"] = []
    with pytest.raises(DefinitionError) as caught:
        load_definition(data)
    problems = caught.value.problems
    assert "initial: Field required" in problems
    assert "colour: Extra inputs are not permitted" in problems
    assert any(p.startswith("transitions.0.source:") for p in problems)


def test_schema_error_in_a_file_raises_definition_error(tmp_path: Path) -> None:
    """A file whose content breaks the schema raises DefinitionError, not a pydantic error."""
    path = tmp_path / "nameless.yaml"
    path.write_text("initial: open\nstates:\n  - name: open\n", encoding="utf-8")
    with pytest.raises(DefinitionError) as caught:
        load_definition(path)
    assert caught.value.problems == ("name: Field required",)
    assert caught.value.name is None


def test_a_changed_copy_has_its_own_sha256_and_stages() -> None:
    """model_copy(update=...) and deepcopy recompute what the original had cached."""
    import copy  # noqa: PLC0415 - only this test copies

    original = DEFAULT_LIFECYCLE.sha256, DEFAULT_LIFECYCLE.final_states  # cached now
    states = tuple(
        s.model_copy(update={"final": False}) if s.name == "dropped" else s
        for s in DEFAULT_LIFECYCLE.states
    )
    changed = DEFAULT_LIFECYCLE.model_copy(update={"version": "9", "states": states})
    assert changed.sha256 != original[0]
    assert changed.sha256 == LifecycleDefinition.model_validate(changed.document()).sha256
    assert "dropped" not in changed.final_states
    assert "dropped" in original[1]
    assert copy.deepcopy(DEFAULT_LIFECYCLE).sha256 == original[0]
