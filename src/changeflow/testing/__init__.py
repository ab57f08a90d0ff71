"""Testing aids: Hypothesis strategies for your own rules, and the store contract suite.

This package needs `Hypothesis <https://hypothesis.readthedocs.io>`_ and, for the contract
suite, pytest: both are part of the ``test`` extra (``pip install changeflow[test]``);
``import changeflow`` never imports this package, so applications do not depend on them.

**Strategies** (:mod:`changeflow.testing.strategies`). Every strategy produces values that
pass the models' validation, except :func:`malformed_nips`, whose strings must all be
refused. A rule is a callable from :class:`~changeflow.rules.RuleContext` to
:class:`~changeflow.rules.Verdict`, so it can be tested without an engine or a store:
:func:`rule_contexts` draws contexts for one event, with :class:`CountingFacts` standing in
for the store's counts.

>>> from datetime import date
>>> from hypothesis import given, settings
>>> from changeflow import Cohort
>>> from changeflow.rules import Rank, RetirementHorizon
>>> pka = Cohort(code="PKA-1", name="PKA angkatan I", start=date(2019, 4, 4), end=date(2019, 7, 19))
>>> @settings(max_examples=25, deadline=None)
... @given(rule_contexts(cohort=pka, participant=eligible_participants(pka)))
... def test_eligible_people_pass(context):
...     assert Rank()(context).ok and RetirementHorizon()(context).ok
>>> test_eligible_people_pass()

**The store contract** (:mod:`changeflow.testing.contract`): :class:`StoreContract`,
:class:`DurableStoreContract` and :class:`EngineContract` hold the tests every
:class:`~changeflow.store.base.Store` must pass; a backend of your own runs them by
subclassing them in a test module and providing the ``make_store`` fixture (see that
module). They are imported on first use, so the strategies alone do not need pytest.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from changeflow.testing.strategies import (
    RANKS,
    CountingFacts,
    change_projects,
    cohort_parameters,
    cohorts,
    counting_facts,
    eligible_participants,
    malformed_nips,
    nips,
    offices,
    participants,
    rule_contexts,
)

if TYPE_CHECKING:
    from changeflow.testing.contract import DurableStoreContract, EngineContract, StoreContract

__all__ = [
    "RANKS",
    "CountingFacts",
    "DurableStoreContract",
    "EngineContract",
    "StoreContract",
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

_CONTRACTS = frozenset({"DurableStoreContract", "EngineContract", "StoreContract"})


def __getattr__(name: str) -> Any:
    """The contract classes, imported (with pytest) when first asked for."""
    if name in _CONTRACTS:
        value = getattr(importlib.import_module("changeflow.testing.contract"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
