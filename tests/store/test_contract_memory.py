"""The store and engine contracts, bound to the in-memory store.

The memory store keeps nothing across processes by design, so it does not take the
durable mixin (:class:`store.contract.DurableStoreContract`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from changeflow import MemoryStore
from store.contract import EngineContract, StoreContract

if TYPE_CHECKING:
    from collections.abc import Callable

    from changeflow.store import Store


class TestMemoryStore(StoreContract):
    """The store contract on :class:`~changeflow.MemoryStore`."""

    @pytest.fixture
    def make_store(self) -> Callable[[], Store]:
        """A fresh, empty memory store per call."""
        return MemoryStore


class TestMemoryEngine(EngineContract):
    """The engine contract on :class:`~changeflow.MemoryStore`."""

    @pytest.fixture
    def make_store(self) -> Callable[[], Store]:
        """A fresh, empty memory store per call."""
        return MemoryStore
