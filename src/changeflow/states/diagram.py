"""The lifecycle as a diagram: Mermaid (``stateDiagram-v2``) or Graphviz ``dot`` text.

Pure text from the definition; with ``counts`` each state is labelled with its headcount.
A reopening that returns to the state the participant left points at a pseudo-state
labelled "(the state left)".
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from changeflow.states.definition import PREVIOUS

if TYPE_CHECKING:
    from collections.abc import Mapping

    from changeflow.states.definition import LifecycleDefinition

__all__ = ["FORMATS", "render"]

FORMATS = ("mermaid", "dot")
"""The diagram formats :func:`render` knows."""

_PREVIOUS = "STATE_LEFT"  # upper case: no state of a definition can be named so
_PREVIOUS_LABEL = "(the state left)"


def _edges(definition: LifecycleDefinition) -> list[tuple[str, str, str]]:
    """(source, dest, label) per drawn edge; events from every active state are merged."""
    edges: dict[tuple[str, str], list[str]] = {}
    for spec in definition.transitions:
        dest = _PREVIOUS if spec.dest == PREVIOUS else spec.dest
        for source in definition.sources(spec):
            edges.setdefault((source, dest), []).append(spec.event)
    return [(s, d, " / ".join(events)) for (s, d), events in edges.items()]


def _returns(definition: LifecycleDefinition) -> bool:
    return any(spec.dest == PREVIOUS for spec in definition.transitions)


def _label(state: str, counts: Mapping[str, int] | None) -> str:
    return f"{state} ({counts.get(state, 0)})" if counts is not None else state


def render(
    definition: LifecycleDefinition,
    fmt: Literal["mermaid", "dot"] = "mermaid",
    *,
    counts: Mapping[str, int] | None = None,
) -> str:
    """The lifecycle as Mermaid or dot text, optionally with headcounts per state.

    >>> from changeflow.states.default import DEFAULT_LIFECYCLE
    >>> print(render(DEFAULT_LIFECYCLE).splitlines()[3])
        enrolled --> on_class: start_class
    """
    if fmt == "mermaid":
        return _mermaid(definition, counts)
    if fmt == "dot":
        return _dot(definition, counts)
    raise ValueError(f"unknown diagram format {fmt!r} (use {' or '.join(FORMATS)})")


def _mermaid(definition: LifecycleDefinition, counts: Mapping[str, int] | None) -> str:
    lines = ["stateDiagram-v2", f"    [*] --> {definition.initial}: enrol"]
    if _returns(definition):
        lines.append(f'    state "{_PREVIOUS_LABEL}" as {_PREVIOUS}')
    lines += [f"    {s} --> {d}: {label}" for s, d, label in _edges(definition)]
    if counts is not None:
        lines += [f"    {s} : {_label(s, counts)}" for s in definition.state_names]
    lines += [f"    {s} --> [*]" for s in definition.state_names if s in definition.final_states]
    return "\n".join(lines) + "\n"


def _dot(definition: LifecycleDefinition, counts: Mapping[str, int] | None) -> str:
    lines = [f'digraph "{definition.name}" {{', "    rankdir=LR;", "    start [shape=point];"]
    for state in definition.states:
        shape = "doublecircle" if state.final else "box"
        lines.append(f'    {state.name} [shape={shape}, label="{_label(state.name, counts)}"];')
    if _returns(definition):
        lines.append(f'    {_PREVIOUS} [shape=plaintext, label="{_PREVIOUS_LABEL}"];')
    lines.append(f'    start -> {definition.initial} [label="enrol"];')
    lines += [f'    {s} -> {d} [label="{label}"];' for s, d, label in _edges(definition)]
    lines.append("}")
    return "\n".join(lines) + "\n"
