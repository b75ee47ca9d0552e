"""QR PNG/SVG output, QR-friendly lookup URLs: every symbol is decoded with zxing-cpp."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from tests.codes.helpers import decode, png_image, svg_image
from trace.codes.digital_link import digital_link_url
from trace.codes.qr import QUIET_ZONE, QrError, lookup_url, qr_friendly_url, qr_png, qr_svg, qr_symbol
from trace.codes.tracecode import ALPHABET, PAYLOAD_LENGTH, TraceCodeError, check_character

CODE = "ABCDEFGHJKMNQ"  # a valid trace code: 12 payload characters and its check character
TEXTS = [
    "HTTPS://TRACE.EXAMPLE.CN/T/ABCDEFGHJKMNQ",
    "https://trace.example.cn/t/abcdefghjkmnq",
    "HTTPS://TRACE.EXAMPLE.CN/01/06901234567892/10/LOT%2F7/21/S%21",
    "溯源 五常大米 ℃",
    "x" * 400,  # version 12 or so
]


def test_trace_code_fixture_is_valid() -> None:
    assert lookup_url("https://trace.example.cn", CODE).endswith(CODE)


@pytest.mark.parametrize("text", TEXTS)
def test_png_decodes_to_the_text(text: str) -> None:
    (found,) = decode(png_image(qr_png(text)))
    assert found.text == text
    assert found.ec_level == "M"
    assert found.version == qr_symbol(text).version


@pytest.mark.parametrize("text", TEXTS)
def test_svg_decodes_to_the_text(text: str) -> None:
    (found,) = decode(svg_image(qr_svg(text)))
    assert found.text == text


def test_error_correction_q_on_request() -> None:
    text = TEXTS[0]
    (found,) = decode(png_image(qr_png(text, error_correction="Q")))
    assert (found.text, found.ec_level) == (text, "Q")
    (found,) = decode(svg_image(qr_svg(text, error_correction="Q")))
    assert found.ec_level == "Q"


def test_unknown_error_correction_is_refused() -> None:
    with pytest.raises(QrError):
        qr_png("x", error_correction="H")  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["", "x" * 2332])
def test_empty_or_too_long_text_is_refused(text: str) -> None:
    with pytest.raises(QrError):
        qr_png(text)


def test_png_has_the_quiet_zone_and_box_size() -> None:
    text = TEXTS[0]
    image = png_image(qr_png(text, box_size=3, border=4))
    size = qr_symbol(text).size
    assert image.size == ((size + 8) * 3, (size + 8) * 3)
    ring = 4 * 3
    pixels = image.convert("L").load()
    for i in range(image.width):
        for j in list(range(ring)) + list(range(image.height - ring, image.height)):
            assert pixels[i, j] == 255 and pixels[j, i] == 255


def test_svg_is_one_path_on_white_in_mm() -> None:
    svg = qr_svg(TEXTS[0])
    size = qr_symbol(TEXTS[0]).size + 8
    assert svg.startswith(f'<svg width="{size}mm" height="{size}mm"')
    assert svg.count("<path") == 1 and 'fill="white"' in svg


@pytest.mark.parametrize(
    ("public_url", "expected"),
    [
        ("https://trace.example.cn", f"HTTPS://TRACE.EXAMPLE.CN/T/{CODE}"),
        ("https://trace.example.cn/", f"HTTPS://TRACE.EXAMPLE.CN/T/{CODE}"),
        ("https://Trace.Example.cn:8443", f"HTTPS://TRACE.EXAMPLE.CN:8443/T/{CODE}"),
        ("https://example.cn/Suyuan", f"HTTPS://EXAMPLE.CN/Suyuan/T/{CODE}"),
        ("http://localhost:5000/", f"HTTP://LOCALHOST:5000/T/{CODE}"),
    ],
)
def test_lookup_url(public_url: str, expected: str) -> None:
    assert lookup_url(public_url, CODE) == expected


def test_lookup_url_normalises_a_typed_code() -> None:
    typed = "abcd-efgh-jkmn-q"  # lower case, dashes
    assert lookup_url("https://trace.example.cn", typed) == f"HTTPS://TRACE.EXAMPLE.CN/T/{CODE}"


@pytest.mark.parametrize("code", ["ABCDEFGHJKMN1", "ABCDEFGHJKMN", "ABCDEFGHJKMNU"])
def test_lookup_url_refuses_bad_codes(code: str) -> None:
    with pytest.raises(TraceCodeError):
        lookup_url("https://trace.example.cn", code)


@pytest.mark.parametrize("public_url", ["trace.example.cn", "ftp://trace.example.cn", "https://t.cn/?a=1"])
def test_lookup_url_refuses_bad_public_urls(public_url: str) -> None:
    with pytest.raises(QrError):
        lookup_url(public_url, CODE)


def test_lookup_url_is_one_alphanumeric_segment_in_a_small_symbol() -> None:
    url = lookup_url("https://trace.example.cn", CODE)
    symbol = qr_symbol(url)
    assert symbol.modes == ("alphanumeric",)
    assert symbol.version <= 3
    (found,) = decode(png_image(qr_png(url)))
    assert (found.text, found.version) == (url, symbol.version)


def test_uppercase_saves_a_version_at_q() -> None:
    url = lookup_url("https://trace.example.cn", CODE)
    lower = url.lower()
    assert qr_symbol(lower, "Q").modes == ("byte",)
    assert qr_symbol(url, "Q").version == 3
    assert qr_symbol(lower, "Q").version == 4


def test_qr_friendly_url_keeps_what_is_case_sensitive() -> None:
    url = "https://User:Pw@Trace.Example.cn:8443/Path/01/x?Q=a#Frag"
    assert qr_friendly_url(url) == "HTTPS://User:Pw@TRACE.EXAMPLE.CN:8443/Path/01/x?Q=a#Frag"
    assert qr_friendly_url("https://溯源.cn/t/x") == "HTTPS://溯源.cn/t/x"
    with pytest.raises(QrError):
        qr_friendly_url("/t/ABC")


def test_digital_link_urls_made_friendly_stay_alphanumeric() -> None:
    url = qr_friendly_url(digital_link_url("https://trace.example.cn", "6901234567892", "2024-09-A", CODE))
    assert qr_symbol(url).modes == ("alphanumeric",)
    (found,) = decode(png_image(qr_png(url)))
    assert found.text == url


@settings(max_examples=25, deadline=None)
@given(
    st.text(ALPHABET, min_size=PAYLOAD_LENGTH, max_size=PAYLOAD_LENGTH).map(lambda p: p + check_character(p)),
    st.sampled_from(["M", "Q"]),
)
def test_any_lookup_url_round_trips(code: str, level: str) -> None:
    url = lookup_url("https://trace.example.cn", code)
    (found,) = decode(png_image(qr_png(url, box_size=4, error_correction=level)))  # type: ignore[arg-type]
    assert (found.text, found.ec_level) == (url, level)


@settings(max_examples=40, deadline=None)
@given(
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=120)
    | st.sampled_from(["松阳银猴茶 一级", "猕猴桃 TEA-2026-001", "承诺达标合格证", "中文"]),
    st.sampled_from(["M", "Q"]),
)
def test_symbol_modules_decode_to_the_text_at_the_level_asked(text: str, level: str) -> None:
    """The module matrix the PDFs draw, dark on light with the quiet zone, is the writer's symbol.

    ASCII text (what lookup URLs are) generated, and a few fixed CJK texts: the writer puts CJK
    as Shift JIS and upper ISO-8859-1 (é, ¡) as single bytes, both with no ECI, and zxing-cpp's
    reader guesses the charset of unmarked bytes, wrongly for some short mixes ("0乕" reads as
    ISO-8859-1 "0åh", "¡" as Shift JIS "｡"), so generated CJK would test the reader's guess.
    """
    symbol = qr_symbol(text, level)  # type: ignore[arg-type]
    side = symbol.size + 2 * QUIET_ZONE
    image = Image.new("L", (side, side), 255)
    image.putdata([0 if dark else 255 for row in _with_quiet_zone(symbol.modules) for dark in row])
    (found,) = decode(image.resize((side * 4, side * 4), Image.Resampling.NEAREST))
    assert (found.text, found.ec_level, found.version) == (text, level, symbol.version)
    assert symbol.size == 17 + 4 * symbol.version


def _with_quiet_zone(modules: tuple[tuple[bool, ...], ...]) -> list[tuple[bool, ...]]:
    light = (False,) * (len(modules) + 2 * QUIET_ZONE)
    pad = (False,) * QUIET_ZONE
    return [light] * QUIET_ZONE + [pad + row + pad for row in modules] + [light] * QUIET_ZONE


@pytest.mark.parametrize(("text", "mode"), [("0123456789", "numeric"), ("HTTPS://T.CN/T/ABC", "alphanumeric"),
                                            ("https://t.cn", "byte"), ("溯源", "byte")])
def test_modes_name_the_narrowest_character_set(text: str, mode: str) -> None:
    assert qr_symbol(text).modes == (mode,)
