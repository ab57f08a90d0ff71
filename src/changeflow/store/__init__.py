"""Storage backends behind one interface (:class:`~changeflow.store.base.Store`)."""

from changeflow.store.base import Remembered, Store, Unit
from changeflow.store.memory import MemoryStore

__all__ = ["MemoryStore", "Remembered", "Store", "Unit"]
