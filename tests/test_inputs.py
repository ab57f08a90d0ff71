"""Free-text command arguments (actor, reason, key): one line, no control or bidi characters."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from changeflow import Command, InvalidInput
from changeflow.inputs import check_text
from factories import make_participant

if TYPE_CHECKING:
    from changeflow import Cohort, Engine

FORGED = (
    ("BKD\nforged line", "U+000A LINE FEED at 3"),
    ("BKD\r\nforged", "U+000D CARRIAGE RETURN at 3"),
    ("BKD\x1bforged", "U+001B ESCAPE at 3"),
    ("BKD\u2028forged", "U+2028 LINE SEPARATOR at 3"),
    ("BKD\x85forged", "U+0085 NEXT LINE at 3"),
    ("BKD\u202eevil", "U+202E RIGHT-TO-LEFT OVERRIDE at 3"),
    ("BKD\u2067evil", "U+2067 RIGHT-TO-LEFT ISOLATE at 3"),
    ("BKD\u200fx", "U+200F RIGHT-TO-LEFT MARK at 3"),
    ("BKD\u061cx", "U+061C ARABIC LETTER MARK at 3"),
    ("BKD\tx", "U+0009 CHARACTER TABULATION at 3"),
)
"""Single-line text with a control, line-break or bidi character, and how it is named."""


@pytest.mark.parametrize("field", ["actor", "key"])
@pytest.mark.parametrize(("value", "named"), FORGED)
def test_single_line_arguments_refuse_controls_and_bidi(field: str, value: str, named: str) -> None:
    """Actor and key refuse line breaks, controls and bidi characters, naming the code point."""
    with pytest.raises(InvalidInput) as caught:
        Command(**{field: value})
    assert caught.value.field == field
    assert str(caught.value).startswith(f"{field}: must not contain {named}")
    assert value[3] not in str(caught.value)


@pytest.mark.parametrize(("value", "named"), [f for f in FORGED if not f[0].startswith("BKD\n")])
def test_a_reason_refuses_every_control_but_a_line_feed(value: str, named: str) -> None:
    """A reason refuses bidi characters and controls other than a plain line feed."""
    with pytest.raises(InvalidInput) as caught:
        check_text("reason", value, multiline=True)
    assert caught.value.field == "reason"
    assert named in str(caught.value)


def test_a_reason_may_span_lines() -> None:
    """A reason keeps its line feeds (renderers escape them)."""
    assert Command(reason="sakit\nsurat dokter terlampir").reason == "sakit\nsurat dokter terlampir"


@pytest.mark.parametrize("value", ["O'Brien", "名前", "اسم", "\U0001f600", "a\u200cb", "\ufeff"])
def test_unusual_but_legal_text_is_kept(value: str) -> None:
    """Quotes, non-Latin scripts, emoji, joiners and a byte-order mark stay legal."""
    command = Command(actor=value, reason=value, key=value)
    assert (command.actor, command.reason, command.key) == (value, value, value)


def test_the_engine_refuses_a_forged_actor_before_writing(engine: Engine, cohort: Cohort) -> None:
    """A forged actor is InvalidInput from the engine, and nothing is enrolled or audited."""
    person = make_participant()
    before = len(engine.history(cohort=cohort.code))
    with pytest.raises(InvalidInput) as caught:
        engine.enrol(cohort.code, person, actor="BKD\nforged line")
    assert caught.value.field == "actor"
    with pytest.raises(InvalidInput) as caught:
        engine.enrol(cohort.code, person, reason="nominated \u202eevil")
    assert caught.value.field == "reason"
    assert len(engine.history(cohort=cohort.code)) == before
    assert engine.participants(cohort.code) == []
