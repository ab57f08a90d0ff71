"""The store and engine contracts (shipped in ``changeflow.testing``), bound to the memory store.

The memory store keeps nothing across processes by design, so it does not take the
durable contract (:class:`changeflow.testing.DurableStoreContract`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from changeflow import MemoryStore
from changeflow.testing import EngineContract, StoreContract

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
