"""The rule registry: built-ins, explicit registration and ``changeflow.rules`` entry points."""

from __future__ import annotations

import sys
import textwrap
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest

from changeflow import DefinitionError
from changeflow.rules import (
    ENTRY_POINT_GROUP,
    OK,
    Rank,
    Rule,
    RuleContext,
    RuleRegistry,
    Verdict,
    builtin_rules,
)
from changeflow.testing import CountingFacts
from factories import make_cohort, make_participant

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

BUILTINS = {
    "rank",
    "retirement_horizon",
    "office_quota",
    "cohort_capacity",
    "already_active",
    "change_project",
    "mentor_approval",
    "passing_assessment",
    "reason_required",
    "record_open",
    "outcome_unchanged",
    "fail_grounds",
    "attendance_minimum",
}

PLUGIN = "fake_rules_pkg"
PLUGIN_SOURCE = '''
"""A third-party rule pack, installed for the duration of one test."""

from changeflow.rules import OK, Verdict


def always_ok(context, /):
    """A rule object: accepts everyone."""
    return OK


class NeedsPayload:
    """A rule class: refuses a move without a payload."""

    def __call__(self, context, /):
        if context.payload:
            return OK
        return Verdict.refuse("payload_missing", "a payload is required")


NOT_CALLABLE = 42
'''


def allow_all(context: RuleContext, /) -> Verdict:
    """A rule registered by hand in these tests."""
    return OK if context.event else Verdict.refuse("never", "unreachable")


def a_context(payload: dict[str, object] | None = None) -> RuleContext:
    """An enrolment context for rules that do not look at the store."""
    return RuleContext(
        make_cohort(),
        make_participant(),
        "enrol",
        None,
        "enrolled",
        CountingFacts(),
        datetime(2019, 4, 4, tzinfo=UTC),
        payload=payload,
    )


# -- built-ins and registration ------------------------------------------------------------


def test_default_holds_exactly_the_builtins() -> None:
    """Without installed plugins the default registry holds the thirteen built-in rules."""
    registry = RuleRegistry.default(entry_points=False)
    assert set(registry) == BUILTINS
    assert len(registry) == len(BUILTINS)
    assert all(isinstance(registry[name], Rule) for name in registry)


def test_builtin_rules_returns_a_fresh_dict() -> None:
    """builtin_rules() gives a new dict each call, so callers may change theirs."""
    mine = builtin_rules()
    mine.pop("rank")
    assert "rank" in builtin_rules()


def test_default_with_entry_points_still_holds_the_builtins() -> None:
    """Loading entry points never removes a built-in rule."""
    assert set(RuleRegistry.default()) >= BUILTINS


def test_register_adds_a_rule_under_its_name() -> None:
    """A registered rule is returned and found under its name."""
    registry = RuleRegistry.default(entry_points=False)
    assert registry.register("allow_all", allow_all) is allow_all
    assert registry["allow_all"] is allow_all
    assert "allow_all" in registry


def test_register_refuses_a_duplicate_name() -> None:
    """Registering a taken name raises DefinitionError naming it, and keeps the original."""
    registry = RuleRegistry.default(entry_points=False)
    original = registry["rank"]
    with pytest.raises(DefinitionError, match="'rank' is already registered") as refused:
        registry.register("rank", allow_all)
    assert refused.value.problems == ("rule 'rank' is already registered (pass replace=True)",)
    assert registry["rank"] is original


def test_register_with_replace_shadows_a_name() -> None:
    """replace=True swaps the rule registered under a name."""
    registry = RuleRegistry.default(entry_points=False)
    registry.register("rank", allow_all, replace=True)
    assert registry["rank"] is allow_all


@pytest.mark.parametrize("name", ["", "office-quota", "1st_rule", "two words", "rank!"])
def test_register_refuses_a_name_that_is_not_an_identifier(name: str) -> None:
    """Rule names must be identifiers (they appear in lifecycle files)."""
    with pytest.raises(DefinitionError, match="not an identifier"):
        RuleRegistry().register(name, allow_all)


@pytest.mark.parametrize("rule", [None, 42, "rank"])
def test_register_refuses_something_not_callable(rule: object) -> None:
    """A rule must be callable."""
    registry = RuleRegistry()
    with pytest.raises(DefinitionError, match="not callable"):
        registry.register("broken", rule)  # type: ignore[arg-type]
    assert "broken" not in registry


def test_unknown_name_raises_key_error() -> None:
    """Looking up an unknown rule raises KeyError, as a mapping does."""
    with pytest.raises(KeyError):
        RuleRegistry()["nope"]


def test_copy_is_independent_both_ways() -> None:
    """A copy can be extended without touching the original, and vice versa."""
    original = RuleRegistry({"rank": Rank()})
    copied = original.copy()
    copied.register("allow_all", allow_all)
    original.register("rank", allow_all, replace=True)
    assert set(original) == {"rank"}
    assert set(copied) == {"rank", "allow_all"}
    assert isinstance(copied["rank"], Rank)


def test_registry_takes_a_snapshot_of_its_input() -> None:
    """Changing the mapping a registry was built from does not change the registry."""
    source: dict[str, Rule] = {"rank": Rank()}
    registry = RuleRegistry(source)
    source["allow_all"] = allow_all
    assert list(registry) == ["rank"]


def test_repr_lists_sorted_names() -> None:
    """The repr names the registered rules in order."""
    registry = RuleRegistry({"rank": Rank(), "allow_all": allow_all})
    assert repr(registry) == "RuleRegistry(['allow_all', 'rank'])"


# -- entry points --------------------------------------------------------------------------


@pytest.fixture
def install_plugin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[[str], None]]:
    """Install a real distribution declaring ``changeflow.rules`` entry points on sys.path."""

    def install(entry_points: str) -> None:
        (tmp_path / f"{PLUGIN}.py").write_text(PLUGIN_SOURCE, encoding="utf-8")
        info = tmp_path / f"{PLUGIN}-0.1.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {PLUGIN}\nVersion: 0.1\n", encoding="utf-8"
        )
        (info / "entry_points.txt").write_text(textwrap.dedent(entry_points), encoding="utf-8")
        monkeypatch.syspath_prepend(str(tmp_path))

    yield install
    sys.modules.pop(PLUGIN, None)


GOOD = f"""
    [{ENTRY_POINT_GROUP}]
    fake_object = {PLUGIN}:always_ok
    fake_class = {PLUGIN}:NeedsPayload
    """


def test_entry_points_load_rule_objects_and_classes(
    install_plugin: Callable[[str], None],
) -> None:
    """An entry point may name a rule object (used as is) or a class (instantiated)."""
    install_plugin(GOOD)
    registry = RuleRegistry(builtin_rules())
    assert sorted(registry.load_entry_points()) == ["fake_class", "fake_object"]
    plugin = sys.modules[PLUGIN]
    assert registry["fake_object"] is plugin.always_ok
    assert isinstance(registry["fake_class"], plugin.NeedsPayload)
    assert registry["fake_object"](a_context()) is OK
    assert registry["fake_class"](a_context()).violations[0].code == "payload_missing"
    assert registry["fake_class"](a_context({"note": "ok"})).ok


def test_default_registry_discovers_installed_rules(install_plugin: Callable[[str], None]) -> None:
    """RuleRegistry.default() adds installed rules to the built-ins, unless told not to."""
    install_plugin(GOOD)
    assert set(RuleRegistry.default()) == BUILTINS | {"fake_object", "fake_class"}
    assert set(RuleRegistry.default(entry_points=False)) == BUILTINS


def test_explicit_registration_wins_over_an_entry_point(
    install_plugin: Callable[[str], None],
) -> None:
    """A name registered by hand, or a built-in, is not replaced by a discovered rule."""
    install_plugin(
        f"""
        [{ENTRY_POINT_GROUP}]
        fake_object = {PLUGIN}:always_ok
        rank = {PLUGIN}:always_ok
        """
    )
    registry = RuleRegistry(builtin_rules())
    registry.register("fake_object", allow_all)
    assert registry.load_entry_points() == []
    assert registry["fake_object"] is allow_all
    assert isinstance(registry["rank"], Rank)


def test_entry_points_of_another_group_are_ignored(install_plugin: Callable[[str], None]) -> None:
    """Only the requested group is loaded."""
    install_plugin(
        f"""
        [other.plugins]
        fake_object = {PLUGIN}:always_ok
        """
    )
    registry = RuleRegistry()
    assert registry.load_entry_points() == []
    assert registry.load_entry_points("other.plugins") == ["fake_object"]


def test_broken_entry_points_raise_definition_error_listing_each(
    install_plugin: Callable[[str], None],
) -> None:
    """Every entry point that cannot be loaded as a rule is listed in one DefinitionError."""
    install_plugin(
        f"""
        [{ENTRY_POINT_GROUP}]
        fake_object = {PLUGIN}:always_ok
        missing_attr = {PLUGIN}:does_not_exist
        missing_module = no_such_module_for_changeflow:rule
        not_callable = {PLUGIN}:NOT_CALLABLE
        """
    )
    with pytest.raises(DefinitionError) as refused:
        RuleRegistry().load_entry_points()
    problems = refused.value.problems
    assert len(problems) == 3
    for name, value in [
        ("missing_attr", f"{PLUGIN}:does_not_exist"),
        ("missing_module", "no_such_module_for_changeflow:rule"),
        ("not_callable", f"{PLUGIN}:NOT_CALLABLE"),
    ]:
        assert any(f"entry point {name!r} ({value}) failed" in p for p in problems)


def test_broken_entry_point_registers_none_of_its_group(
    install_plugin: Callable[[str], None],
) -> None:
    """Loading is all or nothing: one broken entry point leaves the registry unchanged."""
    install_plugin(
        f"""
        [{ENTRY_POINT_GROUP}]
        fake_object = {PLUGIN}:always_ok
        missing_attr = {PLUGIN}:does_not_exist
        """
    )
    registry = RuleRegistry()
    with pytest.raises(DefinitionError):
        registry.load_entry_points()
    assert "fake_object" not in registry
