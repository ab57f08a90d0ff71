"""The extension point: a rule is any callable from :class:`RuleContext` to :class:`Verdict`.

A configurable rule is a small class with ``__call__`` and a useful ``__repr__``, in the
spirit of structlog's processors. Register rules by name in a
:class:`~changeflow.rules.registry.RuleRegistry`; the lifecycle definition attaches them to
events by that name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from changeflow.rules.context import RuleContext
    from changeflow.rules.verdict import Verdict

__all__ = ["Rule"]


@runtime_checkable
class Rule(Protocol):
    """Judges one attempted move; must not mutate anything and should be fast."""

    def __call__(self, context: RuleContext, /) -> Verdict:
        """Return ``OK`` or the violations found."""
        ...
