"""The one-line figures every reliability check prints (shown with ``pytest -s``)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["backend_of", "report"]


def report(check: str, backend: str, figures: Mapping[str, Any]) -> None:
    """Print ``[reliability] <check> on <backend>: k=v, ...`` on stderr."""
    shown = ", ".join(f"{k}={v}" for k, v in figures.items())
    print(f"\n[reliability] {check} on {backend}: {shown}", file=sys.stderr)


def backend_of(url: str) -> str:
    """The backend a database URL names: ``sqlite`` or ``postgresql``."""
    return url.split(":", 1)[0].split("+", 1)[0]
