"""The json.dumps fast path of canonical() writes exactly what the reference rfc8785 writes."""

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.ledger.helpers import json_values
from trace.ledger.jcs import canonical, reference_canonical


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


@settings(max_examples=300)
@given(st.dictionaries(st.text(), json_values, max_size=6))
def test_parse_leaf_fast_reads_what_parse_leaf_reads(record):
    from trace.ledger import leaf_bytes, parse_leaf, parse_leaf_fast, signature_entry

    leaf = leaf_bytes(record, [signature_entry("ab" * 32, b"\x01" * 64)])
    assert parse_leaf_fast(leaf) == parse_leaf(leaf)


def test_parse_leaf_fast_refuses_what_parse_leaf_refuses():
    import pytest

    from trace.ledger import LeafFormatError, leaf_bytes, parse_leaf_fast, signature_entry

    sig = signature_entry("ab" * 32, b"\x01" * 64)
    good = leaf_bytes({"a": 1, "b": "x"}, [sig])
    spaced = good.replace(b'"a":1', b'"a": 1')
    duplicate = good.replace(b'"a":1', b'"a":1,"a":2')
    reordered = good.replace(b'{"a":1,"b":"x"}', b'{"b":"x","a":1}')
    floated = good.replace(b'"a":1', b'"a":1.0')
    astral = leaf_bytes({"\U0001f600": 1, "\uff61": 2}, [sig])
    assert parse_leaf_fast(astral)[0] == {"\U0001f600": 1, "\uff61": 2}  # JCS order, not Python's
    for bad in (spaced, duplicate, reordered, floated, b"not json", b'{"record":{},"signatures":[],"x":1}'):
        with pytest.raises(LeafFormatError):
            parse_leaf_fast(bad)
