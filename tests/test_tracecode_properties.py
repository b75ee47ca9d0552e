"""Trace codes: every one-character typo and every adjacent swap is caught; typing variants normalise."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trace.codes.tracecode import (
    ALPHABET,
    LENGTH,
    PAYLOAD_LENGTH,
    TraceCodeError,
    check_character,
    is_trace_code,
    new_trace_code,
    normalize,
    parse_trace_code,
)

payloads = st.text(alphabet=ALPHABET, min_size=PAYLOAD_LENGTH, max_size=PAYLOAD_LENGTH)
codes = payloads.map(lambda p: p + check_character(p))


def reason(text: str) -> str:
    with pytest.raises(TraceCodeError) as caught:
        parse_trace_code(text)
    return caught.value.reason


@given(codes)
def test_a_generated_code_parses_to_itself(code):
    assert len(code) == LENGTH
    assert parse_trace_code(code) == code
    assert is_trace_code(code)


@given(codes)
def test_every_single_character_substitution_is_rejected(code):
    for i, original in enumerate(code):
        for other in ALPHABET:
            if other != original:
                typo = code[:i] + other + code[i + 1:]
                assert reason(typo) == "check", (code, typo)


@given(codes)
def test_every_adjacent_swap_is_rejected(code):
    for i in range(LENGTH - 1):
        if code[i] != code[i + 1]:
            swapped = code[:i] + code[i + 1] + code[i] + code[i + 2:]
            assert reason(swapped) == "check", (code, swapped)


@st.composite
def typed_variants(draw):
    """A code as a person might type it: any case, O for 0, I or L for 1, hyphens and spaces."""
    code = draw(codes)
    out = []
    for ch in code:
        if ch == "0":
            ch = draw(st.sampled_from("0Oo"))
        elif ch == "1":
            ch = draw(st.sampled_from("1IiLl"))
        elif ch.isalpha():
            ch = draw(st.sampled_from([ch, ch.lower()]))
        out.append(ch + draw(st.sampled_from(["", "", "-", " "])))
    return code, draw(st.sampled_from(["", " "])) + "".join(out)


@given(typed_variants())
def test_typing_variants_normalise_to_the_code(variant):
    code, typed = variant
    assert normalize(typed) == code
    assert parse_trace_code(typed) == code


@settings(max_examples=50)
@given(codes, st.integers(min_value=1, max_value=LENGTH - 1))
def test_too_short_is_a_length_error(code, cut):
    assert reason(code[:-cut]) == "length"


@settings(max_examples=50)
@given(codes, st.text(alphabet=ALPHABET, min_size=1, max_size=5))
def test_too_long_is_a_length_error(code, extra):
    assert reason(code + extra) == "length"


@given(codes, st.integers(min_value=0, max_value=LENGTH - 1), st.sampled_from("U*#.é中_!u"))
def test_characters_outside_crockford_base32_are_a_charset_error(code, i, bad):
    text = code[:i] + bad + code[i + 1:]
    with pytest.raises(TraceCodeError) as caught:
        parse_trace_code(text)
    assert caught.value.reason == "charset"
    assert bad.upper() in str(caught.value)


def test_empty_and_blank_inputs_are_length_errors():
    assert reason("") == "length"
    assert reason(" - - ") == "length"


def test_new_codes_are_valid_and_random():
    fresh = {new_trace_code() for _ in range(2000)}
    assert len(fresh) == 2000
    assert all(parse_trace_code(c) == c for c in fresh)
    # 12 random characters from 32 carry 60 bits; every position takes many values.
    for i in range(PAYLOAD_LENGTH):
        assert len({c[i] for c in fresh}) > 24
