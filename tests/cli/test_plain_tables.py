"""Piped tables are drawn without Rich's console, exactly as Rich draws them."""

from __future__ import annotations

import io

import pytest
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from changeflow.cli import render

TABLES = [
    (("nip", "name", "state"), [("197503152000031004", "Budi Santoso", "enrolled")]),
    (("state", "count"), []),
    (("a", "b", "c"), [("", "", ""), ("x", "", "zz")]),
    (("name", "office"), [("漢字 name", "Dinas"), ("e\u0301 combining", "ｱ"), ("😀", "ß")]),
    (("long", "short"), [("x" * 187, "y" * 10)]),
]
"""Tables Rich draws without folding: plain ASCII, empty, empty cells, wide and zero-width
characters, and one exactly as wide as a piped table may be (200 columns)."""


def _rich(columns: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    drawn = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    for column in columns:
        drawn.add_column(column, overflow="fold")
    for row in rows:
        drawn.add_row(*(Text(cell) for cell in row))
    buffer = io.StringIO()
    Console(file=buffer, width=render._PIPED_WIDTH, highlight=False, color_system=None).print(drawn)
    return "\n".join(line.rstrip() for line in buffer.getvalue().splitlines())


@pytest.mark.parametrize(("columns", "rows"), TABLES)
def test_plain_table_is_what_rich_draws(
    columns: tuple[str, ...], rows: list[tuple[str, ...]]
) -> None:
    """The plain drawing of a piped table is byte for byte Rich's."""
    assert render._plain_table(columns, rows) == _rich(columns, rows)


def test_a_table_rich_must_fold_is_left_to_rich() -> None:
    """Wider than a piped table may be, or a short row: Rich draws it (no plain drawing)."""
    assert render._plain_table(("long", "short"), [("x" * 188, "y" * 10)]) is None
    assert render._plain_table(("a", "b"), [("x",)]) is None
