"""The garbage collector is paused while a command starts, runs again once its database is open."""

from __future__ import annotations

import gc
import sys
from typing import TYPE_CHECKING, Any

import pytest

from changeflow import Engine
from changeflow.cli import collector, main, session

if TYPE_CHECKING:
    from cli.support import Cli


def _watched(monkeypatch: pytest.MonkeyPatch) -> list[tuple[bool, int]]:
    """Whether the collector runs, and how many objects are frozen, when status reads."""
    seen: list[tuple[bool, int]] = []
    read = Engine.status

    def watched(engine: Engine, *args: Any, **kwargs: Any) -> Any:
        seen.append((gc.isenabled(), gc.get_freeze_count()))
        return read(engine, *args, **kwargs)

    monkeypatch.setattr(Engine, "status", watched)
    return seen


def test_main_resumes_it_once_the_database_is_open_and_restores_it(
    cli: Cli, cohort: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Paused at start-up; the command's own work collected (start-up frozen); then as before."""
    seen = _watched(monkeypatch)
    opening: list[bool] = []
    open_engine = session.open_engine

    def watched_open(*args: Any, **kwargs: Any) -> Engine:
        opening.append(gc.isenabled())
        return open_engine(*args, **kwargs)

    monkeypatch.setattr(session, "open_engine", watched_open)
    monkeypatch.setattr(sys, "argv", ["changeflow", "--db", cli.url, "status", cohort])
    assert gc.isenabled()
    frozen = gc.get_freeze_count()
    with pytest.raises(SystemExit) as done:
        main()
    assert done.value.code == 0
    assert opening == [False]  # paused while the command started
    assert len(seen) == 1
    running, count = seen[0]
    assert running
    assert count > frozen  # what the start-up loaded is out of the collector's way
    assert gc.isenabled()
    assert gc.get_freeze_count() == frozen


def test_an_application_run_in_process_keeps_its_collector(
    cli: Cli, cohort: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without main (tests, an embedding program) nothing is paused or frozen."""
    seen = _watched(monkeypatch)
    frozen = gc.get_freeze_count()
    cli("status", cohort)
    assert seen == [(True, frozen)]
    collector.resume()  # not paused: does nothing
    assert gc.isenabled()
    assert gc.get_freeze_count() == frozen


def test_a_collector_paused_by_its_owner_stays_paused() -> None:
    """The start-up pause never turns on a collector someone else paused."""
    gc.disable()
    try:
        with collector.paused():
            collector.resume()
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()
