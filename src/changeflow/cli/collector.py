"""The cyclic garbage collector during a command's start-up.

Starting a command imports Typer, pydantic, SQLAlchemy and the command's modules: hundreds
of thousands of objects, none of them garbage, which the collector would walk again and
again while they load (a tenth of ``changeflow status``'s time, measured). :func:`main
<changeflow.cli.main>` pauses it; :func:`resume` runs it again once the command's database
is open, with everything loaded until then frozen out of its way (:func:`gc.freeze`), so
the command's own work is collected as usual. Code that runs the application in its own
process (tests, an embedding program) never pauses it: :func:`resume` then does nothing.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["paused", "resume"]

_state = {"paused": False, "frozen": False}


@contextmanager
def paused() -> Iterator[None]:
    """Pause the collector for a command's start-up (until :func:`resume`), then restore it.

    On the way out whatever :func:`resume` froze is unfrozen and the collector runs as it
    did before: a caller of :func:`changeflow.cli.main` in its own process keeps its own.
    """
    if not gc.isenabled():  # paused already: someone else's choice, left alone
        yield
        return
    gc.disable()
    _state["paused"] = True
    try:
        yield
    finally:
        if _state["frozen"]:
            gc.unfreeze()
        _state.update(paused=False, frozen=False)
        gc.enable()


def resume() -> None:
    """The start-up is over: freeze what it loaded, let the collector run again.

    Does nothing unless :func:`paused` paused the collector.
    """
    if _state["paused"]:
        gc.freeze()
        _state.update(paused=False, frozen=True)
        gc.enable()
