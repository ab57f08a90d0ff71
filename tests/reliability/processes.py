"""Child processes for the multi-process reliability checks.

A spawned (or forkserver) child imports its worker module before any initializer runs, so it
must find ``tests/`` and ``src/`` on ``PYTHONPATH`` from the start: :func:`child_path` puts
them there while children are started, and :func:`spawned_pool` starts a pool of workers that
share a start-line barrier.
"""

from __future__ import annotations

import multiprocessing
import os
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from multiprocessing.pool import Pool
    from multiprocessing.synchronize import Barrier

__all__ = ["child_path", "spawned_pool"]

_TESTS = Path(__file__).resolve().parents[1]
_SRC = _TESTS.parent / "src"


@contextmanager
def child_path() -> Iterator[None]:
    """Within the block, children started see ``tests/`` and ``src/`` on ``PYTHONPATH``."""
    previous = os.environ.get("PYTHONPATH")
    paths = [str(_TESTS), str(_SRC), previous or ""]
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)
    try:
        yield
    finally:
        if previous is None:
            del os.environ["PYTHONPATH"]
        else:
            os.environ["PYTHONPATH"] = previous


@contextmanager
def spawned_pool(
    size: int, initializer: Callable[[Barrier], Any]
) -> Iterator[tuple[Pool, Barrier]]:
    """``size`` spawned workers, each given the shared start-line barrier by ``initializer``."""
    context = multiprocessing.get_context("spawn")
    with child_path():
        barrier = context.Barrier(size)
        workers = context.Pool(size, initializer, (barrier,))
    try:
        yield workers, barrier
    finally:
        workers.terminate()
        workers.join()
