"""The number and text grammar: canonical form, bounds, refusals, exact JSON parsing."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trace.ledger.numbers import (
    GrammarError,
    canonical_decimal,
    check_text,
    is_canonical_decimal,
    loads_exact,
    parse_decimal,
)

# Values inside the grammar: up to 15 digits before the point and 9 after.
in_range = st.builds(
    lambda units, nanos, negative: (-1 if negative else 1) * (Decimal(units) + Decimal(nanos).scaleb(-9)),
    st.integers(0, 10**15 - 1), st.integers(0, 10**9 - 1), st.booleans(),
)


def spellings(number: Decimal) -> st.SearchStrategy:
    """Ways a client may write a value: plain with padding zeros, exponent notation, Decimal, int."""
    plain = format(number, "f")
    options = [
        st.just(plain),
        st.integers(1, 5).map(lambda z: plain + ("0" * z if "." in plain else "." + "0" * z)),
        st.integers(-6, 6).map(lambda k: f"{format(number.scaleb(-k), 'f')}{'E' if k % 2 else 'e'}{k}"),
        st.just(number),
    ]
    if number == number.to_integral_value():
        options.append(st.just(int(number)))
    return st.one_of(options)


@settings(max_examples=300)
@given(st.data(), in_range)
def test_canonical_form_preserves_the_value_and_is_idempotent(data, number):
    written = data.draw(spellings(number))
    assert Decimal(written) == number
    text = canonical_decimal(written)
    assert Decimal(text) == number
    assert canonical_decimal(text) == text and is_canonical_decimal(text)
    assert "e" not in text.lower() and not text.startswith("+")
    if "." in text:
        assert not text.endswith("0") and not text.endswith(".")
    assert text != "-0"
    assert parse_decimal(written) == number


@given(st.integers(1, 9), st.integers(0, 14))
def test_exponent_notation_inside_the_range_is_accepted(digit, power):
    assert canonical_decimal(f"{digit}E{power}") == str(digit * 10**power)
    assert canonical_decimal(f"{digit}e-{min(power, 9)}") == format(Decimal(digit).scaleb(-min(power, 9)), "f")


@pytest.mark.parametrize("value", [
    "999999999999999", "-999999999999999", "0.999999999", "999999999999999.999999999",
    10**15 - 1, Decimal("999999999999999.999999999"), "1.000000000000000000", "0E-50", "9.99999999999999E14",
])
def test_fifteen_and_nine_digits_are_accepted(value):
    assert Decimal(canonical_decimal(value)) == Decimal(value)


@pytest.mark.parametrize("value", [
    "1000000000000000", "-1000000000000000", "0.0000000001", "1.0000000001", 10**15, -(10**15),
    Decimal("1E15"), Decimal("1E-10"), "1E15", "1e-10", "1" * 70, "0." + "0" * 70 + "1",
])
def test_sixteen_or_ten_digits_are_refused(value):
    with pytest.raises(GrammarError):
        canonical_decimal(value)


@pytest.mark.parametrize("value", [
    "1_000", " 5", "5 ", "+5", ".5", "5.", "05", "0x10", "1e", "NaN", "Infinity", "-Infinity", "", "١٢",
    "1e50000000", Decimal("NaN"), Decimal("Infinity"), Decimal("1E+50000000"), 1.5, True, None, [],
])
def test_everything_else_is_refused(value):
    with pytest.raises(GrammarError):
        canonical_decimal(value)


@pytest.mark.parametrize("value, canonical", [
    ("1.50E1", "15"), (15, "15"), ("15.0", "15"), ("-0", "0"), ("-0.0E3", "0"), (Decimal("1.50E1"), "15"),
    ("1e-9", "0.000000001"), ("123.4560", "123.456"), (Decimal("-2.50"), "-2.5"),
])
def test_examples(value, canonical):
    assert canonical_decimal(value) == canonical


def test_json_numbers_are_exact_and_absurd_literals_are_refused_before_they_are_built():
    doc = loads_exact(b'{"a": 1.50E1, "b": 12, "c": [0.1]}')
    assert doc == {"a": Decimal("15.0"), "b": 12, "c": [Decimal("0.1")]}
    assert isinstance(doc["b"], int) and isinstance(doc["c"][0], Decimal)
    for literal in (b"1e50000000", b"-1E-50000000", b"1" * 5000, b"[" + b"9" * 65 + b"]"):
        with pytest.raises(GrammarError):
            loads_exact(literal)
    for not_json in (b"NaN", b"[Infinity]", b"{"):
        with pytest.raises(ValueError) as err:
            loads_exact(not_json)
        assert not isinstance(err.value, GrammarError)


def test_json_lone_surrogates_are_refused_and_pairs_kept():
    assert loads_exact(b'{"a": "\\ud83c\\udf75"}') == {"a": "\U0001f375"}
    assert loads_exact(b'{"a": "\\\\ud800"}') == {"a": "\\ud800"}  # an escaped backslash, not a surrogate
    for bad in (b'{"a": "x\\ud800"}', b'["\\udc00"]', b'{"\\ud800": 1}', b'{"a": [{"b": "\\ud83c"}]}'):
        with pytest.raises(GrammarError):
            loads_exact(bad)


control = st.sampled_from([c for c in map(chr, [*range(0x20), *range(0x7F, 0xA0)]) if c not in "\t\n"])
plain = st.text(st.characters(exclude_categories=("Cs", "Cc")), max_size=20)


@given(plain, plain)
def test_text_without_controls_is_returned_unchanged(before, after):
    value = before + "\t" + after + "\n"
    assert check_text(value, 100) is value


@given(plain, control, plain)
def test_control_characters_other_than_tab_and_newline_are_refused(before, bad, after):
    with pytest.raises(GrammarError):
        check_text(before + bad + after, 100)


@given(plain, st.integers(0xD800, 0xDFFF).map(chr))
def test_lone_surrogates_are_refused(before, surrogate):
    with pytest.raises(GrammarError):
        check_text(before + surrogate, 100)


def test_length_cr_and_multiline():
    assert check_text("库" * 10, 10) == "库" * 10
    with pytest.raises(GrammarError):
        check_text("库" * 11, 10)
    with pytest.raises(GrammarError):
        check_text("a\r\nb", 10)
    assert check_text("a\r\nb", 10, multiline=True) == "a\r\nb"
    for bad in ("a\x00", "a\x7f", "a\x85", "a\x0b"):
        with pytest.raises(GrammarError):
            check_text(bad, 10, multiline=True)
    with pytest.raises(GrammarError):
        check_text(5, 10)
