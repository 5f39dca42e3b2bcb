"""The fast indented JSON writer writes what json.dumps writes, character for character."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ketamine_kg.jsontext import dumps

_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text()
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text(max_size=4), inner, max_size=4)
    ),
    max_leaves=30,
)


@settings(max_examples=400, deadline=None)
@given(_VALUES, st.sampled_from([1, 2]), st.booleans())
def test_dumps_matches_the_standard_library(value: object, indent: int, sort_keys: bool) -> None:
    expected = json.dumps(value, indent=indent, ensure_ascii=False, sort_keys=sort_keys)
    assert dumps(value, indent, sort_keys=sort_keys) == expected


def test_values_it_does_not_know_go_to_the_standard_library() -> None:
    for value in ({1: "a"}, {"a": {2.5: None}}, [float("nan")]):
        assert dumps(value, 2) == json.dumps(value, indent=2, ensure_ascii=False)
    with pytest.raises(TypeError, match="not JSON serializable"):
        dumps({"a": object()}, 2)
