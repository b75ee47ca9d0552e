"""The json.dumps fast path of canonical() writes exactly what the reference rfc8785 writes."""

from hypothesis import given, settings
from hypothesis import strategies as st

from trace.ledger.jcs import canonical, reference_canonical

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1) | st.text(),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(), children, max_size=5),
    max_leaves=30,
)


@settings(max_examples=400)
@given(json_values)
def test_fast_path_equals_reference(value):
    assert canonical(value) == reference_canonical(value)


@given(st.dictionaries(st.text(alphabet=st.characters(min_codepoint=0xD7F0, max_codepoint=0x1F6FF,
                                                      exclude_categories=("Cs",))), st.integers(0, 9), max_size=6))
def test_keys_beyond_the_bmp_sort_by_utf16_code_units(value):
    assert canonical(value) == reference_canonical(value)


def test_floats_use_the_reference_and_big_integers_are_refused():
    import pytest

    from trace.ledger.errors import CanonicalizationError

    assert canonical({"a": 1.5, "b": [1e21, -0.0]}) == b'{"a":1.5,"b":[1e+21,0]}'
    with pytest.raises(CanonicalizationError):
        canonical({"b": 2**53})


@given(json_values)
def test_leaf_from_canonical_equals_leaf_bytes(value):
    from trace import ledger

    record = {"v": 1, "data": value}
    sigs = [ledger.signature_entry("ab" * 32, b"s" * 64)]
    assert ledger.leaf_from_canonical(canonical(record), sigs) == ledger.leaf_bytes(record, sigs)
