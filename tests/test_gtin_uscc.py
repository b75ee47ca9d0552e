"""GTIN check digits and unified social credit codes (统一社会信用代码)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trace.codes.gtin import GtinError, gs1_check_digit, normalize_gtin
from trace.codes.uscc import ALPHABET as USCC_ALPHABET
from trace.codes.uscc import is_valid_uscc, uscc_check_character

# Published GTINs: EAN-13 (Stabilo pen, ISBN 978-0-306-40615-7, GS1 Poland example), UPC-A, GTIN-8, GTIN-14.
KNOWN_GTINS = {
    "4006381333931": "04006381333931",
    "9780306406157": "09780306406157",
    "5901234123457": "05901234123457",
    "036000291452": "00036000291452",
    "96385074": "00000096385074",
    "10614141000415": "10614141000415",
}
# Real codes of registered companies, and the example in GB 32100-2015.
KNOWN_USCC = ["91350100M000100Y43", "914403001922038216", "91330100716105852F", "9144030071526726XG",
              "91110000802100433B"]


@pytest.mark.parametrize(("gtin", "normalised"), KNOWN_GTINS.items())
def test_known_gtins_normalise_to_14_digits(gtin, normalised):
    assert normalize_gtin(gtin) == normalised
    assert normalize_gtin(f" {gtin} ") == normalised
    assert gs1_check_digit(gtin[:-1]) == int(gtin[-1])


@pytest.mark.parametrize(
    ("text", "message"),
    [("4006381333932", "check digit"), ("40063813339", "8, 12, 13 or 14"), ("400638133393123", "8, 12, 13 or 14"),
     ("", "digits only"), ("40063813339A1", "digits only"), ("4006381-333931", "digits only"),
     ("４００６３８１３３３９３１", "digits only"), ("+4006381333931", "digits only")],
    ids=["wrong-check-digit", "11-digits", "15-digits", "empty", "letter", "hyphen", "fullwidth-digits", "sign"],
)
def test_bad_gtins_are_rejected(text, message):
    with pytest.raises(GtinError, match=message):
        normalize_gtin(text)


@given(st.sampled_from([7, 11, 12, 13]).flatmap(lambda n: st.text(alphabet="0123456789", min_size=n, max_size=n)),
       st.data())
def test_every_single_digit_error_in_a_gtin_is_caught(body, data):
    gtin = body + str(gs1_check_digit(body))
    assert normalize_gtin(gtin) == gtin.zfill(14)
    i = data.draw(st.integers(min_value=0, max_value=len(gtin) - 1))
    wrong = data.draw(st.sampled_from([d for d in "0123456789" if d != gtin[i]]))
    with pytest.raises(GtinError):
        normalize_gtin(gtin[:i] + wrong + gtin[i + 1:])


@pytest.mark.parametrize("code", KNOWN_USCC)
def test_known_credit_codes_are_valid(code):
    assert is_valid_uscc(code)
    assert uscc_check_character(code[:17]) == code[17]


@pytest.mark.parametrize(
    "code",
    ["91350100M000100Y44", "91350100M000100Y4", "91350100M000100Y433", "91350100m000100Y43", "91350100O000100Y43",
     "91350100I000100Y43", "91350100Z000100Y43", "91350100S000100Y43", "91350100V000100Y43", "", "9135 0100M000100Y4"],
    ids=["wrong-check", "17-long", "19-long", "lowercase", "letter-O", "letter-I", "letter-Z", "letter-S", "letter-V",
         "empty", "space"],
)
def test_malformed_credit_codes_are_invalid(code):
    assert not is_valid_uscc(code)


@given(st.text(alphabet=USCC_ALPHABET, min_size=17, max_size=17), st.data())
def test_every_single_character_error_in_a_credit_code_is_caught(head, data):
    code = head + uscc_check_character(head)
    assert is_valid_uscc(code)
    i = data.draw(st.integers(min_value=0, max_value=17))
    wrong = data.draw(st.sampled_from([c for c in USCC_ALPHABET if c != code[i]]))
    assert not is_valid_uscc(code[:i] + wrong + code[i + 1:])
