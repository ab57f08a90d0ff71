"""The board's fixtures: the course database, built once per session and copied per test."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from web.support import Board, build_course, open_board

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


@pytest.fixture(scope="session")
def course_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """The course database (see :mod:`web.support`) and its participants' NIPs."""
    path = tmp_path_factory.mktemp("course") / "course.db"
    nips = build_course(path)
    return path, nips


@pytest.fixture
def board(course_template: tuple[Path, list[str]], tmp_path: Path) -> Iterator[Board]:
    """The app on a fresh copy of the course, nobody signed in."""
    path, nips = course_template
    opened = open_board(path, tmp_path, nips)
    with opened.client:
        yield opened
    opened.engine.close()
