"""Canonical JSON: the fast path of canonical() writes exactly what the reference rfc8785 writes."""

import json
import struct
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from trace.ledger.errors import CanonicalizationError
from trace.ledger.jcs import canonical, matches_canonical, plain_canonical, reference_canonical, string_text

from .helpers import json_values

REPO = Path(__file__).resolve().parents[2]


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


# --- the fast path against rfc8785, over every kind of JSON value ---------------------------------

# Characters around the places where orderings and escapes change: controls, quote and
# backslash, DEL, Latin-1, CJK, the last character below the surrogates, private use and
# half-width forms above them (they sort after astral characters in UTF-16, before in code
# points), astral characters (surrogate pairs in UTF-16) and U+2028/U+2029.
TRICKY = ("\x00", "\x08", "\t", "\n", "\x0b", "\x0c", "\r", "\x1f", " ", '"', "\\", "/", "\x7f", "\x80",
          "\u00e9", "\u2028", "\u2029", "\u4e2d", "\u6eaf", "\ud7ff", "\ue000", "\ufb33", "\uff61", "\ufeff",
          "\uffff", "\U00010000", "\U0001f600", "\U0010ffff")
texts = st.text(st.sampled_from(TRICKY) | st.characters(exclude_categories=("Cs",)), max_size=8)
keys = texts | st.sampled_from(TRICKY)
integers = st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1) | st.sampled_from(
    [0, -1, 2**31, 2**32 + 1, 2**53 - 1, -(2**53) + 1, 2**53, -(2**53), 2**63, 2**64 + 7])
floats = st.floats(allow_nan=False, allow_infinity=False) | st.sampled_from(
    [0.0, -0.0, 1e21, 1e-7, 1e-6, 5e-324, -5e-324, 1.7976931348623157e308, 1e16, 2.0**53, 0.1, 100.0,
     123456789012345680000.0, 333333333.33333329, float("nan"), float("inf")])
any_json = st.recursive(
    st.none() | st.booleans() | integers | floats | texts,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=5),
    max_leaves=25,
)
plain_json = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1) | texts,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(st.characters(max_codepoint=0xD7FF), max_size=6), children, max_size=5),
    max_leaves=25,
)


def _reference(value: object) -> bytes | type[Exception]:
    try:
        return rfc8785.dumps(value)
    except Exception as exc:  # noqa: BLE001 - what rfc8785 refuses, whatever it raises
        return type(exc)


@settings(max_examples=600)
@given(any_json)
def test_canonical_writes_what_rfc8785_writes_or_refuses_what_it_refuses(value):
    expected = _reference(value)
    if isinstance(expected, bytes):
        assert canonical(value) == expected
    else:
        with pytest.raises(CanonicalizationError):
            canonical(value)


@settings(max_examples=600)
@given(any_json)
def test_the_fast_path_writes_rfc8785_bytes_or_steps_aside(value):
    fast = plain_canonical(value)
    if fast is not None:
        assert fast == rfc8785.dumps(value)
        assert matches_canonical(value, fast)


@settings(max_examples=300)
@given(plain_json)
def test_plain_values_take_the_fast_path(value):
    """Records, as the service writes them, never need the reference implementation."""
    fast = plain_canonical(value)
    assert fast is not None
    assert fast == rfc8785.dumps(value)


@settings(max_examples=300)
@given(st.dictionaries(keys, st.integers(0, 9), min_size=2, max_size=8))
def test_keys_sort_by_utf16_code_units(value):
    expected = rfc8785.dumps(value)
    assert canonical(value) == expected
    assert list(json.loads(expected)) == sorted(value, key=lambda k: k.encode("utf-16-be"))


@given(texts)
def test_string_text_is_the_canonical_string(text):
    assert string_text(text) == rfc8785.dumps(text).decode()


@given(st.text(st.characters(categories=("Cs",)), min_size=1, max_size=3), texts)
def test_lone_surrogates_are_refused_everywhere(surrogates, text):
    for value in (text + surrogates, [surrogates], {"k": surrogates}, {surrogates: 1}):
        assert plain_canonical(value) is None
        with pytest.raises(CanonicalizationError):
            canonical(value)
    with pytest.raises(CanonicalizationError):
        string_text(text + surrogates)


def test_cycles_and_deep_nesting_are_refused_or_written_as_rfc8785_does():
    cycle: list[object] = []
    cycle.append(cycle)
    with pytest.raises(CanonicalizationError):
        canonical(cycle)
    deep: object = "x"
    for _ in range(300):  # beyond orjson's 254 levels: the reference writes it
        deep = [deep]
    assert plain_canonical(deep) is None
    assert canonical(deep) == b"[" * 300 + b'"x"' + b"]" * 300


def test_subclasses_and_non_json_types_leave_the_fast_path():
    class Text(str):
        pass

    for value in ({"a": Text("x")}, [True, 1], {"a": 1.0}, (1, 2), {"a": Decimal("1")}):
        fast = plain_canonical(value)
        assert fast is None or fast == rfc8785.dumps(value)
    assert plain_canonical([True, 1]) == b"[true,1]"
    with pytest.raises(CanonicalizationError):
        canonical({"a": Decimal("1")})
    with pytest.raises(TypeError):
        string_text(1)  # type: ignore[arg-type]


def test_matches_canonical_is_exact():
    assert matches_canonical({"b": 1, "a": "x"}, b'{"a":"x","b":1}')
    assert not matches_canonical({"b": 1, "a": "x"}, b'{"b":1,"a":"x"}')
    # code point order is not JCS order: U+1F600 sorts before U+FF61 in UTF-16
    assert not matches_canonical({"\uff61": 2, "\U0001f600": 1}, '{"\uff61":2,"\U0001f600":1}'.encode())
    assert not matches_canonical({"a": 2**53}, b'{"a":9007199254740992}')  # rfc8785 refuses it
    assert not matches_canonical({"a": 1.5}, b'{"a":1.5}')  # floats: ask canonical()


# --- the examples of RFC 8785 ----------------------------------------------------------------------

# Appendix B: IEEE 754 bit patterns and their JCS text.
RFC8785_NUMBERS = [
    ("0000000000000000", "0"), ("8000000000000000", "0"), ("0000000000000001", "5e-324"),
    ("8000000000000001", "-5e-324"), ("7fefffffffffffff", "1.7976931348623157e+308"),
    ("ffefffffffffffff", "-1.7976931348623157e+308"), ("4340000000000000", "9007199254740992"),
    ("c340000000000000", "-9007199254740992"), ("4430000000000000", "295147905179352830000"),
    ("44b52d02c7e14af5", "9.999999999999997e+22"), ("44b52d02c7e14af6", "1e+23"),
    ("44b52d02c7e14af7", "1.0000000000000001e+23"), ("444b1ae4d6e2ef4e", "999999999999999700000"),
    ("444b1ae4d6e2ef4f", "999999999999999900000"), ("444b1ae4d6e2ef50", "1e+21"),
    ("3eb0c6f7a0b5ed8c", "9.999999999999997e-7"), ("3eb0c6f7a0b5ed8d", "0.000001"),
    ("41b3de4355555553", "333333333.3333332"), ("41b3de4355555554", "333333333.33333325"),
    ("41b3de4355555555", "333333333.3333333"), ("41b3de4355555556", "333333333.3333334"),
    ("41b3de4355555557", "333333333.33333343"), ("becbf647612f3696", "-0.0000033333333333333333"),
    ("43143ff3c1cb0959", "1424953923781206.2"),
]


@pytest.mark.parametrize(("bits", "text"), RFC8785_NUMBERS)
def test_rfc8785_appendix_b_numbers(bits, text):
    (number,) = struct.unpack(">d", bytes.fromhex(bits))
    assert canonical(number) == text.encode()
    assert canonical([number]) == f"[{text}]".encode()


@pytest.mark.parametrize("bits", ["7fffffffffffffff", "7ff0000000000000"])
def test_rfc8785_appendix_b_nan_and_infinity_are_refused(bits):
    (number,) = struct.unpack(">d", bytes.fromhex(bits))
    with pytest.raises(CanonicalizationError):
        canonical(number)


def test_rfc8785_section_3_2_2_sample():
    source = ('{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],'
              ' "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",'
              ' "literals": [null, true, false]}')
    expected = ('{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
                '"string":"\u20ac$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}')
    assert canonical(json.loads(source)) == expected.encode()


def test_the_ledger_canonicalizes_without_orjson():
    """The offline verifier needs only rfc8785: with orjson absent every value takes the reference path."""
    code = (
        "import sys\n"
        "sys.modules['orjson'] = None\n"
        "from trace.ledger.jcs import canonical, plain_canonical, string_text\n"
        "value = {'b': [1, 'x\\u2028', None, True], 'a': {'\\U0001f600': 1.5, '\\uff61': -0.0}}\n"
        "assert plain_canonical(value) is None and plain_canonical({'a': 1}) is None\n"
        "print(canonical(value).decode(), string_text('\\x01'))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60,
                            check=True)
    assert result.stdout == '{"a":{"\U0001f600":1.5,"\uff61":0},"b":[1,"x\u2028",null,true]} "\\u0001"\n'
