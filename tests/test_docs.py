"""The README's and the docs' Python code blocks run, in order, as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)


def test_documents_have_code() -> None:
    """Every listed document is found and the README carries a Python example."""
    assert (ROOT / "README.md") in DOCUMENTS
    assert BLOCK.search((ROOT / "README.md").read_text(encoding="utf-8"))


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: p.name)
def test_code_blocks_run(document: Path) -> None:
    """Each document's blocks execute top to bottom in one namespace without error."""
    namespace: dict[str, object] = {"__name__": f"doc_{document.stem}"}
    for number, block in enumerate(BLOCK.findall(document.read_text(encoding="utf-8")), 1):
        code = compile(block, f"{document.name}[block {number}]", "exec")
        exec(code, namespace)  # noqa: S102 - running our own documentation is the point
