"""Rule packs: shipped data, the registry, pinning per cohort, refusals citing the pack."""

from __future__ import annotations

import json
import pickle
import sys
import textwrap
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from pydantic import ValidationError

from changeflow import (
    AlreadyExists,
    ChangeflowError,
    Citation,
    Cohort,
    CohortParameters,
    Engine,
    InvalidInput,
    RulePack,
    RulePackRegistry,
    TransitionRejected,
    UnknownRulePack,
)
from changeflow.citations import PROBOLINGGO_2019_CITATIONS
from changeflow.clock import FixedClock
from changeflow.rules import ARTICLE, Rank, RuleContext, builtin_rules, shipped_packs
from changeflow.rules.judge import judge
from changeflow.rules.packs import PACK_ENTRY_POINT_GROUP
from changeflow.rules.record import FailGrounds
from changeflow.testing import CountingFacts
from factories import make_participant, office

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from changeflow.store import Store

NOW = datetime(2022, 3, 17, 8, 0, tzinfo=UTC)
SHIPPED = {"probolinggo-2019", "diklatpim-iii-2015", "pka-2022"}
CITED = set(builtin_rules()) | {"not_permitted"}


def everyone_organises(_actor: object, _member: object, /) -> frozenset[str]:
    """An authorizer giving every actor the staff roles, so these tests judge the pack alone."""
    return frozenset({"organiser", "coach", "examiner"})


def pack_engine(store: Store) -> Engine:
    """An engine on ``store`` whose actors may do anything (the permission rule is not tested)."""
    return Engine(store, clock=FixedClock(NOW), authorizer=everyone_organises)


def new_version(pack: RulePack, version: str, **changes: Any) -> RulePack:
    """``pack`` as another version, with ``changes`` to its data (validated as a file is)."""
    data = {**pack.model_dump(mode="json"), **changes, "version": version}
    data["parameters"] = {**data["parameters"], "rule_pack_version": version}
    return RulePack.from_json(json.dumps(data))


# -- the shipped packs ---------------------------------------------------------------------


def test_the_three_packs_ship_in_version_1() -> None:
    """probolinggo-2019, diklatpim-iii-2015 and pka-2022 load from the package's data."""
    assert {(p.id, p.version) for p in shipped_packs()} == {(i, "1") for i in SHIPPED}


def test_probolinggo_pack_is_todays_default_exactly() -> None:
    """probolinggo-2019 v1 is what a cohort gets without a pack: parameters and capacity."""
    pack = RulePackRegistry.default(entry_points=False).pack("probolinggo-2019")
    default = Cohort(code="X", name="X", start=date(2019, 4, 4), end=date(2019, 7, 19))
    assert pack.parameters == CohortParameters()
    assert pack.parameters.model_dump(mode="json") == CohortParameters().model_dump(mode="json")
    assert pack.capacity == default.capacity


@pytest.mark.parametrize("pack", sorted(SHIPPED))
def test_every_shipped_pack_cites_every_builtin_rule_and_permissions(pack: str) -> None:
    """Each pack cites every built-in rule by name, and ``not_permitted``."""
    found = RulePackRegistry.default(entry_points=False).pack(pack)
    assert set(found.citations) >= CITED


@pytest.mark.parametrize("pack", sorted(SHIPPED))
def test_every_shipped_pack_names_the_copies_it_read(pack: str) -> None:
    """Each pack lists at least one source, each saying what of it was read."""
    found = RulePackRegistry.default(entry_points=False).pack(pack)
    assert found.sources
    assert all(s.address and s.read for s in found.sources)


def test_packs_differ_where_their_regimes_do() -> None:
    """pka-2022 admits administrator posts only and seats 40; diklatpim-iii-2015 echelon III."""
    registry = RulePackRegistry.default(entry_points=False)
    pka, level_iii = registry.pack("pka-2022"), registry.pack("diklatpim-iii-2015")
    assert (pka.capacity, pka.parameters.eligible_ranks) == (40, frozenset({"administrator"}))
    assert level_iii.parameters.eligible_ranks == frozenset({"III.a", "III.b"})


def test_diklatpim_pack_says_the_article_cites_the_level_iv_regulation() -> None:
    """The level III pack names 19/2015 and records that 20/2015 is the level IV one."""
    pack = RulePackRegistry.default(entry_points=False).pack("diklatpim-iii-2015")
    assert "19/2015" in pack.title
    assert "20/2015 is the level IV regulation" in pack.regime


def test_the_rules_reference_lists_every_citation_of_every_pack() -> None:
    """docs/rules.md carries each shipped pack's every citation, word for word."""
    reference = (Path(__file__).resolve().parents[2] / "docs" / "rules.md").read_text("utf-8")
    for pack in shipped_packs():
        assert f"**`{pack.id}` v{pack.version}**" in reference
        for key, cited in pack.parameters.citations:
            assert f"| `{key}` | {cited.basis} | {cited.text} |" in reference


# -- citations -----------------------------------------------------------------------------


def test_a_law_citation_must_name_its_article() -> None:
    """``law`` without a Pasal is refused; with one it is accepted; practice needs none."""
    with pytest.raises(ValidationError, match="Pasal"):
        Citation(basis="law", text="Perlan LAN 5/2022")
    assert Citation(basis="law", text="Perlan LAN 5/2022 Pasal 12 ayat (1)").basis == "law"
    assert Citation(basis="practice", text="organiser's practice").basis == "practice"


def test_citations_compare_and_hash_whatever_order_they_come_in() -> None:
    """Citations given in any order make equal, hashable, picklable parameters."""
    cited = dict(PROBOLINGGO_2019_CITATIONS)
    reversed_order = dict(reversed(list(cited.items())))
    first, second = CohortParameters(citations=cited), CohortParameters(citations=reversed_order)
    assert first == second == CohortParameters()
    assert hash(first) == hash(second)
    assert pickle.loads(pickle.dumps(first)) == first  # noqa: S301 - our own bytes


def test_a_rule_is_cited_once() -> None:
    """Two citations under one key are refused."""
    practice = Citation(basis="practice", text="organiser's practice")
    with pytest.raises(ValidationError, match="cited once"):
        CohortParameters(citations=(("rank", practice), ("rank", practice)))


def test_a_cohort_stored_before_packs_loads_with_the_probolinggo_citations() -> None:
    """A stored cohort document without citations gets probolinggo-2019 v1's."""
    document = Cohort(code="OLD", name="Old", start=date(2019, 4, 4), end=date(2019, 7, 19))
    stored = document.model_dump(mode="json")
    del stored["parameters"]["citations"]
    loaded = Cohort.model_validate(stored, strict=False)
    assert loaded.parameters.citations == PROBOLINGGO_2019_CITATIONS
    assert loaded == document


# -- the registry --------------------------------------------------------------------------


def test_the_latest_version_is_the_default_and_compares_numerically() -> None:
    """Without a version the highest wins (10 above 9); a version asked for is returned."""
    base = RulePackRegistry.default(entry_points=False).pack("pka-2022")
    registry = RulePackRegistry([base, new_version(base, "9"), new_version(base, "10")])
    assert registry.pack("pka-2022").version == "10"
    assert registry.pack("pka-2022", "9").version == "9"
    assert registry.resolve("pka-2022@1") is base
    assert registry.versions("pka-2022") == ("1", "9", "10")


def test_an_unknown_pack_or_version_names_the_known_ones() -> None:
    """UnknownRulePack is a LookupError and a ChangeflowError listing id@version of each."""
    registry = RulePackRegistry.default(entry_points=False)
    with pytest.raises(UnknownRulePack) as unknown:
        registry.pack("pka-2030")
    assert isinstance(unknown.value, LookupError)
    assert isinstance(unknown.value, ChangeflowError)
    assert set(unknown.value.known) == {f"{p}@1" for p in SHIPPED}
    assert "pka-2022@1" in str(unknown.value)
    with pytest.raises(UnknownRulePack) as version:
        registry.pack("pka-2022", "2")
    assert (version.value.pack, version.value.version) == ("pka-2022", "2")


def test_a_changed_pack_needs_a_new_version() -> None:
    """Registering a taken id and version is refused unless replacing on purpose."""
    registry = RulePackRegistry.default(entry_points=False)
    pack = registry.pack("pka-2022")
    with pytest.raises(AlreadyExists):
        registry.register(pack)
    assert registry.register(pack, replace=True) is pack


def test_a_pack_s_parameters_carry_its_own_label() -> None:
    """Parameters labelled with another pack or version are refused."""
    data = RulePackRegistry.default(entry_points=False).pack("pka-2022").model_dump(mode="json")
    data["parameters"]["rule_pack"] = "probolinggo-2019"
    with pytest.raises(ValidationError, match="labelled probolinggo-2019"):
        RulePack.from_json(json.dumps(data))


def test_a_cohort_on_a_pack_takes_its_capacity_and_parameters() -> None:
    """RulePack.cohort builds the Cohort; capacity may be overridden, parameters may not."""
    pack = RulePackRegistry.default(entry_points=False).pack("pka-2022")
    dates = {"start": date(2022, 3, 17), "end": date(2022, 6, 30)}
    built = pack.cohort(code="PKA-1", name="PKA 1", organiser="LAN", **dates)
    assert (built.capacity, built.parameters, built.organiser) == (40, pack.parameters, "LAN")
    assert pack.cohort(code="PKA-2", name="PKA 2", capacity=35, **dates).capacity == 35
    with pytest.raises(InvalidInput):
        pack.cohort(code="PKA-3", name="PKA 3", parameters=CohortParameters(), **dates)


# -- entry points --------------------------------------------------------------------------

PLUGIN = "changeflow_fake_packs"
PLUGIN_SOURCE = textwrap.dedent(
    """
    import json
    from changeflow.rules.packs import RulePack, shipped_packs

    def _renamed(new_id):
        data = next(p for p in shipped_packs() if p.id == "pka-2022").model_dump(mode="json")
        data["id"] = new_id
        for key in ("rule_pack", "rule_pack_version"):
            data["parameters"].pop(key)
        return RulePack.from_json(json.dumps(data))

    regional = _renamed("pka-jatim-2024")

    def more():
        return [_renamed("pka-bali-2024")]

    not_a_pack = 42
    """
)


@pytest.fixture
def install_packs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[[str], None]]:
    """Install a real distribution declaring ``changeflow.rule_packs`` entry points."""

    def install(points: str) -> None:
        (tmp_path / f"{PLUGIN}.py").write_text(PLUGIN_SOURCE, encoding="utf-8")
        info = tmp_path / f"{PLUGIN}-0.1.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {PLUGIN}\nVersion: 0.1\n", encoding="utf-8"
        )
        (info / "entry_points.txt").write_text(textwrap.dedent(points), encoding="utf-8")
        monkeypatch.syspath_prepend(str(tmp_path))

    yield install
    sys.modules.pop(PLUGIN, None)


def test_installed_packs_are_discovered(install_packs: Callable[[str], None]) -> None:
    """An entry point naming a pack, or a callable returning packs, adds them to the default."""
    install_packs(
        f"""
        [{PACK_ENTRY_POINT_GROUP}]
        jatim = {PLUGIN}:regional
        bali = {PLUGIN}:more
        """
    )
    registry = RulePackRegistry.default()
    assert {"pka-jatim-2024", "pka-bali-2024"} <= {p.id for p in registry}
    assert {p.id for p in RulePackRegistry.default(entry_points=False)} == SHIPPED


def test_a_broken_pack_entry_point_registers_nothing(install_packs: Callable[[str], None]) -> None:
    """An entry point that is not a pack is reported, and the good one is not registered."""
    install_packs(
        f"""
        [{PACK_ENTRY_POINT_GROUP}]
        jatim = {PLUGIN}:regional
        broken = {PLUGIN}:not_a_pack
        """
    )
    registry = RulePackRegistry(shipped_packs())
    with pytest.raises(InvalidInput, match="'broken'"):
        registry.load_entry_points()
    assert "pka-jatim-2024" not in registry


# -- refusals cite the pack ----------------------------------------------------------------


def context(cohort: Cohort, **extra: Any) -> RuleContext:
    """A nomination of an echelon III.a official to ``cohort``."""
    defaults: dict[str, Any] = {"event": "enrol", "source": None, "target": "enrolled"}
    values = {**defaults, **extra}
    return RuleContext(
        cohort,
        make_participant(),
        values["event"],
        values["source"],
        values["target"],
        CountingFacts(),
        NOW,
        scores=extra.get("scores"),
        reason=extra.get("reason"),
    )


def test_judge_cites_the_pack_version_and_basis() -> None:
    """A refusal's source is ``<pack> v<version>: <citation>`` of the cohort's pack."""
    pack = RulePackRegistry.default(entry_points=False).pack("pka-2022")
    cohort = pack.cohort(code="PKA-1", name="PKA 1", start=date(2022, 3, 17), end=date(2022, 6, 30))
    violations, _ = judge([("rank", Rank())], context(cohort))
    assert violations[0].source == f"pka-2022 v1: {pack.citations['rank'].text}"


def test_judge_falls_back_to_the_rule_s_own_source() -> None:
    """A rule the cohort's pack does not cite keeps the source the rule gave it."""
    uncited = {k: v for k, v in PROBOLINGGO_2019_CITATIONS if k != "rank"}
    cohort = Cohort(
        code="X",
        name="X",
        start=date(2019, 4, 4),
        end=date(2019, 7, 19),
        parameters=CohortParameters(eligible_ranks=frozenset({"IV.a"}), citations=uncited),
    )
    violations, _ = judge([("rank", Rank())], context(cohort))
    assert violations[0].source == ARTICLE


def test_judge_cites_by_rule_name_before_the_violation_code() -> None:
    """fail_grounds' reason_required cites fail_grounds, not the reason_required rule."""
    cited = {
        "fail_grounds": Citation(basis="practice", text="grounds of a fail"),
        "reason_required": Citation(basis="practice", text="leaving needs a reason"),
    }
    cohort = Cohort(
        code="X",
        name="X",
        start=date(2019, 4, 4),
        end=date(2019, 7, 19),
        parameters=CohortParameters(citations=cited),
    )
    violations, _ = judge(
        [("fail_grounds", FailGrounds())],
        context(cohort, event="fail", source="seminar", target="not_passed"),
    )
    assert violations[0].code == "reason_required"
    assert violations[0].source == "probolinggo-2019 v1: grounds of a fail"


def test_an_accepted_command_carries_no_citation() -> None:
    """Judging that passes returns no violation (nothing is stamped)."""
    cohort = (
        RulePackRegistry.default(entry_points=False)
        .pack("diklatpim-iii-2015")
        .cohort(code="D-1", name="D 1", start=date(2016, 4, 4), end=date(2016, 7, 19))
    )
    assert judge([("rank", Rank())], context(cohort)) == ((), None)


# -- through the engine, on every store ----------------------------------------------------


def test_a_pka_cohort_is_judged_by_the_pka_pack(each_store: Store) -> None:
    """Ranks, capacity and citations of pka-2022 are the ones the engine applies."""
    engine = pack_engine(each_store)
    pack = RulePackRegistry.default(entry_points=False).pack("pka-2022")
    created = engine.create_cohort(
        pack.cohort(code="PKA-22", name="PKA 22", start=date(2022, 3, 17), end=date(2022, 6, 30)),
        actor="lan",
    )
    assert (created.capacity, created.parameters.rule_pack) == (40, "pka-2022")
    with pytest.raises(TransitionRejected) as refused:
        engine.enrol("PKA-22", make_participant(echelon="III.a"), actor="lan")
    assert refused.value.codes == ("rank",)
    assert refused.value.violations[0].source == f"pka-2022 v1: {pack.citations['rank'].text}"
    for number in range(31):  # a probolinggo cohort would refuse the 31st
        engine.enrol(
            "PKA-22", make_participant(echelon="administrator", office=office(number)), actor="lan"
        )
    assert engine.status("PKA-22").total == 31


def test_a_level_iii_cohort_refuses_the_administrator_post(each_store: Store) -> None:
    """diklatpim-iii-2015 admits echelon III only, citing its own pack."""
    engine = pack_engine(each_store)
    pack = RulePackRegistry.default(entry_points=False).pack("diklatpim-iii-2015")
    engine.create_cohort(
        pack.cohort(code="PIM-16", name="PIM 16", start=date(2016, 4, 4), end=date(2016, 7, 19)),
        actor="bpsdm",
    )
    with pytest.raises(TransitionRejected) as refused:
        engine.enrol("PIM-16", make_participant(echelon="administrator"), actor="bpsdm")
    assert refused.value.violations[0].source.startswith("diklatpim-iii-2015 v1: ")
    engine.enrol("PIM-16", make_participant(echelon="III.b"), actor="bpsdm")


def test_a_cohort_keeps_the_pack_version_it_was_created_with(each_store: Store) -> None:
    """After v2 ships with other figures, the stored cohort still runs and cites v1."""
    registry = RulePackRegistry.default(entry_points=False)
    first = registry.pack("pka-2022")
    engine = pack_engine(each_store)
    engine.create_cohort(
        first.cohort(code="PKA-V1", name="PKA v1", start=date(2022, 3, 17), end=date(2022, 6, 30)),
        actor="lan",
    )
    data = first.model_dump(mode="json")
    data["parameters"]["citations"]["rank"]["text"] = "organiser's practice, revised"
    data["parameters"]["eligible_ranks"] = ["III.a", "administrator"]
    registry.register(new_version(first, "2", parameters=data["parameters"]))
    assert registry.pack("pka-2022").version == "2"
    reopened = pack_engine(each_store)  # as a later process would open the same store
    assert reopened.cohort("PKA-V1").parameters == first.parameters
    with pytest.raises(TransitionRejected) as refused:
        reopened.enrol("PKA-V1", make_participant(echelon="III.a"), actor="lan")
    assert refused.value.violations[0].source == f"pka-2022 v1: {first.citations['rank'].text}"
    assert reopened.verify("PKA-V1")[0].ok


def test_a_default_cohort_cites_probolinggo_v1(each_store: Store) -> None:
    """A cohort created without a pack cites probolinggo-2019 v1 in its refusals."""
    engine = pack_engine(each_store)
    engine.create_cohort(
        Cohort(code="DEF", name="Def", start=date(2019, 4, 4), end=date(2019, 7, 19)), actor="bkd"
    )
    with pytest.raises(TransitionRejected) as refused:
        engine.enrol("DEF", make_participant(echelon="IV.a"), actor="bkd")
    assert refused.value.violations[0].source.startswith(
        "probolinggo-2019 v1: organiser's practice"
    )
