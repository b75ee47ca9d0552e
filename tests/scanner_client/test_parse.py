"""The scan parser: every form real scanners send, and properties over generated codes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scanner_client.codes import ALPHABET, Command, check_character, command_text
from scanner_client.parse import BAD_CHECK, NO_LOT, UNKNOWN, Item, ScanError, parse_scan

CODE = "SWD72885970ZS"  # a valid trace code
BAD = "SWD72885970Z0"  # its last character changed
GTIN = "06901234567892"
payloads = st.text(alphabet=ALPHABET, min_size=12, max_size=12)
endings = st.sampled_from(["", "\r", "\n", "\r\n", "\t", " "])
prefixes = st.sampled_from(["", "]Q1", "]Q0", "]d1"])


def code_of(payload: str) -> str:
    return payload + check_character(payload)


@pytest.mark.parametrize("raw", [
    CODE, CODE.lower(), f"{CODE}\r\n", f"{CODE}\t", f"]Q1{CODE}\r", "SWD7-2885-970ZS", f"https://trace.example.cn/t/{CODE}",
    f"https://trace.example.cn/T/{CODE}\n", f"]Q1HTTPS://TRACE.EXAMPLE.CN/T/{CODE}", f"http://127.0.0.1:5000/T/{CODE}/",
    f"https://trace.example.cn/t/{CODE.lower()}", "SWD72885970ZS ", "swd72885970zs\r\n",
])
def test_trace_codes_in_every_form(raw):
    assert parse_scan(raw) == Item(code=CODE)


@pytest.mark.parametrize("raw", [BAD, f"]Q1{BAD}\r\n", f"https://trace.example.cn/T/{BAD}", "SWD72885907ZS"])
def test_a_bad_check_character_is_its_own_error(raw):
    parsed = parse_scan(raw)
    assert isinstance(parsed, ScanError) and parsed.reason == BAD_CHECK


@pytest.mark.parametrize(("raw", "lot", "serial"), [
    (f"]C101{GTIN}10L8\x1d21ABC", "L8", "ABC"),  # GS1-128, GS as the byte 0x1D
    (f"]d201{GTIN}10L8\x1d21ABC\r\n", "L8", "ABC"),  # GS1 DataMatrix
    (f"]Q301{GTIN}10L8|21ABC", "L8", "ABC"),  # a wedge that types | for GS
    (f"01{GTIN}10L8|21ABC", "L8", "ABC"),
    (f"01{GTIN}10L8", "L8", None),
    (f"]e001{GTIN}10L8\x1d", "L8", None),  # a trailing GS: GS is not whitespace to strip, yet harmless
    (f"https://id.gs1.org/01/{GTIN}/10/L8", "L8", None),
    (f"]Q1https://trace.example.cn/01/{GTIN}/10/A%2FB/21/X1", "A/B", "X1"),
    (f"https://trace.example.cn/01/{GTIN}/10/L8/21/7?linkType=gs1:pip", "L8", "7"),
])
def test_gs1_element_strings_and_digital_link_uris(raw, lot, serial):
    assert parse_scan(raw) == Item(gtin=GTIN, lot=lot, serial=serial)


def test_the_gs_character_is_whitespace_to_python_but_not_to_the_parser():
    assert "\x1d".isspace()
    assert parse_scan(f"01{GTIN}10L8\x1d21ABC") != parse_scan(f"01{GTIN}10L821ABC")
    assert parse_scan(f"01{GTIN}10L821ABC") == Item(gtin=GTIN, lot="L821ABC")


@pytest.mark.parametrize("raw", [f"01{GTIN[:-1]}310L8", f"https://id.gs1.org/01/{GTIN[:-1]}3/10/L8", "6901234567893"])
def test_bad_gtin_check_digits(raw):
    parsed = parse_scan(raw)
    assert isinstance(parsed, ScanError) and parsed.reason == BAD_CHECK, parsed


@pytest.mark.parametrize("raw", ["6901234567892", f"01{GTIN}", f"https://id.gs1.org/01/{GTIN}"])
def test_a_product_barcode_names_no_batch(raw):
    parsed = parse_scan(raw)
    assert isinstance(parsed, ScanError) and parsed.reason == NO_LOT


@pytest.mark.parametrize("raw", ["", "\r\n", "]Q1", "hello", "SYCMD:MODE:FLY", "https://example.com/about", "\x1d"])
def test_unknown_input(raw):
    parsed = parse_scan(raw)
    assert isinstance(parsed, ScanError) and parsed.reason == UNKNOWN


@pytest.mark.parametrize(("raw", "command"), [
    ("SYCMD:MODE:RECEIVE", Command("mode", "receive")),
    ("]Q1sycmd:mode:ship\r\n", Command("mode", "ship")),
    ("SYCMD:ORG:12:%E5%B8%82%E5%9C%BA", Command("org", "12", "市场")),
    ("SYCMD:LOC:3", Command("location", "3")),
    ("SYCMD:QTY:25.50:kgm", Command("quantity", "25.5", uom="KGM")),
    ("SYCMD:CH:MARKET", Command("channel", "market")),
    ("SYCMD:CLEAR", Command("clear")),
])
def test_command_codes(raw, command):
    assert parse_scan(raw) == command


@pytest.mark.parametrize("raw", ["SYCMD:QTY:0:KGM", "SYCMD:QTY:-1:KGM", "SYCMD:QTY:1e3:KGM", "SYCMD:QTY:1:XXX",
                                 "SYCMD:ORG:0", "SYCMD:ORG:abc", "SYCMD:QTY:0.0000001:KGM"])
def test_bad_command_codes_record_nothing(raw):
    assert isinstance(parse_scan(raw), ScanError)


@given(payloads, prefixes, endings, st.booleans())
def test_any_valid_code_parses_whatever_the_wrapping(payload, prefix, ending, url):
    code = code_of(payload)
    raw = f"{prefix}https://t.example.cn/T/{code}{ending}" if url else f"{prefix}{code}{ending}"
    if payload.isdigit():  # 13 digits read as an EAN-13 first
        return
    assert parse_scan(raw) == Item(code=code)


@given(payloads, st.integers(min_value=0, max_value=12), st.sampled_from(ALPHABET))
def test_any_one_character_typo_is_caught(payload, where, char):
    code = code_of(payload)
    typo = code[:where] + char + code[where + 1:]
    if typo == code or payload.isdigit() or typo.isdigit():
        return
    parsed = parse_scan(typo)
    assert isinstance(parsed, ScanError) and parsed.reason == BAD_CHECK


@given(st.sampled_from(["receive", "store", "ship", "sell", "sample"]),
       st.integers(min_value=1, max_value=10**9), st.text(min_size=0, max_size=20))
def test_command_codes_round_trip(mode, ident, name):
    assert parse_scan(command_text(Command("mode", mode))) == Command("mode", mode)
    org = Command("org", str(ident), name)
    assert parse_scan(command_text(org)) == org


@given(st.text(max_size=60))
def test_the_parser_never_raises(text):
    assert isinstance(parse_scan(text), Item | ScanError | Command)
