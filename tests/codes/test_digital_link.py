"""GS1 Digital Link URIs: building, parsing, errors, percent-encoding round trips."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from biip.gs1_digital_link_uris import GS1DigitalLinkURI
from hypothesis import given
from hypothesis import strategies as st

from trace.codes.digital_link import (
    AI_VALUE,
    CHECK_DIGIT,
    MALFORMED,
    DigitalLinkError,
    DigitalLinkPath,
    digital_link_url,
    parse_digital_link_path,
)
from trace.codes.gtin import gs1_check_digit

GTIN = "06901234567892"
CSET82 = "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ("https://trace.example.cn", "6901234567892", "2024-09-A"),
            "https://trace.example.cn/01/06901234567892/10/2024-09-A",
        ),
        (
            ("https://id.gs1.org", "09521234543213", "ABC123", "12345"),  # GS1's own example
            "https://id.gs1.org/01/09521234543213/10/ABC123/21/12345",
        ),
        (
            ("https://example.cn/dl/", "96385074", "A/B+C", "x_y.z"),  # GTIN-8, path prefix, reserved chars
            "https://example.cn/dl/01/00000096385074/10/A%2FB%2BC/21/x_y.z",
        ),
        (
            ("https://trace.example.cn", "614141123452", "1%", "\"!&'()*,:;<=>?"),
            "https://trace.example.cn/01/00614141123452/10/1%25/21/%22%21%26%27%28%29%2A%2C%3A%3B%3C%3D%3E%3F",
        ),
    ],
)
def test_digital_link_url(args: tuple[str, ...], expected: str) -> None:
    assert digital_link_url(*args) == expected
    path = urlsplit(expected).path.removeprefix("/dl")
    key = parse_digital_link_path(path)
    assert (key.gtin, key.lot, key.serial) == (args[1].zfill(14), args[2], args[3] if len(args) == 4 else None)
    assert key.path == path


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (f"/01/{GTIN}/10/LOT1", DigitalLinkPath(GTIN, "LOT1")),
        (f"/01/{GTIN}/10/LOT1/21/ABC", DigitalLinkPath(GTIN, "LOT1", "ABC")),
        (f"/01/{GTIN}/10/a%2fb/21/%21x", DigitalLinkPath(GTIN, "a/b", "!x")),  # lower-case escapes
        (f"/01/{GTIN}/10/a!b(c)", DigitalLinkPath(GTIN, "a!b(c)")),  # sub-delims left unencoded
    ],
)
def test_parse_valid_paths(path: str, expected: DigitalLinkPath) -> None:
    assert parse_digital_link_path(path) == expected


def test_canonical_path_encodes_what_parsing_accepted_raw() -> None:
    assert parse_digital_link_path(f"/01/{GTIN}/10/a!b").path == f"/01/{GTIN}/10/a%21b"


@pytest.mark.parametrize("path", [f"/01/{GTIN[:-1]}3/10/A", "/01/09521234543214/10/A/21/B"])
def test_bad_check_digit(path: str) -> None:
    with pytest.raises(DigitalLinkError) as caught:
        parse_digital_link_path(path)
    assert (caught.value.reason, caught.value.ai) == (CHECK_DIGIT, "01")


def test_bad_check_digit_when_building() -> None:
    with pytest.raises(DigitalLinkError) as caught:
        digital_link_url("https://trace.example.cn", "6901234567893", "A")
    assert caught.value.reason == CHECK_DIGIT


@pytest.mark.parametrize(
    "path",
    [
        "",
        "/",
        f"/01/{GTIN}",
        f"/01/{GTIN}/10",
        f"01/{GTIN}/10/A",
        f"/01/{GTIN}/10/A/",
        f"/01/{GTIN}/21/S",
        f"/01/{GTIN}/21/S/10/A",
        f"/01/{GTIN}/10/A/22/V",
        f"/gtin/{GTIN}/lot/A",
        f"/00/{GTIN}/10/A",
        f"/01/{GTIN}/10/A/21/S/x",
        f"/01/{GTIN}/10/A?linkType=all",
        f"/01/{GTIN}/10/A#x",
        f"/01/{GTIN}/10/A%2",
        f"/01/{GTIN}/10/A%zz",
        f"/prefix/01/{GTIN}/10/A",
    ],
)
def test_malformed_paths(path: str) -> None:
    with pytest.raises(DigitalLinkError) as caught:
        parse_digital_link_path(path)
    assert caught.value.reason == MALFORMED


@pytest.mark.parametrize(
    ("path", "ai"),
    [
        ("/01/6901234567892/10/A", "01"),  # a GTIN-13 in the path: the syntax wants 14 digits
        ("/01/0690123456789X/10/A", "01"),
        ("/01/０６９０１２３４５６７８９２/10/A", "01"),  # full-width digits
        (f"/01/{GTIN}/10/{'A' * 21}", "10"),
        (f"/01/{GTIN}/10/A/21/{'9' * 21}", "21"),
        (f"/01/{GTIN}/10//21/S", "10"),
        (f"/01/{GTIN}/10/A/21/", "21"),
        (f"/01/{GTIN}/10/A%20B", "10"),  # space
        (f"/01/{GTIN}/10/%E6%89%B9%E6%AC%A1", "10"),  # 批次: not character set 82
        (f"/01/{GTIN}/10/A%23", "10"),  # '#'
        (f"/01/{GTIN}/10/A~", "10"),
        (f"/01/{GTIN}/10/A/21/%FF", "21"),  # not UTF-8
    ],
)
def test_bad_ai_values(path: str, ai: str) -> None:
    with pytest.raises(DigitalLinkError) as caught:
        parse_digital_link_path(path)
    assert (caught.value.reason, caught.value.ai) == (AI_VALUE, ai)


@pytest.mark.parametrize(
    ("gtin", "lot", "serial"),
    [
        ("690123456789", "A", None),
        ("06901234567892", "", None),
        (GTIN, "A" * 21, None),
        (GTIN, "A", "批"),
        (GTIN, "a b", None),
        ("0690123456789", "A", None),
    ],
)
def test_bad_values_are_refused_when_building(gtin: str, lot: str, serial: str | None) -> None:
    with pytest.raises(DigitalLinkError) as caught:
        digital_link_url("https://trace.example.cn", gtin, lot, serial)
    assert caught.value.reason in (AI_VALUE, CHECK_DIGIT)


@pytest.mark.parametrize("base", ["trace.example.cn", "ftp://x.cn", "https://x.cn/?q=1", "https://x.cn/#f"])
def test_bad_base_url(base: str) -> None:
    with pytest.raises(DigitalLinkError) as caught:
        digital_link_url(base, GTIN, "A")
    assert caught.value.reason == MALFORMED


gtins = st.text("0123456789", min_size=13, max_size=13).map(lambda d: d + str(gs1_check_digit(d)))
values = st.text(CSET82, min_size=1, max_size=20)


@given(gtins, values, st.none() | values)
def test_round_trip(gtin: str, lot: str, serial: str | None) -> None:
    url = digital_link_url("https://trace.example.cn/", gtin, lot, serial)
    path = urlsplit(url).path
    assert set(path) <= set("/%0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-._")
    parsed = parse_digital_link_path(path)
    assert parsed == DigitalLinkPath(gtin, lot, serial)
    assert parsed.path == path
    # an independent reader of GS1 Digital Link, biip, finds the same values
    found = {es.ai.ai: es.value for es in GS1DigitalLinkURI.parse(url).element_strings}
    assert found == {"01": gtin, "10": lot} | ({"21": serial} if serial is not None else {})


@given(gtins, values, st.data())
def test_any_mix_of_escaped_and_literal_characters_parses(gtin: str, lot: str, data: st.DataObject) -> None:
    parts = []
    for char in lot:
        forms = [f"%{ord(char):02X}", f"%{ord(char):02x}"]
        if char not in '/%?#"<>':  # the rest may stand unescaped in a path segment
            forms.append(char)
        parts.append(data.draw(st.sampled_from(forms)))
    assert parse_digital_link_path(f"/01/{gtin}/10/{''.join(parts)}").lot == lot
