"""The canonical JSON forms are ``json.dumps``'s text, byte for byte."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from changeflow.encoding import ascii_json, ordered_json, text_json

_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@given(_values)
def test_each_form_is_json_dumps_with_its_options(value: Any) -> None:
    """Sorted or not, ASCII or not: the same text ``json.dumps`` writes."""
    compact = (",", ":")
    assert ascii_json(value) == json.dumps(value, sort_keys=True, separators=compact)
    assert text_json(value) == json.dumps(
        value, sort_keys=True, ensure_ascii=False, separators=compact
    )
    assert ordered_json(value) == json.dumps(value, separators=compact)


@pytest.mark.parametrize("form", [ascii_json, text_json, ordered_json])
def test_a_value_json_cannot_hold_is_refused_as_json_refuses_it(form: Any) -> None:
    """A date (or any object) is a ``TypeError`` naming its type, nested or not."""
    with pytest.raises(TypeError, match="Object of type date is not JSON serializable"):
        form({"born": date(1975, 6, 1)})
    with pytest.raises(TypeError, match="Object of type object"):
        form(object())
